"""Agent desk benchmark: how fast agents' and citizens' words cross the desk.

Starts its own gateways (Rasa is not needed: citizens ask for a person with /request_human) and
measures, for N queued citizens served by a few agents:
  take     POST take -> the citizen's page shows 人工客服已接入
  to-citizen  POST message -> the citizen's socket receives it
  to-agent    citizen's socket sends -> the agent's /ws/agent receives it
once with one gateway (in-process bus) and once with the citizen on gateway A and the agents on
gateway B joined by Redis (HOTLINE_REDIS_URL, default redis://127.0.0.1:6379/0).
Prints p50/p95/p99 in milliseconds.
"""

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.agent.live import AgentClient, add_agent, queued_citizen, start_gateway


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(name: str, values: list[float]) -> None:
    ms = [v * 1000 for v in values]
    print(
        f"  {name:<11} n={len(ms):<4} p50={pct(ms, 50):7.1f} ms  p95={pct(ms, 95):7.1f} ms  "
        f"p99={pct(ms, 99):7.1f} ms  mean={statistics.mean(ms):7.1f} ms"
    )


async def serve(agent: AgentClient, chats: list, messages: int, results: dict[str, list[float]]) -> None:
    for chat in chats:
        cid = chat.conversation_id
        started = time.perf_counter()
        resp = await agent.post(agent.conv(cid, "take"))
        assert resp.status_code == 200, resp.text
        await chat.recv_until(lambda f: f["type"] == "status" and f["mode"] == "agent")
        results["take"].append(time.perf_counter() - started)
        for i in range(messages):
            text = f"坐席回复{i}"
            started = time.perf_counter()
            await agent.post(agent.conv(cid, "messages"), json={"text": text})
            await chat.recv_until(lambda f, t=text: f.get("text") == t)
            results["to-citizen"].append(time.perf_counter() - started)
            said = f"市民留言{i}-{cid[-6:]}"
            started = time.perf_counter()
            await chat.ws.send(json.dumps({"type": "text", "text": said}, ensure_ascii=False))
            await agent.next_event(lambda e, s=said: e["type"] == "message" and e["message"]["text"] == s)
            results["to-agent"].append(time.perf_counter() - started)
        await agent.post(agent.conv(cid, "close"), json={"work_order": False})


async def run(citizen_gw, agent_gw, agents: list[str], citizens: int, messages: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"take": [], "to-citizen": [], "to-agent": []}
    chats = [await queued_citizen(citizen_gw.ws) for _ in range(citizens)]
    clients = [await AgentClient.login(agent_gw.http, name) for name in agents]
    for client in clients:
        await client.connect()
    shares = [chats[i :: len(clients)] for i in range(len(clients))]
    await asyncio.gather(*(serve(c, s, messages, results) for c, s in zip(clients, shares, strict=True)))
    for client in clients:
        await client.close()
    for chat in chats:
        await chat.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=20)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--messages", type=int, default=10, help="messages each way per conversation")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    names = [f"bench{i}" for i in range(args.agents)]
    with tempfile.TemporaryDirectory(prefix="desk-bench-") as tmp:
        one_dir, two_dir = Path(tmp, "one"), Path(tmp, "two")
        one_dir.mkdir()
        two_dir.mkdir()
        print(f"agent desk: {args.citizens} citizens, {args.agents} agents, {args.messages} messages each way")
        gw = start_gateway(one_dir)
        try:
            for name in names:
                add_agent(gw.env, name)
            print("one gateway (in-process bus):")
            for name, values in asyncio.run(run(gw, gw, names, args.citizens, args.messages)).items():
                report(name, values)
        finally:
            gw.stop()
        redis_env = {"HOTLINE_REDIS_URL": args.redis_url, "HOTLINE_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"}
        a, b = start_gateway(two_dir, **redis_env), start_gateway(two_dir, **redis_env)
        try:
            for name in names:
                add_agent(a.env, name)
            print("two gateways (citizens on A, agents on B, Redis):")
            for name, values in asyncio.run(run(a, b, names, args.citizens, args.messages)).items():
                report(name, values)
        finally:
            a.stop()
            b.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
