"""The article schema (one YAML file per article, or an admin API body) and its validity in time."""

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

BEIJING = ZoneInfo("Asia/Shanghai")
FACETS: tuple[str, ...] = ("materials", "where", "process", "time_limit", "fees")
Facet = Literal["materials", "where", "process", "time_limit", "fees"]
ANSWER_SHORT_MAX = 80

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# YAML reads a bare 96777 or 12345 as a number; in a list of words it is still a word.
Word = Annotated[Text, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]
ArticleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=120)]
DetailValue = Text | list[Text] | None


class Details(BaseModel):
    """Optional practical facts; a follow-up question ("要带什么材料？") is answered from one of them."""

    model_config = ConfigDict(extra="forbid")

    materials: DetailValue = None
    where: DetailValue = None
    process: DetailValue = None
    time_limit: DetailValue = None
    fees: DetailValue = None

    def text(self, facet: str) -> str | None:
        value = getattr(self, facet, None)
        if not value:
            return None
        if isinstance(value, str):
            return value
        return "\n".join(f"{n}. {item}" for n, item in enumerate(value, 1)) if len(value) > 1 else value[0]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(description="the policy document, e.g. 《北京市居住证实施办法》")
    article: str | None = Field(default=None, description="article/section of the document, if any")
    office: Text = Field(description="the office responsible for it")
    confirm: Text = Field(description="how a citizen can confirm (phone, website, office)")


class Article(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ArticleId
    title: Text
    topic: Text
    category: Text
    questions: list[Word] = Field(min_length=1)
    answer_short: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANSWER_SHORT_MAX)]
    answer: Text
    details: Details | None = None
    keywords: list[Word] = Field(default_factory=list)
    source: Source
    region: Text
    effective_from: date | None = None
    effective_until: date | None = None
    last_reviewed: date

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Article":
        if self.effective_from and self.effective_until and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        return self

    def in_force(self, today: date) -> bool:
        """Served only between effective_from and effective_until (both inclusive)."""
        if self.effective_from and today < self.effective_from:
            return False
        return not (self.effective_until and today > self.effective_until)

    def facet_text(self, facet: str) -> str | None:
        return self.details.text(facet) if self.details else None


def beijing_today(now: datetime) -> date:
    """Policy dates are Beijing calendar dates."""
    return now.astimezone(BEIJING).date()


def first_error(exc: Exception) -> str:
    """A one-line English reason from a pydantic ValidationError (or any exception)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or '(article)'}: {e['msg']}" for e in errors()[:3]]
        more = len(errors()) - 3
        return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    return f"{type(exc).__name__}: {exc}"
