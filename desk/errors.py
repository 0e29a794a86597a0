"""What the agent desk refuses (each with the HTTP status the desk API answers with), and who acts."""

from typing import Any, Protocol


class DeskError(Exception):
    status = 400

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code, self.detail, self.extra = code, detail, extra


class NotFound(DeskError):
    status = 404


class Forbidden(DeskError):
    status = 403


class Conflict(DeskError):
    status = 409


class Invalid(DeskError):
    status = 422


class Actor(Protocol):
    username: str
    display_name: str
    role: str
