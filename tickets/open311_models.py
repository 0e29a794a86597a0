"""GeoReport v2 bodies: what an Open311 POST may carry besides the work order (validated), and the
shapes of the answers, so that the OpenAPI schema says what the routes really send."""

import re
from typing import Any

from pydantic import BaseModel, Field, field_validator

from normalize.text import has_control_characters

_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_URL = re.compile(r"https?://[^\s]+")


class SubmissionFields(BaseModel):
    """email, media_url, device_id and account_id of a POST (stored; email and device never public)."""

    email: str | None = Field(default=None, max_length=254)
    media_url: str | None = Field(default=None, max_length=2000)
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not _EMAIL.fullmatch(v):
            raise ValueError("email must be an e-mail address")
        return v

    @field_validator("media_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not _URL.fullmatch(v):
            raise ValueError("media_url must be an http or https URL")
        return v

    @field_validator("device_id", "account_id")
    @classmethod
    def _plain(cls, v: str | None) -> str | None:
        if v is not None and has_control_characters(v):
            raise ValueError("contains control characters")
        return v


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[dict[str, Any]]


class ServiceRequest(BaseModel):
    service_request_id: str
    status: str = Field(pattern="^(open|closed)$")
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    extended_attributes: dict[str, Any]


class CreatedRequest(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None
