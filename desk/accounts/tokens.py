"""Expiring signed bearer tokens for agents: base64url(JSON claims) "." base64url(HMAC-SHA256).

Claims: sub (username), role, iat, exp (Unix seconds). Verification checks the signature in
constant time, then the expiry; a token signed with another key or altered in any byte fails."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass


class InvalidToken(Exception):
    """The token is malformed, forged or expired (the message says which, for logs)."""


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    issued_at: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, key: str, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        if len(key) < 32:
            raise ValueError("the token signing key needs at least 32 characters")
        self._key = hashlib.sha256(b"hotline-agent-token\0" + key.encode()).digest()
        self.ttl_s = ttl_s
        self.clock = clock

    def issue(self, username: str, role: str) -> tuple[str, TokenClaims]:
        now = int(self.clock())
        claims = TokenClaims(username, role, now, now + self.ttl_s)
        body = _b64(
            json.dumps(
                {"sub": username, "role": role, "iat": now, "exp": claims.expires_at},
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode()
        )
        return f"{body}.{self._sign(body)}", claims

    def verify(self, token: str) -> TokenClaims:
        body, dot, signature = (token or "").partition(".")
        if not dot or not body or not signature:
            raise InvalidToken("malformed token")
        if not hmac.compare_digest(signature, self._sign(body)):
            raise InvalidToken("bad signature")
        try:
            raw = json.loads(_unb64(body))
            claims = TokenClaims(str(raw["sub"]), str(raw["role"]), int(raw["iat"]), int(raw["exp"]))
        except (ValueError, KeyError, TypeError):
            raise InvalidToken("malformed claims") from None
        if self.clock() >= claims.expires_at:
            raise InvalidToken("token expired")
        return claims

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
