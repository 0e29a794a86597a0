"""Persistence of conversations and messages (sync sqlmodel; callers run it off the event loop).

Every change of a conversation's mode is one conditional UPDATE (… WHERE mode IN (…) [AND
agent = …]) that also bumps `mode_seq`, in the same transaction as the messages it sends: of two
agents taking one conversation exactly one matches the row, and a bot turn that started before a
take finds `mode_seq` moved on and is not delivered."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from conversation.messages import InboundMessage, Mode, Reply
from conversation.models import Conversation, DeskEvent, Message
from core.clock import utcnow

SUPERSEDED = "superseded"  # error code of bot replies dropped because an agent took over meanwhile


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone (they are stored in UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TurnState:
    """A conversation as a citizen message found it."""

    mode: Mode
    seq: int
    callback: str | None
    message_id: int | None = None  # the stored message
    answered: bool = False  # a resent message (same client id) that was answered before


class ConversationStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, conversation_id: str) -> Conversation | None:
        with Session(self.engine) as session:
            return session.get(Conversation, conversation_id)

    def get_or_create(
        self, conversation_id: str, channel: str, user_id: str, resume_hash: str | None = None
    ) -> Conversation:
        with Session(self.engine) as session:
            conv = session.get(Conversation, conversation_id)
            if conv is None:
                conv = Conversation(id=conversation_id, channel=channel, user_id=user_id, resume_hash=resume_hash)
                session.add(conv)
                session.commit()
                session.refresh(conv)
            return conv

    def set_mode(self, conversation_id: str, mode: Mode, handoff: dict | None = None) -> None:
        """Unconditional mode change (administrative; the desk uses change_mode)."""
        values: dict[str, Any] = {"mode": mode.value, "mode_seq": Conversation.mode_seq + 1, "updated_at": utcnow()}
        if handoff is not None:
            values["handoff"] = handoff
        if mode is Mode.QUEUED:
            values["queued_at"] = utcnow()
        with Session(self.engine) as session:
            session.exec(update(Conversation).where(col(Conversation.id) == conversation_id).values(**values))
            session.commit()

    def receive(
        self, msg: InboundMessage, error_code: str | None = None, original_length: int | None = None, hold: bool = False
    ) -> TurnState:
        """Store a citizen message (creating its conversation if new) in one transaction and
        return the conversation's state at that moment. A message for the bot stays `pending`
        until the bot's replies to it are stored; with `hold` any message does (it is stored
        ahead of its turn). A message whose `client_id` (metadata) is stored already is not
        stored again: its state says whether it was answered; a held one that people, not the
        bot, answer (the conversation is queued or with an agent) stops being pending here."""
        client_id = msg.metadata.get("client_id")
        payload = {k: v for k, v in msg.metadata.items() if k != "client_id"}
        for attempt in range(2):
            # Not expired on commit: the new row's id is read without another query (issue 17).
            with Session(self.engine, expire_on_commit=False) as session:
                conv = session.get(Conversation, msg.conversation_id)
                if conv is None:
                    conv = Conversation(id=msg.conversation_id, channel=msg.channel, user_id=msg.user_id)
                state = TurnState(Mode(conv.mode), conv.mode_seq or 0, conv.callback)
                if client_id is not None:
                    stored = session.exec(
                        select(Message).where(
                            Message.conversation_id == msg.conversation_id, Message.client_id == client_id
                        )
                    ).first()
                    if stored is not None:
                        if stored.pending and not hold and state.mode is not Mode.BOT:
                            stored.pending = False
                            session.add(stored)
                            session.commit()
                            return replace(state, message_id=stored.id)
                        return replace(state, message_id=stored.id, answered=not stored.pending)
                conv.updated_at = utcnow()
                session.add(conv)
                row = Message(
                    conversation_id=msg.conversation_id,
                    direction="in",
                    sender="citizen",
                    text=msg.text,
                    payload=payload,
                    error_code=error_code,
                    client_id=client_id,
                    pending=error_code is None and (hold or state.mode is Mode.BOT),
                    original_length=original_length,
                )
                session.add(row)
                try:
                    session.commit()
                except IntegrityError:  # the same client id stored by a concurrent turn
                    if attempt or client_id is None:
                        raise
                    continue
                return replace(state, message_id=row.id)
        raise AssertionError("unreachable")

    def add_inbound(self, msg: InboundMessage, error_code: str | None = None) -> Mode:
        return self.receive(msg, error_code).mode

    def add_outbound(
        self, conversation_id: str, replies: Sequence[Reply], when: Mode | None = None, answered: int | None = None
    ) -> bool:
        """Store replies; with `when`, only if the conversation is still in that mode (else nothing
        is stored and False is returned). `answered`: the citizen message they answer."""
        with Session(self.engine) as session:
            stmt = update(Conversation).where(col(Conversation.id) == conversation_id)
            if when is not None:
                stmt = stmt.where(col(Conversation.mode) == when.value)
            if session.exec(stmt.values(updated_at=utcnow())).rowcount != 1 and when is not None:
                return False
            self._add_replies(session, conversation_id, replies)
            self._settle(session, answered)
            session.commit()
            return True

    def finish_bot_turn(
        self,
        conversation_id: str,
        seq: int,
        replies: Sequence[Reply],
        handoff: dict | None = None,
        queue: bool = False,
        priority: int = 0,
        answered: int | None = None,
    ) -> bool:
        """Store the bot's replies if the conversation is still with the bot as the turn found it;
        keep a handoff summary and, with `queue`, put the conversation in the agents' queue.
        Otherwise the replies are kept for the record as SUPERSEDED, never delivered, and False
        is returned. Either way the citizen message `answered` is no longer pending."""
        now = utcnow()
        values: dict[str, Any] = {"updated_at": now}
        if handoff is not None:
            values["handoff"] = handoff
        if queue:
            values |= {
                "mode": Mode.QUEUED.value,
                "mode_seq": seq + 1,
                "queued_at": now,
                "priority": priority,
                "agent": None,
                "callback": None,
                "draft": None,
            }
        with Session(self.engine) as session:
            stmt = update(Conversation).where(
                col(Conversation.id) == conversation_id,
                col(Conversation.mode) == Mode.BOT.value,
                col(Conversation.mode_seq) == seq,
            )
            current = session.exec(stmt.values(**values)).rowcount == 1
            self._add_replies(session, conversation_id, replies, None if current else SUPERSEDED)
            self._settle(session, answered)
            if current and queue:
                reason = str((handoff or {}).get("reason"))[:200]
                session.add(DeskEvent(conversation_id=conversation_id, kind="queued", note=reason))
            session.commit()
            return current

    def change_mode(
        self,
        conversation_id: str,
        to: Mode,
        from_modes: Collection[Mode],
        *,
        agent: str | None = None,
        values: dict[str, Any] | None = None,
        replies: Sequence[Reply] = (),
        event: dict[str, Any] | None = None,
    ) -> Conversation | None:
        """Move the conversation to `to` if it is in one of `from_modes` (and, with `agent`, held
        by that agent), storing `replies` and a desk `event` in the same transaction. Returns the
        changed conversation, or None if the condition did not hold."""
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            stmt = update(Conversation).where(
                col(Conversation.id) == conversation_id, col(Conversation.mode).in_([m.value for m in from_modes])
            )
            if agent is not None:
                stmt = stmt.where(col(Conversation.agent) == agent)
            changes = {"mode": to.value, "mode_seq": Conversation.mode_seq + 1, "updated_at": now, **(values or {})}
            if session.exec(stmt.values(**changes)).rowcount != 1:
                session.rollback()
                return None
            conv = session.get_one(Conversation, conversation_id)
            self._add_replies(session, conversation_id, replies)
            if event is not None:
                if event.get("kind") == "taken" and conv.queued_at is not None:
                    event = {**event, "wait_s": max(0.0, (_aware(now) - _aware(conv.queued_at)).total_seconds())}
                session.add(DeskEvent(conversation_id=conversation_id, **event))
            session.commit()
            return conv

    def update_held(
        self, conversation_id: str, agent: str, values: dict[str, Any] | None = None, replies: Sequence[Reply] = ()
    ) -> bool:
        """Change fields of / add messages to a conversation only while `agent` holds it."""
        with Session(self.engine) as session:
            stmt = update(Conversation).where(
                col(Conversation.id) == conversation_id,
                col(Conversation.mode) == Mode.AGENT.value,
                col(Conversation.agent) == agent,
            )
            if session.exec(stmt.values(updated_at=utcnow(), **(values or {}))).rowcount != 1:
                session.rollback()
                return False
            self._add_replies(session, conversation_id, replies)
            session.commit()
            return True

    def set_fields(self, conversation_id: str, **values: Any) -> None:
        with Session(self.engine) as session:
            session.exec(update(Conversation).where(col(Conversation.id) == conversation_id).values(**values))
            session.commit()

    def add_desk_event(self, conversation_id: str, kind: str, **fields: Any) -> None:
        with Session(self.engine) as session:
            session.add(DeskEvent(conversation_id=conversation_id, kind=kind, **fields))
            session.commit()

    def history(self, conversation_id: str, limit: int = 200) -> list[Message]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(col(Message.id).desc())
                .limit(limit)
            ).all()
            return list(reversed(rows))

    def unanswered(self, conversation_id: str) -> list[Message]:
        """The conversation's pending citizen messages, oldest first."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id, col(Message.pending).is_(True))
                .order_by(col(Message.id))
            ).all()
            return list(rows)

    def settle(self, message_id: int) -> None:
        with Session(self.engine) as session:
            self._settle(session, message_id)
            session.commit()

    # Agent desk queries.

    QUEUE_ORDER = (col(Conversation.priority).desc(), col(Conversation.queued_at), col(Conversation.id))

    def queued(self) -> list[Conversation]:
        """The queue: emergencies first, then first come first served."""
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Conversation).where(Conversation.mode == Mode.QUEUED.value).order_by(*self.QUEUE_ORDER)
                ).all()
            )

    def queue_ids(self) -> list[str]:
        """The queue's conversation ids in queue order (a citizen's place: no rows, summaries
        or drafts loaded, however long the queue)."""
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Conversation.id).where(Conversation.mode == Mode.QUEUED.value).order_by(*self.QUEUE_ORDER)
                ).all()
            )

    def held(self, agent: str | None = None) -> list[Conversation]:
        """Conversations with an agent (all of them, or one agent's)."""
        query = select(Conversation).where(Conversation.mode == Mode.AGENT.value)
        if agent is not None:
            query = query.where(Conversation.agent == agent)
        with Session(self.engine) as session:
            return list(session.exec(query.order_by(col(Conversation.taken_at))).all())

    def last_citizen_texts(self, conversation_ids: Sequence[str]) -> dict[str, str]:
        if not conversation_ids:
            return {}
        with Session(self.engine) as session:
            last = (
                select(func.max(Message.id))
                .where(
                    col(Message.conversation_id).in_(conversation_ids),
                    Message.direction == "in",
                    col(Message.error_code).is_(None),
                )
                .group_by(Message.conversation_id)
            )
            rows = session.exec(select(Message).where(col(Message.id).in_(last))).all()
            return {m.conversation_id: (m.payload or {}).get("title") or m.text for m in rows}

    def takes_since(self, since: datetime) -> list[DeskEvent]:
        with Session(self.engine) as session:
            return list(
                session.exec(select(DeskEvent).where(DeskEvent.kind == "taken", DeskEvent.created_at >= since)).all()
            )

    @staticmethod
    def _settle(session: Session, message_id: int | None) -> None:
        if message_id is not None:
            session.exec(update(Message).where(col(Message.id) == message_id).values(pending=False))

    @staticmethod
    def _add_replies(
        session: Session, conversation_id: str, replies: Sequence[Reply], error_code: str | None = None
    ) -> None:
        for reply in replies:
            body = reply.to_dict()
            session.add(
                Message(
                    conversation_id=conversation_id,
                    direction="out",
                    sender=reply.sender,
                    text=reply.text,
                    payload={"buttons": body["buttons"], "data": body["data"]},
                    error_code=error_code,
                )
            )
