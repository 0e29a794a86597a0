"""Persistence of conversations and messages (sync sqlmodel; callers run it off the event loop)."""

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversation.messages import InboundMessage, Mode, Reply
from conversation.models import Conversation, Message
from core.clock import utcnow


class ConversationStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, conversation_id: str) -> Conversation | None:
        with Session(self.engine) as session:
            return session.get(Conversation, conversation_id)

    def get_or_create(self, conversation_id: str, channel: str, user_id: str) -> Conversation:
        with Session(self.engine) as session:
            conv = session.get(Conversation, conversation_id)
            if conv is None:
                conv = Conversation(id=conversation_id, channel=channel, user_id=user_id)
                session.add(conv)
                session.commit()
                session.refresh(conv)
            return conv

    def set_mode(self, conversation_id: str, mode: Mode, handoff: dict | None = None) -> None:
        with Session(self.engine) as session:
            conv = session.get(Conversation, conversation_id)
            conv.mode = mode.value
            if handoff is not None:
                conv.handoff = handoff
            conv.updated_at = utcnow()
            session.add(conv)
            session.commit()

    def add_inbound(self, msg: InboundMessage, error_code: str | None = None) -> Mode:
        """Store a citizen message (creating its conversation if new) in one transaction and
        return the conversation's mode at that moment."""
        with Session(self.engine) as session:
            conv = session.get(Conversation, msg.conversation_id)
            if conv is None:
                conv = Conversation(id=msg.conversation_id, channel=msg.channel, user_id=msg.user_id)
            conv.updated_at = utcnow()
            session.add(conv)
            session.add(
                Message(
                    conversation_id=msg.conversation_id,
                    direction="in",
                    sender="citizen",
                    text=msg.text,
                    payload=msg.metadata,
                    error_code=error_code,
                )
            )
            mode = Mode(conv.mode)
            session.commit()
            return mode

    def add_outbound(self, conversation_id: str, replies: list[Reply]) -> None:
        with Session(self.engine) as session:
            for reply in replies:
                body = reply.to_dict()
                payload = {"buttons": body["buttons"], "data": body["data"]}
                session.add(
                    Message(
                        conversation_id=conversation_id,
                        direction="out",
                        sender=reply.sender,
                        text=reply.text,
                        payload=payload,
                    )
                )
            self._touch(session, conversation_id)
            session.commit()

    def history(self, conversation_id: str, limit: int = 200) -> list[Message]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id.desc())
                .limit(limit)
            ).all()
            return list(reversed(rows))

    @staticmethod
    def _touch(session: Session, conversation_id: str) -> None:
        conv = session.get(Conversation, conversation_id)
        if conv is not None:
            conv.updated_at = utcnow()
            session.add(conv)
