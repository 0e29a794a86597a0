"""Chat latency benchmark: N concurrent citizens on /ws/chat, each sending a message every few
seconds (think time), then a saturation run without think time.

Prints p50/p95/p99 turn latency (message sent -> last reply frame received) and turns per second
(with its own stack also the CPU per turn of the gateway, Rasa and the action server during the
load phase, from /proc), and beside them the same load sent straight to Rasa's REST channel (/webhooks/rest/webhook: the
same model and action server, no gateway) in the same run: the ratio of the two p95s is the figure
that holds across machines. Without --url it starts its own stack (`hotline up` on free ports,
state in a temp dir, the chat's rate limits lifted); with --url, pass --rasa-url for the Rasa
comparison, and lift the limits of that system (HOTLINE_CHAT_ADDRESS_PER_S and friends): from one
address the saturation run meets them, and refused turns are counted as errors, not answers.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import contextlib

from tests.conftest import stack_env
from tests.helpers import free_port, wait_http

# What citizens say (no handoff triggers: those leave the bot by design).
UTTERANCES = [
    "你好", "喂 你好", "我要投诉 楼下饭馆油烟太大了", "在朝阳区望京街道", "昨天晚上十点多",
    "我想问一下居住证怎么办理", "我要举报有人占道经营", "我们小区停水了能帮忙看看吗",
    "建议多开几趟公交", "表扬一下社区的李师傅", "好的谢谢", "我的工单处理到哪了", "对的",
    "不用了", "算了不办了", "你是机器人吗",
]  # fmt: skip


async def citizen(url: str, think_s: float, until: float, latencies: list[float], errors: list[str]) -> None:
    try:
        async with websockets.connect(f"{url}/ws/chat", max_size=2**22, open_timeout=30) as ws:
            json.loads(await ws.recv())  # session
            json.loads(await ws.recv())  # status
            # Citizens arrive at random moments, not all in the same millisecond.
            await asyncio.sleep(random.uniform(0, 2 * think_s))
            while time.monotonic() < until:
                sent = time.perf_counter()
                await ws.send(json.dumps({"type": "text", "text": random.choice(UTTERANCES)}, ensure_ascii=False))
                last, refused = None, None
                while True:  # the first message frame, then whatever follows right behind it
                    try:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), 30 if last is None else 0.05))
                    except TimeoutError:
                        break
                    if frame["type"] in ("message", "error", "status"):
                        last = time.perf_counter()
                    if frame["type"] == "error":  # e.g. rate_limited: an error, not an answered turn
                        refused = str(frame.get("code"))
                if last is None:
                    errors.append("no reply")
                    return
                if refused is not None:
                    errors.append(refused)
                    await asyncio.sleep(1.0)
                    continue
                latencies.append(last - sent)
                if think_s:
                    await asyncio.sleep(random.uniform(0.5 * think_s, 1.5 * think_s))
    except (OSError, websockets.WebSocketException, TimeoutError) as exc:
        errors.append(type(exc).__name__)


async def rest_citizen(rasa_url: str, think_s: float, until: float, latencies: list[float], errors: list[str]) -> None:
    """The same citizen, straight to Rasa's REST channel (one HTTP request per turn)."""
    sender = f"bench:{uuid.uuid4().hex}"
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.sleep(random.uniform(0, 2 * think_s))
        while time.monotonic() < until:
            sent = time.perf_counter()
            try:
                resp = await client.post(
                    f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": random.choice(UTTERANCES)}
                )
                resp.raise_for_status()
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                return
            latencies.append(time.perf_counter() - sent)
            if think_s:
                await asyncio.sleep(random.uniform(0.5 * think_s, 1.5 * think_s))


Citizen = Callable[[str, float, float, list[float], list[str]], Awaitable[None]]


async def run_phase(url: str, n: int, think_s: float, duration_s: float, one: Citizen = citizen) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    until = started + duration_s
    await asyncio.gather(*(one(url, think_s, until, latencies, errors) for _ in range(n)))
    elapsed = time.monotonic() - started
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed}


