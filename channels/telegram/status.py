"""`/status`: the work orders of this Telegram chat (created in its conversation, or under the
phone number the citizen shared as their own contact), with masked data only."""

from datetime import UTC, timedelta, timezone

from conversation.models import Message
from core.pii import mask_pii
from tickets.crud import WorkOrderFilter, WorkOrderRepository
from tickets.models import REQUEST_TYPE_WORDS, STATUS_LABELS, WorkOrder

BEIJING = timezone(timedelta(hours=8))
MAX_LISTED = 5
NONE_FOUND = "暂未查到您的工单。在这里反映问题后会生成工单；分享您的手机号码后，也可以查到用这个号码登记的工单。"


def shared_phone(history: list[Message]) -> str | None:
    """The latest phone number the citizen shared as their own Telegram contact, in a chat's
    stored messages (ConversationRouter.history)."""
    for row in reversed(history):
        payload = row.payload or {}
        if row.direction == "in" and payload.get("kind") == "contact" and payload.get("own") and payload.get("phone"):
            return str(payload["phone"])
    return None


def work_orders_of(
    repo: WorkOrderRepository, conversation_id: str, phone: str | None, limit: int = MAX_LISTED
) -> tuple[int, list[WorkOrder]]:
    """The chat's work orders and those under the phone number it shared (`phone`), newest first,
    without duplicates; and how many there are in all."""
    total, found = repo.search(WorkOrderFilter(conversation_id=conversation_id), limit=limit)
    seen = {o.number for o in found}
    if phone:
        by_phone_total, by_phone = repo.search(WorkOrderFilter(phone=phone), limit=limit)
        extra = [o for o in by_phone if o.number not in seen]
        found += extra
        total += by_phone_total - (len(by_phone) - len(extra))
    found.sort(key=lambda o: (_aware(o.created_at), o.id or 0), reverse=True)
    return total, found[:limit]


def status_text(total: int, orders: list[WorkOrder]) -> str:
    if not orders:
        return NONE_FOUND
    lines = [f"您共有{total}张工单" + (f"，以下是最近{len(orders)}张：" if total > len(orders) else "：")]
    for order in orders:
        lines.append(_line(order))
    return "\n".join(lines)


def _line(order: WorkOrder) -> str:
    number = f"{order.number[:6]} {order.number[6:]}"
    status = STATUS_LABELS.get(order.status, order.status)  # StrEnum keys match their string values
    kind = REQUEST_TYPE_WORDS.get(order.request_type, order.request_type)
    place = "".join(p for p in (order.district, order.street) if p) or "地点未填"
    summary = mask_pii(order.description.replace("\n", " "))
    summary = summary[:24] + ("…" if len(summary) > 24 else "")
    deadline = _aware(order.deadline).astimezone(BEIJING).strftime("%m月%d日 %H:%M")
    parts = [f"· {number}｜{status}｜{kind}：{summary}", f"  地点：{place}"]
    if order.department:
        parts.append(f"  承办单位：{order.department}")
    parts.append(f"  办理时限：{deadline}")
    return "\n".join(parts)


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=UTC)
