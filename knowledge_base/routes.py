"""HTTP API of the knowledge base: public search (`POST /api/kb/search`) and the admin API under
`/api/kb/articles` (bearer API key): add/update, retire, read, version history."""

import asyncio
import hashlib
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Header, HTTPException
from pydantic import BaseModel, Field, ValidationError, field_validator

from api.deps import ApiKey, KnowledgeBaseDep
from knowledge_base.schema import Article, first_error
from knowledge_base.service import AlreadyRetired, UnknownArticle, article_json

MAX_QUERY_CHARS = 500


class SearchRequest(BaseModel):
    text: str
    context_article: str | None = Field(default=None, max_length=120, description="id of the article answered last")
    top_k: int = Field(default=3, ge=1, le=10)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("text must not be empty")
        if len(value) > MAX_QUERY_CHARS:
            raise ValueError(f"text must be at most {MAX_QUERY_CHARS} characters")
        return value


class SearchResponse(BaseModel):
    decision: Literal["answer", "choose", "refer", "none"]
    facet: Literal["materials", "where", "process", "time_limit", "fees"] | None
    results: list[dict] = Field(description="answer: the article first (then related ones); choose: 2-3 articles")
    related: list[dict] = Field(
        default_factory=list, description="{id, title} of articles to offer beside an answer or a referral"
    )
    referral: dict | None = Field(
        default=None, description="refer: the unit that handles the matter and how to reach it"
    )
    took_ms: float


def _actor(token: str, name: str | None) -> str:
    key_id = "key:" + hashlib.sha256(token.encode()).hexdigest()[:8]
    return f"{name.strip()[:80]} ({key_id})" if name and name.strip() else key_id


def require_actor(token: ApiKey, x_actor: Annotated[str | None, Header()] = None) -> str:
    """Who edits: the X-Actor name (if any) with an id of the bearer API key."""
    return _actor(token, x_actor)


def require_ready(kb: KnowledgeBaseDep) -> None:
    if not kb.ready:
        raise HTTPException(503, "the knowledge base is not loaded yet")


router = APIRouter(prefix="/api/kb", tags=["knowledge base"], dependencies=[Depends(require_ready)])
Actor = Annotated[str, Depends(require_actor)]


@router.post("/search")
async def search(body: SearchRequest, kb: KnowledgeBaseDep) -> SearchResponse:
    started = time.perf_counter()
    outcome = await asyncio.to_thread(kb.search, body.text, body.context_article, body.top_k)
    results = [{**article_json(s.article), "score": round(s.score, 4)} for s in outcome.results]
    related = [{"id": s.article.id, "title": s.article.title} for s in outcome.related]
    took = (time.perf_counter() - started) * 1000
    return SearchResponse(
        decision=outcome.decision,
        facet=outcome.facet,
        results=results,
        related=related,
        referral=outcome.referral,
        took_ms=round(took, 2),
    )


@router.get("/articles/{article_id}")
async def get_article(article_id: str, _actor: Actor, kb: KnowledgeBaseDep) -> dict:
    try:
        return await asyncio.to_thread(kb.get, article_id)
    except UnknownArticle:
        raise HTTPException(404, f"no article {article_id}") from None


@router.put("/articles/{article_id}")
async def put_article(article_id: str, actor: Actor, kb: KnowledgeBaseDep, body: Annotated[dict, Body()]) -> dict:
    body = {**body, "id": body.get("id", article_id)}
    if body["id"] != article_id:
        raise HTTPException(422, f"body id {body['id']!r} differs from the path id {article_id!r}")
    try:
        article = Article.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(422, f"invalid article: {first_error(exc)}") from None
    version = await asyncio.to_thread(kb.put, article, actor)
    return {"id": article_id, **version, "status": await asyncio.to_thread(kb.status_of, article_id)}


@router.delete("/articles/{article_id}")
async def retire_article(article_id: str, actor: Actor, kb: KnowledgeBaseDep) -> dict:
    try:
        version = await asyncio.to_thread(kb.retire, article_id, actor)
    except UnknownArticle:
        raise HTTPException(404, f"no article {article_id}") from None
    except AlreadyRetired:
        raise HTTPException(409, f"article {article_id} is already retired") from None
    return {"id": article_id, **version, "status": "retired"}


@router.get("/articles/{article_id}/versions")
async def versions(article_id: str, _actor: Actor, kb: KnowledgeBaseDep) -> dict:
    try:
        rows = await asyncio.to_thread(kb.versions, article_id)
    except UnknownArticle:
        raise HTTPException(404, f"no article {article_id}") from None
    return {"id": article_id, "versions": rows}