def report(name: str, n: int, think_s: float, result: dict) -> float | None:
    """Prints the phase's figures; returns its p95 (s)."""
    lat = sorted(result["latencies"])
    if not lat:
        print(f"{name}: no turns completed; errors: {result['errors'][:5]}")
        return None
    q = statistics.quantiles(lat, n=100, method="inclusive")
    kinds = ", ".join(f"{k} {v}" for k, v in Counter(result["errors"]).most_common())
    print(
        f"{name}: {n} conversations, think time {think_s:.1f} s, {len(lat)} turns in {result['elapsed']:.1f} s\n"
        f"  turn latency  p50 {q[49] * 1000:7.1f} ms   p95 {q[94] * 1000:7.1f} ms   p99 {q[98] * 1000:7.1f} ms"
        f"   max {lat[-1] * 1000:7.1f} ms\n"
        f"  throughput    {len(lat) / result['elapsed']:.1f} turns/s   errors {len(result['errors'])}"
        + (f" ({kinds})" if kinds else "")
    )
    return q[94]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (MiB)."""
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024


def tree(pid: int) -> list[int]:
    """A process and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
    return out


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


PROCESSES = ("gateway", "rasa", "actions")


def start_stack(var_dir: Path) -> tuple[str, str, subprocess.Popen]:
    """The gateway's and Rasa's base URLs of a stack started here, and its process."""
    port, rasa = free_port(), free_port()
    env = stack_env(var_dir, gateway=port, rasa=rasa, actions=free_port())
    # Every simulated citizen shares one address, and the saturation phase has no think time: the
    # chat rate limits (measured in tests/e2e/test_chat_limits.py) would measure themselves here.
    env |= {
        "HOTLINE_CHAT_BURST": "1000",
        "HOTLINE_CHAT_PER_S": "1000",
        "HOTLINE_CHAT_ADDRESS_BURST": "100000",
        "HOTLINE_CHAT_ADDRESS_PER_S": "100000",
    }
    log = open(var_dir / "hotline-up.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", 300, ok=lambda r: r.json()["status"] == "ok", proc=proc)
    while b"hotline is up" not in (var_dir / "hotline-up.log").read_bytes():
        time.sleep(0.3)
    return f"http://127.0.0.1:{port}", f"http://127.0.0.1:{rasa}", proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="gateway base URL of a running system (default: start one)")
    parser.add_argument("--rasa-url", help="with --url: that system's Rasa base URL, for the REST comparison")
    parser.add_argument("-n", "--conversations", type=int, default=50)
    parser.add_argument("--think", type=float, default=2.0, help="mean think time between a citizen's messages (s)")
    parser.add_argument("--duration", type=float, default=60.0, help="length of the load phase (s)")
    parser.add_argument("--saturation-duration", type=float, default=20.0, help="length of the saturation phase (s)")
    args = parser.parse_args()

    proc = None
    tmp = tempfile.TemporaryDirectory(prefix="hotline-bench-")
    url, rasa_url = args.url, args.rasa_url
    if url is None:
        print("starting the stack (hotline up) ...", flush=True)
        url, rasa_url, proc = start_stack(Path(tmp.name))
    try:
        ws_url = url.replace("http://", "ws://").replace("https://", "wss://")
        asyncio.run(run_phase(ws_url, 5, 0.2, 3))  # warm-up
        pids = {n: int((Path(tmp.name) / "run" / f"{n}.pid").read_text()) for n in PROCESSES} if proc else {}
        before = {name: cpu_s(pid) for name, pid in pids.items()}
        load = asyncio.run(run_phase(ws_url, args.conversations, args.think, args.duration))
        chat_p95 = report("load over /ws/chat", args.conversations, args.think, load)
        if pids and load["latencies"]:
            per_turn = {n: (cpu_s(pid) - before[n]) * 1000 / len(load["latencies"]) for n, pid in pids.items()}
            print("  CPU per turn  " + "   ".join(f"{n} {ms:.1f} ms" for n, ms in per_turn.items()))
        sat = asyncio.run(run_phase(ws_url, args.conversations, 0.0, args.saturation_duration))
        report("saturation over /ws/chat", args.conversations, 0.0, sat)
        if rasa_url:
            rest = asyncio.run(run_phase(rasa_url, args.conversations, args.think, args.duration, rest_citizen))
            rest_p95 = report("the same load on Rasa REST (no gateway)", args.conversations, args.think, rest)
            rest_sat = asyncio.run(run_phase(rasa_url, args.conversations, 0.0, args.saturation_duration, rest_citizen))
            report("saturation on Rasa REST", args.conversations, 0.0, rest_sat)
            if chat_p95 and rest_p95:
                print(f"  p95 ratio /ws/chat : Rasa REST = {chat_p95 / rest_p95:.2f}")
        if proc is not None:
            for name, pid in pids.items():
                print(f"  memory {name:8s} {rss_mb(pid):7.0f} MiB RSS")
        print("health:", httpx.get(f"{url}/healthz", timeout=5).json()["status"])
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        tmp.cleanup()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
