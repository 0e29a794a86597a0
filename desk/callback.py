"""Callback requests: a queued citizen (or one who asked for a person outside the agents'
working hours) leaves a phone number instead of waiting, and it becomes a work order
("来电请求回电" plus what the bot had collected). The phone already collected is used when there
is one; otherwise it is asked for, and the next message is read as the number."""

import asyncio
import logging

from conversation.bus import BusEvent
from conversation.commands import (
    BACK_BUTTON,
    BACK_TO_BOT,
    CALLBACK,
    CALLBACK_BUTTON,
    CANCEL_CALLBACK,
    CANCEL_CALLBACK_BUTTON,
)
from conversation.messages import InboundMessage, Mode, Reply
from conversation.store import TurnState
from core.log_ids import short_id
from desk.agent_desk import AgentDesk, number_text
from desk.orders import draft_from_summary
from normalize.phone import normalize_phone

log = logging.getLogger(__name__)

AWAITING_PHONE = "awaiting_phone"
ASK_PHONE = "好的，请留下您的联系电话（手机号或带区号的固定电话），工作人员会尽快给您回电。"
BAD_PHONE = "没有识别到有效的电话号码，请输入11位手机号或带区号的固定电话。"
CANCELLED = "已取消回电登记。"
DONE = "已为您登记回电请求，工单编号{number}，工作人员会尽快与您联系。"
FAILED = "抱歉，回电登记暂时没有成功，请稍后再试，或继续等待人工客服。"


def wants_callback(msg: InboundMessage, state: TurnState) -> bool:
    return state.mode is not Mode.AGENT and (state.callback == AWAITING_PHONE or msg.text.strip() == CALLBACK)


async def callback_turn(desk: AgentDesk, msg: InboundMessage, state: TurnState) -> list[Reply] | None:
    """The replies to a callback step, or None when the message is for the normal flow."""
    text, cid = msg.text.strip(), msg.conversation_id
    store = desk.store
    if state.callback == AWAITING_PHONE and text != CALLBACK:
        if text in (CANCEL_CALLBACK, BACK_TO_BOT):
            await asyncio.to_thread(store.set_fields, cid, callback=None)
            if text == BACK_TO_BOT:
                return None  # leaving the queue as well: the router's usual answer
            return [await _cancelled(desk, cid, state)]
        phone = normalize_phone(text).number
        if phone is None:
            return [Reply(BAD_PHONE, buttons=(CANCEL_CALLBACK_BUTTON,), sender="system")]
        return [await _file(desk, cid, state, phone)]
    conv = await asyncio.to_thread(store.get, cid)
    phone = draft_from_summary(conv.handoff if conv else None).get("contact_phone")
    if phone:
        return [await _file(desk, cid, state, phone)]
    await asyncio.to_thread(store.set_fields, cid, callback=AWAITING_PHONE)
    return [Reply(ASK_PHONE, buttons=(CANCEL_CALLBACK_BUTTON,), sender="system")]


async def _cancelled(desk: AgentDesk, cid: str, state: TurnState) -> Reply:
    if state.mode is Mode.QUEUED:
        place = await desk.place_text(cid)
        return Reply(CANCELLED + (place or ""), buttons=(CALLBACK_BUTTON, BACK_BUTTON), sender="system")
    return Reply(CANCELLED + "请问还有什么可以帮您？", sender="system")


async def _file(desk: AgentDesk, cid: str, state: TurnState, phone: str) -> Reply:
    conv = await asyncio.to_thread(desk.store.get, cid)
    if conv is None:  # erased meanwhile: nothing to file the callback for
        return Reply(FAILED, sender="system")
    rows = await asyncio.to_thread(desk.store.history, cid, 50)
    transcript = [
        {"sender": r.sender, "text": r.text} for r in rows if r.error_code is None and not r.text.startswith("/")
    ]
    before = await desk.queue_ids()
    try:
        order = await asyncio.to_thread(desk.orders.callback, conv.handoff, phone, conv.channel, cid, transcript)
    except Exception:
        log.exception("callback work order for %s failed", short_id(cid))
        return Reply(
            FAILED, buttons=(CALLBACK_BUTTON, BACK_BUTTON) if state.mode is Mode.QUEUED else (), sender="system"
        )
    await asyncio.to_thread(
        desk.store.change_mode,
        cid,
        Mode.BOT,
        (Mode.QUEUED, Mode.BOT),
        values={"callback": None, "work_order": order.number},
        event={"kind": "callback", "note": order.number},
    )
    log.info("callback request %s filed for %s", order.number, short_id(cid))
    await desk.left_queue(cid, before, kind=BusEvent.CALLBACK)
    number = number_text(order.number, conv.channel)
    return Reply(DONE.format(number=number), sender="system", data={"mode": Mode.BOT.value, "work_order": order.card()})
