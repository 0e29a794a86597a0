"""Proof that a channel verified a citizen's phone number.

Only a channel that knows the number belongs to the citizen (a phone call's caller ID, a Telegram
contact the citizen shared as their own) puts it in the message metadata as `verified_phone`; the
router signs it (`verified_phone_proof`) before the message goes to the dialogue engine, and the
tickets API answers a lookup by phone only with a valid, unexpired proof for that number. A number
typed in a chat is never signed, and a request crafted to the action server cannot forge one."""

import hashlib
import hmac
import time

PROOF_TTL_S = 15 * 60  # a proof is made for each message; the lookup follows within the turn


class PhoneProof:
    def __init__(self, secret: str, ttl_s: float = PROOF_TTL_S) -> None:
        # Derived, so the agent token key itself never signs anything but tokens.
        self._key = hmac.new(secret.encode(), b"hotline verified phone v1", hashlib.sha256).digest()
        self.ttl_s = ttl_s

    def issue(self, phone: str, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + self.ttl_s)
        return f"{expires}.{self._sign(phone, expires)}"

    def verify(self, phone: str, proof: str | None, now: float | None = None) -> bool:
        expires, _, signature = (proof or "").partition(".")
        if not expires.isdigit() or not signature:
            return False
        if int(expires) < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(signature, self._sign(phone, int(expires)))

    def _sign(self, phone: str, expires: int) -> str:
        return hmac.new(self._key, f"{phone}|{expires}".encode(), hashlib.sha256).hexdigest()
