"""Validated input for creating a work order (shared by the bot's API, Open311 and agents)."""

import re
from datetime import datetime, timedelta

from pydantic import BaseModel, Field, field_validator, model_validator

from normalize.text import has_control_characters
from tickets.models import RequestType, Urgency

BEIJING_DISTRICTS = (
    "东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
    "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
)  # fmt: skip
MAX_DESCRIPTION_CHARS = 2000
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?[2-9]\d{6,7}")
DEADLINES = {"2h": timedelta(hours=2), "24h": timedelta(hours=24), "7d": timedelta(days=7), "15d": timedelta(days=15)}


def clock_deadline(urgency: str, received: datetime) -> datetime:
    """The deadline on the clock (working days are tickets.deadlines.deadline_for)."""
    return received + DEADLINES[urgency]


def valid_phone(value: str) -> bool:
    return bool(_MOBILE.fullmatch(value) or _LANDLINE.fullmatch(value))


class WorkOrderCreate(BaseModel):
    request_type: RequestType
    description: str = Field(min_length=2, max_length=MAX_DESCRIPTION_CHARS)
    district: str | None = None
    street: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=39.4, le=41.1)
    lon: float | None = Field(default=None, ge=115.4, le=117.6)
    occurred_at: datetime | None = None
    ongoing: bool = False
    contact_name: str | None = Field(default=None, max_length=40)
    contact_phone: str | None = None
    category_code: str | None = Field(default=None, max_length=8)
    category_path: list[str] = Field(default_factory=list)
    department: str | None = Field(default=None, max_length=80)
    urgency: Urgency = "15d"
    emergency: bool = False
    channel: str = Field(default="web", max_length=10)
    conversation_id: str | None = Field(default=None, max_length=80)

    @field_validator("district")
    @classmethod
    def _beijing_district(cls, v: str | None) -> str | None:
        if v is not None and v not in BEIJING_DISTRICTS:
            raise ValueError("district must be one of Beijing's 16 districts, e.g. 朝阳区")
        return v

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not valid_phone(v):
            raise ValueError("contact_phone must be an 11-digit mobile number or a landline with area code")
        return v

    @field_validator("description")
    @classmethod
    def _text(cls, v: str) -> str:
        v = v.strip()
        if len(v) < 2:
            raise ValueError("description is empty")
        if has_control_characters(v):
            raise ValueError("description contains control characters")
        return v

    @model_validator(mode="after")
    def _emergency_is_urgent(self) -> "WorkOrderCreate":
        if self.emergency:
            self.urgency = "2h"
        return self
