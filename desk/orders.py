"""Work orders from the agent desk: the draft an agent edits (built from the bot's handoff
summary), creating or updating the conversation's work order when the agent closes it, and the
callback request a queued citizen can leave instead of waiting. Sync: callers use to_thread."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session, select

from core.clock import iso_utc, utcnow
from core.db import saved_id
from normalize.phone import normalize_phone
from normalize.text import has_control_characters
from tickets.category_catalog import CategoryCatalog
from tickets.crud import WorkOrderFilter, WorkOrderRepository
from tickets.dispatch import dispatch
from tickets.lifecycle import OPEN_STATUSES
from tickets.models import REQUEST_TYPE_WORDS, RequestType, Status, WorkOrder, WorkOrderEvent
from tickets.schemas import BEIJING_DISTRICTS, MAX_DESCRIPTION_CHARS, WorkOrderCreate, valid_phone

DEADLINE_WORDS = {"2h": "2小时内", "24h": "24小时内", "7d": "7天内", "15d": "15天内"}
# Fields of a work order an agent may edit; the rest (number, status, deadline …) are the ticket system's.
EDITABLE = ("request_type", "description", "district", "street", "address", "occurred_at", "ongoing",
            "contact_name", "contact_phone", "emergency")  # fmt: skip
CALLBACK_NOTE = "来电请求回电"


class DraftPatch(BaseModel):
    """An agent's edit of the draft work order: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    request_type: RequestType | None = None
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)
    district: str | None = None
    street: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)
    occurred_at: datetime | None = None
    ongoing: bool | None = None
    contact_name: str | None = Field(default=None, max_length=40)
    contact_phone: str | None = None
    emergency: bool | None = None

    @field_validator("district")
    @classmethod
    def _district(cls, v: str | None) -> str | None:
        if v and v not in BEIJING_DISTRICTS:
            raise ValueError("district must be one of Beijing's 16 districts, e.g. 朝阳区")
        return v or None

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if not v or not v.strip():
            return None
        number = normalize_phone(v).number  # "138 1234 5678", "(010) 6234-5678" … as agents type them
        if number is None or not valid_phone(number):
            raise ValueError("contact_phone must be an 11-digit mobile number or a landline with area code")
        return number

    @field_validator("description", "street", "address", "contact_name")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        if v is not None and has_control_characters(v):
            raise ValueError("text contains control characters")
        return v.strip() if v else v


def draft_from_summary(summary: dict[str, Any] | None) -> dict[str, Any]:
    """The work order the bot had collected so far (a `draft` in the summary wins over slots)."""
    summary = summary or {}
    if isinstance(summary.get("draft"), dict):
        return {k: summary["draft"].get(k) for k in EDITABLE}
    raw_slots = summary.get("slots")
    slots: dict[str, Any] = raw_slots if isinstance(raw_slots, dict) else {}
    occurred = slots.get("occurred")
    phone = slots.get("contact_phone")
    emergency = summary.get("reason") == "emergency"
    return {
        "request_type": summary.get("request_type")
        or slots.get("request_type")
        or ("seek_help" if emergency else None),
        "description": slots.get("description"),
        "district": slots.get("district"),
        "street": slots.get("street"),
        "address": slots.get("address"),
        **occurred_slot_fields(occurred if isinstance(occurred, str) else None),
        "contact_name": slots.get("contact_name"),
        "contact_phone": phone if isinstance(phone, str) and not phone.startswith("invalid:") else None,
        "emergency": emergency,
    }


def occurred_slot_fields(value: str | None) -> dict[str, Any]:
    """The bot's `occurred` slot ("<ISO>", "ongoing", "ongoing:<ISO it began>", "unknown"; see
    bot/actions/intake.py, which the gateway may not import) as occurred_at and ongoing."""
    value = value or ""
    at = value.removeprefix("ongoing:")
    return {"occurred_at": at if at[:1].isdigit() else None, "ongoing": value.startswith("ongoing")}


def apply_patch(draft: dict[str, Any], patch: DraftPatch) -> dict[str, Any]:
    changes = patch.model_dump(mode="json", exclude_unset=True)
    return {**{k: draft.get(k) for k in EDITABLE}, **changes}


def citizen_lines(transcript: list[dict[str, Any]], limit: int = 6) -> list[str]:
    return [t["text"] for t in transcript if t.get("sender") == "citizen" and t.get("text")][-limit:]


