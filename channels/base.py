"""The interface every channel implements."""

from typing import Protocol

from conversation.messages import Reply


class Channel(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, conversation_id: str, replies: list[Reply]) -> None: ...
