"""Timestamps: always timezone-aware UTC inside, ISO-8601 with Z outside."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(value: datetime) -> str:
    """ISO-8601 in UTC; SQLite hands timestamps back without their zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