class DeskOrders:
    def __init__(
        self, repo: WorkOrderRepository, catalog: CategoryCatalog, category_of: Callable[[str], str | None]
    ) -> None:
        self.repo, self.catalog, self.category_of = repo, catalog, category_of

    def category_words(self, description: str | None) -> str | None:
        """The category the work order will be filed under (the same classifier), as 一级/二级/三级."""
        code = self.category_of(description) if description else None
        return "/".join(self.catalog.path_of(code)) if code else None

    def of_conversation(self, conversation_id: str) -> WorkOrder | None:
        _, rows = self.repo.search(WorkOrderFilter(conversation_id=conversation_id), 0, 1)
        return rows[0] if rows else None

    def create(self, draft: dict[str, Any], channel: str, conversation_id: str, actor: str) -> WorkOrder:
        """Validated (pydantic ValidationError on bad or missing fields), dispatched, stored."""
        fields = {k: v for k, v in draft.items() if k in EDITABLE and v is not None}
        data = WorkOrderCreate(**fields, channel=channel[:10], conversation_id=conversation_id)
        code = data.category_code or self.category_of(data.description)
        data = dispatch(data, self.catalog, utcnow(), self.catalog.get(code) if code else None)
        return self.repo.create(data, actor)

    def update(self, number: str, draft: dict[str, Any], actor: str) -> tuple[WorkOrder, list[str]]:
        """Apply an agent's edits to an open work order (validated as a whole), with a note event
        naming the changed fields. Returns the order and the changed field names."""
        with Session(self.repo.engine, expire_on_commit=False) as session:
            order = session.exec(select(WorkOrder).where(WorkOrder.number == number).with_for_update()).one()
            current = {k: getattr(order, k) for k in EDITABLE}
            merged = {**current, **{k: v for k, v in draft.items() if k in EDITABLE}}
            checked = WorkOrderCreate(
                **{k: v for k, v in merged.items() if v is not None},
                channel=order.channel,
                conversation_id=order.conversation_id,
            )
            changed = [
                k
                for k in EDITABLE
                if getattr(checked, k) != current[k]
                and not (k == "occurred_at" and _same_instant(getattr(checked, k), current[k]))
            ]
            if not changed:
                return order, []
            if Status(order.status) not in OPEN_STATUSES:
                raise ValueError(f"work order {number} is {order.status}; it can no longer be edited")
            for key in changed:
                setattr(order, key, getattr(checked, key))
            category = self.catalog.get(order.category_code) if order.category_code else None
            if category is not None and ("district" in changed or "street" in changed):
                order.department = self.catalog.responsible_unit(category, order.district, order.street)
            order.updated_at = utcnow()
            session.add(order)
            session.add(
                WorkOrderEvent(
                    work_order_id=saved_id(order), kind="note", actor=actor, note="坐席修改：" + "、".join(changed)
                )
            )
            session.commit()
            return order, changed

    def callback(
        self,
        summary: dict[str, Any] | None,
        phone: str,
        channel: str,
        conversation_id: str,
        transcript: list[dict[str, Any]],
    ) -> WorkOrder:
        """A work order asking the centre to call the citizen back, carrying what is known."""
        draft = draft_from_summary(summary)
        request_type = "consult" if draft.get("request_type") == "consult" else "seek_help"
        parts = [f"{CALLBACK_NOTE}。"]
        if draft.get("request_type"):
            parts.append(f"诉求类型：{REQUEST_TYPE_WORDS.get(draft['request_type'], draft['request_type'])}。")
        if draft.get("description"):
            parts.append(f"已了解情况：{draft['description']}。")
        if draft.get("address"):
            parts.append(f"地点：{draft['address']}。")
        lines = citizen_lines(transcript)
        if lines:
            parts.append("市民留言：" + " / ".join(lines))
        fields = {k: draft.get(k) for k in ("district", "street", "address", "contact_name")}
        fields |= {
            "request_type": request_type,
            "description": "".join(parts)[:MAX_DESCRIPTION_CHARS],
            "contact_phone": phone,
        }
        return self.create(fields, channel, conversation_id, actor="citizen:callback")


def _same_instant(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return iso_utc(a) == iso_utc(b)
    return a == b
