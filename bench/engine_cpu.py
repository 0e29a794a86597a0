"""Rasa's CPU per turn (issue 17): a Rasa server, the action server and a stub gateway, scripted
conversations over Rasa's REST channel one turn at a time, and the CPU time Rasa's process spent on
each kind of turn (nanoseconds from /proc/<pid>/task/*/schedstat). With --py-spy it also samples
Rasa during the measured turns and says where the time goes.

  python bench/engine_cpu.py [--model models/X.tar.gz] [--conversations 20] [--bare] [--py-spy PATH]

--bare runs `rasa run` itself instead of `python -m bot.engine_runtime run` (Rasa without the
project's patch): the "before" figure. The stub gateway answers work orders and knowledge-base
searches at once, so only Rasa and the actions are measured.
"""

import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import Settings
from runtime.engine_env import engine_command
from runtime.stack import action_server_command, action_server_env, rasa_command, rasa_env
from runtime.training import model_path
from tests.helpers import free_port, wait_http

PLACED = {"address": "朝阳区劲松街道农光里", "district": "朝阳区", "street": "劲松街道"}
# (kind, text, what the gateway recognised in it): one conversation, a complaint through the intake
# form to its work order, then a consultation.
SCRIPT = [
    ("greet", "你好", {}),
    ("form_start", "我要投诉，楼下饭馆油烟太大，晚上根本睡不着", {}),
    ("form_address", "朝阳区劲松街道农光里", PLACED),
    ("form_occurred", "昨天晚上十点", {"occurred_at": "2026-12-05T22:00:00+08:00"}),
    ("form_phone", "13520086677", {"contact_phone": "13520086677"}),
    ("form_confirm", "对", {}),
    ("consult", "我想问一下居住证怎么办理", {}),
]
ORDER = {
    "number": "26120600012",
    "status": "dispatched",
    "urgency": "24h",
    "request_type": "complain",
    "district": "朝阳区",
    "department": "劲松街道办事处",
    "category_path": ["城乡建设", "市容环卫", "垃圾清运"],
}
KB_NONE = {"decision": "none", "facet": None, "results": [], "related": []}
# Where the sampled time goes: the first bucket with a frame matching its pattern.
BUCKETS = [
    ("jsonschema (action response check)", r"jsonschema"),
    ("tracker store (SQLite load, save, commit)", r"tracker_store|sqlalchemy"),
    ("TEDPolicy (TensorFlow inference)", r"ted_policy"),
    ("RulePolicy / MemoizationPolicy", r"rule_policy|memoization"),
    ("NLU (tokenizer, featurizers, DIET)", r"rasa/nlu/|parse_message"),
    ("action server calls (tracker JSON, HTTP client)", r"aiohttp/|rasa/utils/endpoints|_action_call_format"),
    ("prediction graph (dask runner, featurizers)", r"rasa/engine/|rasa/core/featurizers|dask/"),
    (
        "other Rasa (processor, trackers, forms, NLG)",
        r"rasa/core/processor|rasa/shared/|rasa/core/actions|rasa/core/nlg",
    ),
    ("event loop (uvloop I/O and waiting, Sanic)", r"sanic/|uvloop|asyncio"),
]


