"""The router signs only the number a channel put in `verified_phone` (caller ID, own Telegram
contact); a proof arriving from elsewhere is dropped; a call's caller ID is its verified number."""

import pytest

from conversation.messages import InboundMessage, Reply
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.db import init_db, make_engine
from core.metrics import Metrics
from core.phone_proof import PhoneProof
from voice.call import CallInfo

SECRET = "Zq8vN3xLr5Tw1Ky7Pb2Hm6Jd4Fs9Gc0Ae"


class RecordingEngine:
    def __init__(self) -> None:
        self.seen: list[InboundMessage] = []

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        self.seen.append(msg)
        return [Reply("好的")]

    async def health(self) -> dict:
        return {"ok": True}


@pytest.fixture()
def router(tmp_path):
    db = make_engine(f"sqlite:///{tmp_path / 'router.db'}")
    init_db(db)
    return ConversationRouter(ConversationStore(db), RecordingEngine(), Metrics(), phone_proof=PhoneProof(SECRET))


async def test_the_router_signs_the_channels_verified_number(router):
    await router.handle(InboundMessage("phone:c1", "phone", "138****5678", "查工单", {"verified_phone": "13812345678"}))
    metadata = router.engine.seen[-1].metadata
    assert PhoneProof(SECRET).verify("13812345678", metadata["verified_phone_proof"])
    stored = router.store.history("phone:c1")[0].payload or {}
    assert "verified_phone" not in stored and "verified_phone_proof" not in stored, "reaches the engine only"


async def test_a_proof_from_outside_is_dropped(router):
    await router.handle(InboundMessage("web:w1", "web", "u", "查工单", {"verified_phone_proof": "4102444800.ab"}))
    assert "verified_phone_proof" not in router.engine.seen[-1].metadata


def test_caller_id_is_the_calls_verified_number():
    assert CallInfo("c1", caller="+86 138-1234-5678").verified_phone == "13812345678"
    assert CallInfo("c1", caller="anonymous").verified_phone is None
    assert CallInfo("c1").verified_phone is None
