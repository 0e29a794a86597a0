"""The closed loop's actions on a real database: who may do what from which status, the event
log with its actors, the projections the inboxes and reports read, the survey and reopening,
and the outbox rows every change leaves."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.tickets.conftest import work_order_data
from tickets.handling import ActionForbidden, ActionInvalid, Actor
from tickets.lifecycle import IllegalTransition
from tickets.models import OutboxMessage, Status

SUPERVISOR = Actor("supervisor", "zhao")
WANGJING = Actor("unit", "wj_ops", "110105021")
CHENGGUAN = Actor("unit", "cg_ops", "110105CG")
AGENT = Actor("agent", "li")
API = Actor("api", "api")


def filed(repo) -> str:
    return repo.create(work_order_data(urgency="7d"), actor="bot").number


def test_auto_dispatch_at_filing_names_the_unit_and_starts_the_response_clock(dispatching_repo):
    order = dispatching_repo.create(work_order_data(urgency="24h"), actor="bot")
    assert (order.status, order.unit_code) == ("dispatched", "110105021")
    assert order.response_due_at - order.dispatched_at == timedelta(hours=4)
    assert order.to_json()["unit"]["code"] == "110105021"
    events = dispatching_repo.events(order.number)
    assert [(e.kind, e.from_status, e.to_status, e.actor) for e in events] == [
        ("created", None, "accepted", "bot"),
        ("dispatch", "accepted", "dispatched", "system:dispatch"),
    ]


def test_whole_loop_with_return_redispatch_and_survey(repo, handling):
    number = filed(repo)
    handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR)
    handling.perform(number, "return", {"reason": "不属于本辖区，应由城管处理"}, WANGJING)
    handling.perform(number, "dispatch", {"unit": "110105CG"}, SUPERVISOR)
    accepted = handling.perform(number, "accept", {}, CHENGGUAN).order
    assert accepted.responded_at is not None and accepted.status == "in_progress"
    handling.perform(number, "reply", {"text": "已联系商户，约定整改时间"}, CHENGGUAN)
    resolved = handling.perform(number, "resolve", {"text": "已责令烧烤店晚十点后停止营业"}, CHENGGUAN).order
    assert (resolved.status, resolved.result) == ("resolved", "已责令烧烤店晚十点后停止营业")
    handling.answer_survey(number, "resolved", "已解决")
    final = handling.answer_survey(number, "satisfaction", "基本满意").order
    assert final.status == "visited"
    assert final.to_json()["survey"]["resolved"] is True and final.to_json()["survey"]["satisfaction"] == "基本满意"
    events = repo.events(number)
    assert [(e.kind, e.actor) for e in events] == [
        ("created", "bot"),
        ("dispatch", "supervisor:zhao"),
        ("return", "unit:wj_ops"),
        ("dispatch", "supervisor:zhao"),
        ("accept", "unit:cg_ops"),
        ("reply", "unit:cg_ops"),
        ("resolve", "unit:cg_ops"),
        ("survey", "citizen"),
        ("survey", "citizen"),
        ("visited", "citizen"),
    ]
    assert events[2].note == "不属于本辖区，应由城管处理" and events[3].data == {"unit": "110105CG"}


def test_every_change_leaves_one_outbox_row_with_the_order_as_it_was(repo, handling, db):
    number = filed(repo)
    handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR)
    handling.perform(number, "accept", {}, WANGJING)
    with Session(db) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.event for r in rows] == ["work_order.created", "work_order.updated", "work_order.updated"]
    assert [r.payload["status"] for r in rows[1:]] == ["dispatched", "in_progress"]
    assert len({r.idempotency_key for r in rows}) == 3


@pytest.mark.parametrize(
    ("actor", "action", "body"),
    [
        (AGENT, "resolve", {"text": "已处理"}),  # agents cannot resolve
        (AGENT, "dispatch", {"unit": "110105021"}),
        (WANGJING, "dispatch", {"unit": "110105021"}),  # units do not dispatch
        (WANGJING, "close", {"reason": "重复工单"}),
        (CHENGGUAN, "accept", {}),  # another unit's order
        (CHENGGUAN, "resolve", {"text": "已处理完毕"}),
        (SUPERVISOR, "accept", {}),  # supervisors do not handle
    ],
)
def test_forbidden_actions_change_nothing(repo, handling, actor, action, body):
    number = filed(repo)
    handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR)
    with pytest.raises(ActionForbidden):
        handling.perform(number, action, body, actor)
    assert repo.get(number).status == "dispatched" and len(repo.events(number)) == 2


@pytest.mark.parametrize(
    ("steps", "action", "body", "status"),
    [
        ([], "accept", {}, "accepted"),  # not dispatched yet
        ([], "resolve", {"text": "已处理"}, "accepted"),
        ([("dispatch", {"unit": "110105021"}, SUPERVISOR), ("accept", {}, WANGJING)], "accept", {}, "in_progress"),
        ([("close", {"reason": "重复工单"}, SUPERVISOR)], "dispatch", {"unit": "110105021"}, "closed"),
    ],
)
def test_illegal_transitions_name_the_current_status(repo, handling, steps, action, body, status):
    number = filed(repo)
    for name, step_body, actor in steps:
        handling.perform(number, name, step_body, actor)
    with pytest.raises(IllegalTransition) as err:
        handling.perform(number, action, body, API)
    assert err.value.current.value == status


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("resolve", {}),
        ("resolve", {"text": " "}),
        ("return", {"reason": ""}),
        ("extend", {"days": 0, "reason": "x"}),
        ("dispatch", {"unit": "NOPE"}),
        ("resolve", {"text": "ok\x07"}),
        ("accept", {"extra": 1}),
    ],
)
def test_invalid_bodies_are_refused(repo, handling, action, body):
    number = filed(repo)
    handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR)
    with pytest.raises(ActionInvalid):
        handling.perform(number, action, body, API if action != "dispatch" else SUPERVISOR)


def test_extension_requested_by_the_unit_and_granted_by_a_supervisor(repo, handling):
    number = filed(repo)
    before = handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR).order.deadline
    asked = handling.perform(number, "extend", {"days": 5, "reason": "需协调产权单位"}, WANGJING).order
    assert asked.deadline == before and asked.extension["days"] == 5
    granted = handling.perform(number, "extend", {"days": 5, "reason": "同意延期"}, SUPERVISOR).order
    assert granted.deadline - before == timedelta(days=5) and granted.extension is None
    assert [e.kind for e in repo.events(number)][-2:] == ["extension_requested", "extended"]


def test_unsolved_reopens_to_the_same_unit_and_the_third_time_to_a_supervisor(repo, handling):
    number = filed(repo)
    handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR)
    for attempt in (1, 2, 3):
        handling.perform(number, "accept", {}, WANGJING)
        handling.perform(number, "resolve", {"text": f"第{attempt}次处理结果"}, WANGJING)
        order = handling.answer_survey(number, "resolved" if attempt != 2 else "resolved", "未解决").order
        assert order.reopen_count == attempt and order.survey_resolved is False
        if attempt < 3:
            assert (order.status, order.unit_code, order.responded_at) == ("dispatched", "110105021", None)
    assert order.status == "returned"  # for the dispatchers now
    assert "escalated" in repo.events(number)[-1].note


def test_unsatisfied_reopens_and_a_late_answer_is_refused(repo, handling):
    number = filed(repo)
    handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR)
    handling.perform(number, "resolve", {"text": "已处理"}, WANGJING)
    handling.answer_survey(number, "resolved", "已解决")
    order = handling.answer_survey(number, "satisfaction", "不满意").order
    assert (order.status, order.survey_resolved, order.survey_satisfaction) == ("dispatched", True, "不满意")
    with pytest.raises(IllegalTransition):  # the order is back with the unit: old buttons do nothing
        handling.answer_survey(number, "resolved", "已解决")
    with pytest.raises(ActionInvalid):
        handling.perform(number, "resolve", {"text": "已再次处理"}, WANGJING)
        handling.answer_survey(number, "resolved", "还行吧")


def test_satisfaction_before_resolved_is_refused(repo, handling):
    number = filed(repo)
    handling.perform(number, "dispatch", {"unit": "110105021"}, SUPERVISOR)
    handling.perform(number, "resolve", {"text": "已处理"}, WANGJING)
    with pytest.raises(ActionInvalid):
        handling.answer_survey(number, "satisfaction", "满意")
    assert repo.get(number).status == Status.RESOLVED.value
