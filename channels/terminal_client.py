"""`hotline chat`: a terminal client of the gateway's `/ws/chat` protocol (websockets library)."""

import asyncio
import json
import sys
from urllib.parse import urlencode

import websockets

IDLE_AFTER_EOF_S = 2.0
REPLY_WAIT_S = 30.0
QUIET_S = 0.2
SENDERS = {"bot": "智能客服", "agent": "人工客服", "system": "系统", "citizen": "我"}


def ws_url(base_url: str, conversation_id: str | None, resume_token: str | None = None) -> str:
    url = base_url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://") + "/ws/chat"
    if not conversation_id:
        return url
    return f"{url}?{urlencode({'conversation_id': conversation_id, 'resume_token': resume_token or ''})}"


async def chat_in_terminal(base_url: str, conversation_id: str | None = None, resume_token: str | None = None) -> int:
    buttons: list[dict] = []
    last_frame = asyncio.Event()
    answered = asyncio.Event()  # a message or error arrived since the last send

    def show(frame: dict) -> None:
        kind = frame.get("type")
        if kind == "session":
            print(
                f"[会话 {frame['conversation_id']} 恢复口令 {frame.get('resume_token', '')}]  "
                "输入 /quit 退出，输入数字选择按钮。",
                flush=True,
            )
        elif kind == "history":
            for m in frame.get("messages", []):
                print(f"  {SENDERS.get(m['sender'], m['sender'])}: {m['text']}")
        elif kind == "message":
            print(f"{SENDERS.get(frame.get('sender'), '客服')}: {frame.get('text', '')}")
            buttons[:] = frame.get("buttons") or []
            for i, b in enumerate(buttons, 1):
                print(f"   [{i}] {b['title']}")
        elif kind == "status":
            print(f"[状态: {frame.get('mode')}]")
        elif kind == "error":
            print(f"[错误 {frame.get('code')}] {frame.get('message')}")
        sys.stdout.flush()

    async with websockets.connect(ws_url(base_url, conversation_id, resume_token), max_size=2**22) as ws:

        async def reader() -> None:
            async for raw in ws:
                frame = json.loads(raw)
                show(frame)
                last_frame.set()
                if frame.get("type") in ("message", "error"):
                    answered.set()

        reading = asyncio.create_task(reader())
        try:
            while True:
                try:
                    line = (await asyncio.to_thread(input)).strip()
                except EOFError:
                    await _drain(last_frame, IDLE_AFTER_EOF_S)
                    return 0
                if line in {"/quit", "/exit"}:
                    return 0
                if not line:
                    continue
                if line.isdigit() and 1 <= int(line) <= len(buttons):
                    b = buttons[int(line) - 1]
                    frame = {"type": "button", "payload": b["payload"], "title": b["title"]}
                else:
                    frame = {"type": "text", "text": line}
                answered.clear()
                await ws.send(json.dumps(frame, ensure_ascii=False))
                # Read the next line only once the answer is shown (its buttons may be chosen).
                try:
                    await asyncio.wait_for(answered.wait(), REPLY_WAIT_S)
                except TimeoutError:
                    print("[暂未收到回复]", flush=True)
                await _drain(last_frame, QUIET_S)
        finally:
            reading.cancel()


async def _drain(activity: asyncio.Event, quiet_s: float) -> None:
    """Let what still arrives be printed, until the line has been quiet for quiet_s."""
    while True:
        activity.clear()
        try:
            await asyncio.wait_for(activity.wait(), quiet_s)
        except TimeoutError:
            return
