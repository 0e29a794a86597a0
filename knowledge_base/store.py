"""Admin changes in the database: every add/update/retire is a new numbered version; the newest
version of each article id is the override applied on top of the files."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from knowledge_base.models import KbArticleVersion


@dataclass(frozen=True)
class Override:
    action: str  # add | update | retire
    body: dict | None
    version: int


class VersionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, article_id: str, action: str, body: dict | None, actor: str) -> KbArticleVersion:
        """Append a version; two writers racing for one number: the loser retries with the next."""
        attempt = 0
        while True:
            attempt += 1
            with Session(self.engine) as session:
                last = session.exec(
                    select(func.max(KbArticleVersion.version)).where(KbArticleVersion.article_id == article_id)
                ).one()
                row = KbArticleVersion(
                    article_id=article_id, version=(last or 0) + 1, action=action, body=body, actor=actor
                )
                session.add(row)
                try:
                    session.commit()
                except IntegrityError:
                    if attempt >= 3:
                        raise
                    continue
                session.refresh(row)
                return row

    def versions(self, article_id: str) -> list[KbArticleVersion]:
        with Session(self.engine) as session:
            stmt = select(KbArticleVersion).where(KbArticleVersion.article_id == article_id)
            return list(session.exec(stmt.order_by(KbArticleVersion.version)))

    def overrides(self) -> dict[str, Override]:
        """The newest version of every article id that has one; a retirement keeps the last body."""
        stmt = select(KbArticleVersion).order_by(KbArticleVersion.article_id, KbArticleVersion.version)
        found: dict[str, Override] = {}
        with Session(self.engine) as session:
            for row in session.exec(stmt):  # admin edits are few: one pass over the table
                body = (
                    row.body
                    if row.action != "retire"
                    else (found[row.article_id].body if row.article_id in found else None)
                )
                found[row.article_id] = Override(row.action, body, row.version)
        return found

    def last_id(self) -> int | None:
        """Highest row id: changes when any gateway records a version (polled for scale-out)."""
        with Session(self.engine) as session:
            return session.exec(select(func.max(KbArticleVersion.id))).one()
