"""Tables of the knowledge base: the version history of admin changes (add, update, retire).
The latest version of an article id is an override on top of its reviewed YAML file."""

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import iso_utc, utcnow


class KbArticleVersion(SQLModel, table=True):
    __tablename__ = "kb_article_version"
    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_kb_article_version"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(index=True, max_length=120)
    version: int
    action: str = Field(max_length=8)  # add | update | retire
    body: dict | None = Field(default=None, sa_column=Column(JSON))  # the article (None for retire)
    actor: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "action": self.action,
            "actor": self.actor,
            "created_at": iso_utc(self.created_at),
            "article": self.body,
        }
