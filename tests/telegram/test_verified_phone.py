"""Telegram proves a phone number only when the citizen shared it as their own contact: from then
on every message of the chat carries it (`verified_phone`, signed by the router) to the dialogue;
someone else's contact or a typed number never does."""

from core.phone_proof import PhoneProof
from tests.telegram.conftest import CHAT

SECRET = "Zq8vN3xLr5Tw1Ky7Pb2Hm6Jd4Fs9Gc0Ae"


async def test_own_contact_proves_the_number_for_later_messages(tg):
    tg.router.phone_proof = proofs = PhoneProof(SECRET)
    await tg.say("我的电话是13812345678，工单办得怎么样了")
    assert "verified_phone" not in tg.engine.seen[-1].metadata
    own = {"phone_number": "+86 138 1234 5678", "first_name": "市民", "user_id": CHAT}
    await tg.feed(message=tg.message(contact=own))
    assert tg.engine.seen[-1].metadata["verified_phone"] == "13812345678"
    await tg.say("我的工单办得怎么样了")
    seen = tg.engine.seen[-1].metadata
    assert seen["verified_phone"] == "13812345678" and proofs.verify("13812345678", seen["verified_phone_proof"])


async def test_someone_elses_contact_proves_nothing(tg):
    tg.router.phone_proof = PhoneProof(SECRET)
    await tg.feed(message=tg.message(contact={"phone_number": "13812345678", "first_name": "邻居", "user_id": 999}))
    await tg.say("我的工单办得怎么样了")
    assert all("verified_phone" not in m.metadata and "verified_phone_proof" not in m.metadata for m in tg.engine.seen)
