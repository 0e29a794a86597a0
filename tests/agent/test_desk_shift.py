"""The desk's views with the real router and store (SQLite, or PostgreSQL when DATABASE_URL is
set): the draft pre-filled from the citizen's messages with the intake extractor, held
conversations with title, preview and unanswered count, and the supervisor's wait figures with
an emergency still waiting."""

from datetime import timedelta

from conversation.messages import Reply
from desk.views import SLA_S
from places.gazetteer import Gazetteer
from tests.agent.conftest import ALICE, BOB, SUE
from tickets.intake import IntakeExtractor


def handoff(reason: str = "requested", said: tuple[str, ...] = ()) -> Reply:
    turns = [{"sender": "citizen", "text": t} for t in said]
    return Reply("", data={"handoff": {"reason": reason, "slots": {}, "last_turns": turns}})


async def test_draft_title_and_held_list_come_from_the_citizens_words(desk_setup):
    s = desk_setup
    s.desk.extract = IntakeExtractor(Gazetteer.builtin()).extract
    said = "朝阳区望京街道望京西园三区楼下烧烤店半夜太吵，我电话13812345678"
    s.engine.script["转人工"] = [Reply("好的"), handoff(said=(said, "转人工"))]
    await s.say(said)
    await s.say("转人工")
    queued = await s.desk.queue()
    assert queued[0]["title"].startswith("网页 · 138****5678 · 朝阳区")
    await s.desk.take("web:1", ALICE)
    detail = await s.desk.detail("web:1", ALICE)
    assert detail["draft"]["district"] == "朝阳区" and detail["draft"]["contact_phone"] == "13812345678"
    assert "烧烤店" in detail["draft"]["description"]
    assert "web:1" not in detail["title"]
    await s.say("还在吵，快来人管管")
    await s.say("都十二点了")
    [held] = await s.desk.conversations(ALICE)
    assert held["unanswered"] == 2 and held["preview"] == "都十二点了" and held["waiting_since"]
    await s.desk.send("web:1", ALICE, "已经在为您登记")
    [held] = await s.desk.conversations(ALICE)
    assert held["unanswered"] == 0 and held["waiting_since"] is None


async def test_the_overview_counts_an_emergency_still_waiting(desk_setup):
    s = desk_setup
    s.engine.script["转人工"] = [Reply("好的"), handoff()]
    s.engine.script["着火了"] = [Reply("请立即拨打119"), handoff("emergency")]
    await s.say("转人工", cid="web:1")
    await s.desk.take("web:1", BOB)  # taken at once: a wait of 0 s
    await s.say("着火了", cid="web:2")
    s.store.set_fields("web:2", queued_at=s.clock.now - timedelta(minutes=4))  # queued four minutes ago
    view = await s.desk.overview([ALICE, BOB, SUE])
    assert view["oldest_wait_s"] >= 240 and view["emergency_waiting"] == 1 and view["emergency_oldest_s"] >= 240
    assert view["mean_wait_s"] >= 120  # not the 0 s of the finished take alone
    assert view["sla_s"] == SLA_S and view["sla_share"] == 0.5
    assert view["offline_holding"] == 1  # Bob holds web:1 and no console of his is connected
