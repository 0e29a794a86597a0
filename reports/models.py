"""The table of the surge watch (未诉先办): one row per alert, written once (its `dedup_key` is
unique: one alert per problem, place and Beijing day, however many gateways scan)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Float
from sqlmodel import Field, SQLModel

from core.clock import iso_utc, utcnow


class SurgeAlert(SQLModel, table=True):
    __tablename__ = "surge_alert"

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(unique=True, max_length=80)
    district: str | None = Field(default=None, max_length=20)
    place: str = Field(max_length=60)
    category_code: str = Field(max_length=8)
    category: str | None = Field(default=None, max_length=120)  # the category path, " / "-joined
    count: int  # orders in the window
    baseline: float = Field(sa_column=Column(Float, nullable=False))  # expected orders per window
    window_start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    window_end: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    work_orders: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # numbers
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )

    def to_json(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", exclude={"dedup_key"})
        for key in ("window_start", "window_end", "created_at"):
            body[key] = iso_utc(getattr(self, key))
        return body
