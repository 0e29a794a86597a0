"""Dialogue engines: the interface, and Rasa behind its REST channel."""

import asyncio
import itertools
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from conversation.messages import Button, InboundMessage, Reply
from conversation.replicas import ReplicaPins
from core.log_ids import short_id

log = logging.getLogger(__name__)


class EngineUnavailable(Exception):
    """The dialogue engine could not produce an answer (down, timed out, or erroring)."""


class DialogueEngine(Protocol):
    async def handle(self, msg: InboundMessage) -> list[Reply]: ...

    async def health(self) -> dict[str, Any]: ...


# A replica that refused the connection, or dropped it without any answer: it is down or dying
# (its supervisor restarts it). A kept-alive connection to a replica that was just killed fails
# with ReadError or RemoteProtocolError, not ConnectError. Rasa saves a turn only after computing
# it, so a replica that died meanwhile almost surely did not save it: the next one may take it.
REPLICA_GONE = (httpx.NetworkError, httpx.ConnectTimeout, httpx.RemoteProtocolError)


class RasaEngine:
    """Talks to `rasa run --enable-api` over its REST channel (sender id = conversation id); the
    HTTP API calls (parse, status, tracker events) carry Rasa's auth token. With several Rasa
    replicas, each conversation is pinned to one of them (conversation/replicas.py); a replica
    that is gone (REPLICA_GONE) hands its conversations to the next in their order."""

    def __init__(
        self,
        base_url: str | Sequence[str],
        client: httpx.AsyncClient,
        timeout_s: float = 15.0,
        max_in_flight: int = 2,
        token: str | None = None,
    ) -> None:
        self.pins = ReplicaPins([base_url] if isinstance(base_url, str) else base_url)
        self.client = client
        self._auth = {"token": token} if token else {}
        self.timeout_s = timeout_s
        # Rasa works one turn at a time; a short first-come-first-served queue per replica keeps
        # waiting fair under overload (Rasa's own scheduling lets some requests starve).
        self._in_flight = {url: asyncio.Semaphore(max_in_flight) for url in self.pins.replicas}

    async def _post(self, replicas: list[str], path: str, **kwargs: Any) -> httpx.Response:
        """POST to the first replica that answers, within timeout_s. The next one is tried only
        when the connection failed without an answer (REPLICA_GONE); an HTTP error or a slow
        answer is not retried elsewhere: that replica may still be working on the turn."""
        async with asyncio.timeout(self.timeout_s):
            for url, fallback in itertools.pairwise(replicas):
                try:
                    return await self._post_to(url, path, **kwargs)
                except REPLICA_GONE as exc:
                    log.warning("rasa replica %s did not answer (%s); trying %s", url, type(exc).__name__, fallback)
            return await self._post_to(replicas[-1], path, **kwargs)

    async def _post_to(self, url: str, path: str, **kwargs: Any) -> httpx.Response:
        async with self._in_flight[url]:
            return await self.client.post(f"{url}{path}", timeout=None, **kwargs)

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        body = {
            "sender": msg.conversation_id,
            "message": msg.text,
            "metadata": {"channel": msg.channel, **msg.metadata},
        }
        try:
            resp = await self._post(self.pins.order(msg.conversation_id), "/webhooks/rest/webhook", json=body)
            resp.raise_for_status()
            items = resp.json()
        except TimeoutError as exc:
            raise EngineUnavailable(f"rasa did not answer within {self.timeout_s:.0f} s") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise EngineUnavailable(f"rasa request failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(items, list):
            raise EngineUnavailable("rasa returned a non-list body")
        return merge_attachments([reply for item in items if (reply := self._to_reply(item)) is not None])

    @staticmethod
    def _to_reply(item: dict[str, Any]) -> Reply | None:
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", ""))) for b in item.get("buttons") or []
        )
        custom = item.get("custom")
        text = item.get("text") or ""
        if not text and not buttons and not isinstance(custom, dict):
            return None
        return Reply(text=text, buttons=buttons, data=custom if isinstance(custom, dict) else {})

    async def reset(self, conversation_id: str) -> None:
        """Restart the conversation's dialogue state in Rasa (slots, active form); best effort."""
        path = f"/conversations/{quote(conversation_id, safe=':')}/tracker/events"
        try:
            resp = await self._post(
                self.pins.order(conversation_id), path, params=self._auth, json=[{"event": "restart"}]
            )
            resp.raise_for_status()
        except (TimeoutError, httpx.HTTPError) as exc:
            log.warning("could not reset the dialogue of %s: %s", short_id(conversation_id), type(exc).__name__)
            return
        log.info("dialogue of %s reset", short_id(conversation_id))

    async def parse(self, text: str) -> str | None:
        """The intent NLU sees in a text (no dialogue turn; the replicas take turns); None when
        Rasa cannot answer."""
        try:
            resp = await self._post(self.pins.spread(), "/model/parse", params=self._auth, json={"text": text})
            resp.raise_for_status()
            return (resp.json().get("intent") or {}).get("name")
        except (TimeoutError, httpx.HTTPError, ValueError):
            return None

    async def health(self) -> dict[str, Any]:
        """One replica: its state; several: ok only when every one is, each listed."""
        states = await asyncio.gather(*(self._replica_health(url) for url in self.pins.replicas))
        if len(states) == 1:
            return states[0]
        return {"ok": all(s["ok"] for s in states), "replicas": list(states)}

    async def _replica_health(self, url: str) -> dict[str, Any]:
        try:
            resp = await self.client.get(f"{url}/status", params=self._auth, timeout=2.0)
            resp.raise_for_status()
            status = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            return {"ok": False, "url": url, "error": type(exc).__name__}
        model = status.get("model_file")
        return {"ok": bool(model), "url": url, "model": model}


# Data keys a channel shows with the text before them (Rasa sends a message's json_message as a
# separate item); every other key (e.g. "handoff") stays its own reply for the router to act on.
ATTACHMENT_KEYS = frozenset({"work_order", "kb", "alert", "expect", "emergency"})


def merge_attachments(replies: list[Reply]) -> list[Reply]:
    """Attach a text-less data reply (work-order card, knowledge-base source …) to the reply before it."""
    out: list[Reply] = []
    for reply in replies:
        attachable = not reply.text and not reply.buttons and reply.data and set(reply.data) <= ATTACHMENT_KEYS
        if attachable and out and out[-1].text:
            out[-1] = replace(out[-1], data={**out[-1].data, **reply.data})
        else:
            out.append(reply)
    return out