class StubGateway(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = ORDER if self.path.startswith("/api/tickets") else KB_NONE
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += children.get(p, [])
    return tree


def cpu_ns(pid: int) -> int:
    """CPU time of the process tree's live threads, in nanoseconds."""
    total = 0
    for p in process_tree(pid):
        for task in Path(f"/proc/{p}/task").glob("*/schedstat"):
            with contextlib.suppress(OSError, ValueError, IndexError):  # the thread ended meanwhile
                total += int(task.read_text().split()[0])
    return total


def start(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    out = open(log, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        argv, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def turn(client: httpx.Client, url: str, sender: str, text: str, extracted: dict) -> list[dict]:
    body = {"sender": sender, "message": text, "metadata": {"channel": "web", "extracted": extracted, "text": text}}
    resp = client.post(f"{url}/webhooks/rest/webhook", json=body, timeout=60)
    resp.raise_for_status()
    return resp.json()


def actions_per_turn(client: httpx.Client, url: str, token: str, sender: str) -> list[tuple[str, list[str]]]:
    """What Rasa ran after each user message: (intent, [actions]) from the tracker's events."""
    events = client.get(f"{url}/conversations/{sender}/tracker", params={"token": token}).json()["events"]
    turns: list[tuple[str, list[str]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append(((event.get("parse_data") or {}).get("intent", {}).get("name"), []))
        elif event["event"] == "action" and turns and event["name"] != "action_listen":
            turns[-1][1].append(event["name"])
    return turns


def where_time_goes(raw: Path) -> list[tuple[str, float]]:
    """py-spy's collapsed stacks (raw format) in BUCKETS: share of the samples."""
    buckets: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")[::-1]  # innermost first
        name = "other"
        for label, pattern in BUCKETS:
            if any(re.search(pattern, f) for f in frames):
                name = label
                break
        buckets[name] += n
    return [(name, n / total) for name, n in buckets.most_common()] if total else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--bare", action="store_true", help="bare `rasa run` (Rasa's own response check)")
    parser.add_argument("--py-spy", dest="py_spy", default=None, help="path of py-spy: sample Rasa while measuring")
    parser.add_argument("--keep", type=Path, default=None, help="directory to keep logs and the py-spy output in")
    args = parser.parse_args()
    model = (args.model or model_path(ROOT)).resolve()
    if not model.exists():
        sys.exit(f"no model at {model}: run `hotline train` first")

    work = args.keep or Path(tempfile.mkdtemp(prefix="engine-cpu-"))
    work.mkdir(parents=True, exist_ok=True)
    gateway = ThreadingHTTPServer(("127.0.0.1", free_port()), StubGateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    settings = Settings(
        var_dir=work / "var",
        rasa_port=free_port(),
        action_port=free_port(),
        port=gateway.server_address[1],
        rasa_token="bench-token-0123456789",
        action_token="bench-action-0123456789",
        api_keys="bench-api-key-0123456789",
    )
    argv = rasa_command(settings, model, settings.rasa_port)
    if args.bare:
        argv = engine_command("rasa", *argv[argv.index("run") :])
    actions = start(action_server_command(settings), action_server_env(settings), work / "actions.log")
    rasa = start(argv, rasa_env(settings), work / "rasa.log")
    url, token = settings.rasa_base_url, settings.rasa_auth_token
    spy = None
    try:
        wait_http(f"{settings.action_server_base_url}/health", 120, proc=actions)
        wait_http(f"{url}/status?token={token}", 300, ok=lambda r: r.status_code == 200, proc=rasa)
        client = httpx.Client()
        for i in range(args.warmup):
            for _, text, extracted in SCRIPT:
                turn(client, url, f"web:warmup-{i}", text, extracted)
        if args.py_spy:
            spy = subprocess.Popen(
                [
                    args.py_spy,
                    "record",
                    "--pid",
                    str(rasa.pid),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--output",
                    str(work / "rasa.pyspy.txt"),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)
        per_kind: dict[str, list[float]] = defaultdict(list)
        wall: dict[str, list[float]] = defaultdict(list)
        started_cpu, started = cpu_ns(rasa.pid), time.perf_counter()
        for i in range(args.conversations):
            for kind, text, extracted in SCRIPT:
                before, t0 = cpu_ns(rasa.pid), time.perf_counter()
                replies = turn(client, url, f"web:bench-{i}", text, extracted)
                wall[kind].append((time.perf_counter() - t0) * 1000)
                per_kind[kind].append((cpu_ns(rasa.pid) - before) / 1e6)
                if not replies:
                    print(f"  (no reply to {kind!r} in conversation {i})")
        total_ms = (cpu_ns(rasa.pid) - started_cpu) / 1e6
        elapsed = time.perf_counter() - started
        if spy:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        turns = args.conversations * len(SCRIPT)
        label = "bare rasa run" if args.bare else "bot.engine_runtime (patched)"
        print(
            f"\nRasa CPU per turn, {label}, {args.conversations} conversations × {len(SCRIPT)} turns,"
            f" model {model.name}"
        )
        print(f"{'turn':<15}{'CPU ms p50':>11}{'mean':>8}{'wall ms p50':>13}  actions Rasa ran")
        script_turns = actions_per_turn(client, url, token, "web:bench-0")
        for (kind, _, _), (intent, ran) in zip(SCRIPT, script_turns, strict=False):
            cpu = per_kind[kind]
            print(
                f"{kind:<15}{statistics.median(cpu):>11.1f}{statistics.fmean(cpu):>8.1f}"
                f"{statistics.median(wall[kind]):>13.1f}  {intent}: {', '.join(ran)}"
            )
        form = [c for k, v in per_kind.items() if k.startswith("form_") for c in v]
        print(
            f"all turns: {total_ms / turns:.1f} ms CPU per turn (mean); form turns: {statistics.fmean(form):.1f} ms; "
            f"wall {elapsed / turns * 1000:.1f} ms per turn"
        )
        if spy and (work / "rasa.pyspy.txt").exists():
            print("\nwhere Rasa's time goes (py-spy samples while measuring, active threads):")
            for name, share in where_time_goes(work / "rasa.pyspy.txt"):
                print(f"  {share * 100:5.1f}%  {name}")
        print(f"\nlogs: {work}")
        return 0
    finally:
        if spy and spy.poll() is None:
            spy.kill()
        stop(rasa)
        stop(actions)
        gateway.shutdown()


if __name__ == "__main__":
    sys.exit(main())
