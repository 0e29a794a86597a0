"""One machine, the scale-out in small: `hotline up` with HOTLINE_RASA_REPLICAS=2 (two Rasa
servers, one action server, gateway A), a second gateway B (`hotline serve`, same database, the
real Redis for the desk), and Debian's nginx in front of both gateways with the routing maps of
deploy/nginx/nginx.conf. Citizens' chats and the agent console go only through nginx.

- A conversation moves between the gateways (resumed behind the proxy) and every turn goes to
  the Rasa replica it is pinned to: with the other replica frozen, the intake form goes on.
- When its replica dies, the next turn fails over to the other one (one tracker store) and the
  form goes on; the supervisor brings the replica back.
- A citizen on gateway A and an agent on gateway B talk through the proxy, both ways, and the bot
  takes the conversation back after the release."""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis
import websockets

from conversation.replicas import ReplicaPins
from core.settings import Settings
from tests.agent.live import TOKEN_SECRET, AgentClient, add_agent
from tests.conftest import ROOT, stack_env
from tests.helpers import _HANDED_OUT as HANDED_OUT, ChatClient, free_port, texts, wait_http

# Two Rasa servers and two gateways start inside the first test: on a busy 2-core machine that
# alone may take minutes.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REDIS_URL = "redis://127.0.0.1:6379/0"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROUTE_COOKIE = "hotline_route"


def two_free_ports() -> int:
    """A port p with p + 1 free too (replica i listens on HOTLINE_RASA_PORT + i); p + 1 is then
    never handed out by free_port either."""
    while True:
        port = free_port()
        if port + 1 in HANDED_OUT:
            continue
        try:
            httpx.get(f"http://127.0.0.1:{port + 1}", timeout=0.2)
        except httpx.ConnectError:
            HANDED_OUT.add(port + 1)
            return port
        except httpx.HTTPError:
            pass


def nginx_conf(workdir: Path, listen: int, gateways: list[int]) -> str:
    """The deploy balancer's routing maps (cookie, resumed conversation id, else a fresh key) around
    loopback upstreams; X-Upstream tells the test which gateway answered."""
    deploy = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    maps = re.findall(r"^    map .*?^    \}$", deploy, flags=re.MULTILINE | re.DOTALL)
    assert len(maps) == 3, "deploy/nginx/nginx.conf changed: update this test's extraction"
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=2 fail_timeout=10s;" for port in gateways)
    return f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
{temp}
    log_format test '$request_method $uri $status upstream=$upstream_addr route=$cookie_hotline_route';
    access_log {workdir / "access.log"} test;
{chr(10).join(maps)}
    upstream gateways {{
        hash $hotline_route_key consistent;
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{listen};
        add_header Set-Cookie $hotline_route_cookie always;
        add_header X-Upstream $upstream_addr always;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header Connection "";
        location ~ ^/ws/(chat|agent|media)$ {{
            proxy_pass http://gateways;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
            proxy_buffering off;
        }}
        location / {{
            proxy_pass http://gateways;
        }}
    }}
}}
"""


@dataclass
class Cluster:
    proxy: str  # http://127.0.0.1:<nginx>
    gateways: dict[str, str]  # "A"/"B" -> 127.0.0.1:<port> (nginx's $upstream_addr)
    var_dir: Path
    env: dict
    settings: Settings  # as the gateways see it (Rasa URLs, tokens)
    gateway_b_log: Path
    routes: dict[str, str] = field(default_factory=dict)

    @property
    def ws(self) -> str:
        return self.proxy.replace("http://", "ws://")

    def route_to(self, name: str) -> str:
        """A route cookie that nginx sends to gateway `name` (found by asking it, then kept)."""
        for _ in range(64):
            if name in self.routes:
                return self.routes[name]
            cookie = uuid.uuid4().hex
            resp = httpx.get(f"{self.proxy}/favicon.ico", cookies={ROUTE_COOKIE: cookie}, timeout=10)
            gateway = {address: n for n, address in self.gateways.items()}[resp.headers["x-upstream"]]
            self.routes.setdefault(gateway, cookie)
        raise AssertionError(f"no route cookie reaches gateway {name}")

    def pid(self, process: str) -> int:
        return int((self.var_dir / "run" / f"{process}.pid").read_text())


def stop(proc: subprocess.Popen, timeout: float = 40) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def kill_leftovers(run_dir: Path) -> None:
    """Process groups `hotline up` started and did not stop (it removes a pid file once stopped)."""
    for pid_file in run_dir.glob("*.pid"):
        with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: run scripts/install-system-packages.sh test (make test does)")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.fail(f"this test needs the real Redis at {REDIS_URL}: {exc}")
    var_dir = tmp_path_factory.mktemp("proxy-cluster")
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    a, b, rasa, actions, listen = free_port(), free_port(), two_free_ports(), free_port(), free_port()
    shared = {
        "HOTLINE_RASA_REPLICAS": "2",
        "HOTLINE_REDIS_URL": REDIS_URL,
        "HOTLINE_REDIS_PREFIX": prefix,
        "HOTLINE_AGENT_TOKEN_SECRET": TOKEN_SECRET,
        "HOTLINE_KB_WATCH": "false",
        "HOTLINE_ENGINE_TIMEOUT_S": "45",
    }
    env_a = {**stack_env(var_dir, gateway=a, rasa=rasa, actions=actions), **shared}
    env_b = {**stack_env(var_dir, gateway=b, rasa=rasa, actions=actions), **shared}
    procs: list[subprocess.Popen] = []
    logs = [open(var_dir / name, "wb") for name in ("hotline-up.log", "gateway-b.log", "nginx.out")]  # noqa: SIM115
    try:
        up = subprocess.Popen(
            [sys.executable, "-m", "cli", "up"], cwd=ROOT, env=env_a, stdout=logs[0], stderr=subprocess.STDOUT
        )
        procs.append(up)
        deadline = time.monotonic() + 600  # a first start on a busy machine may train
        while b"hotline is up" not in (var_dir / "hotline-up.log").read_bytes():
            assert up.poll() is None and time.monotonic() < deadline, (var_dir / "hotline-up.log").read_text()[-3000:]
            time.sleep(0.5)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=env_b, stdout=logs[1], stderr=subprocess.STDOUT
            )
        )
        wait_http(f"http://127.0.0.1:{b}/healthz", 120, proc=procs[-1])
        workdir = var_dir / "nginx"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (workdir / "tmp" / kind).mkdir(parents=True)
        (workdir / "nginx.conf").write_text(nginx_conf(workdir, listen, [a, b]))
        procs.append(
            subprocess.Popen(
                [NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
                stdout=logs[2],
                stderr=subprocess.STDOUT,
            )
        )
        proxy = f"http://127.0.0.1:{listen}"
        wait_http(f"{proxy}/healthz", 30, proc=procs[-1])
        add_agent(env_a, "alice")
        settings = Settings(var_dir=var_dir, rasa_port=rasa, rasa_replicas=2)
        yield Cluster(
            proxy, {"A": f"127.0.0.1:{a}", "B": f"127.0.0.1:{b}"}, var_dir, env_a, settings, var_dir / "gateway-b.log"
        )
    finally:
        for proc in reversed(procs):  # nginx, gateway B, then `hotline up` (it stops its own processes)
            stop(proc)
        kill_leftovers(var_dir / "run")
        for log in logs:
            log.close()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


async def chat_on(cluster: Cluster, gateway: str, previous: ChatClient | None = None) -> ChatClient:
    """A citizen's /ws/chat through the proxy, routed to `gateway` by the balancer's cookie; a
    resume of `previous` when given."""
    url = f"{cluster.ws}/ws/chat"
    if previous is not None:
        url += f"?conversation_id={previous.conversation_id}&resume_token={previous.resume_token}"
    ws = await websockets.connect(url, additional_headers={"Cookie": f"{ROUTE_COOKIE}={cluster.route_to(gateway)}"})
    chat = ChatClient(ws)
    session = await chat.recv()
    assert session["type"] == "session", session
    chat.conversation_id, chat.resume_token = session["conversation_id"], session["resume_token"]
    await chat.recv_until(lambda f: f["type"] == "status")
    return chat


def replica_process(cluster: Cluster, url: str) -> str:
    index = cluster.settings.local_rasa_urls.index(url)
    return "rasa" if index == 0 else f"rasa-{index}"


def test_hotline_up_started_and_warmed_two_replicas(cluster):
    said = (cluster.var_dir / "hotline-up.log").read_text()
    for line in ("rasa: ready", "rasa-1: ready", "actions: ready", "gateway: ready", "warm-up: ready"):
        assert re.search(rf"^\[\s*\d+s\] {line}", said, flags=re.MULTILINE), said[-3000:]
    key = (cluster.var_dir / "secrets" / "api_key").read_text().strip()
    health = httpx.get(f"{cluster.proxy}/healthz", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    replicas = health["components"]["rasa"]["replicas"]
    assert [r["url"] for r in replicas] == list(cluster.settings.local_rasa_urls) and all(r["ok"] for r in replicas)


async def test_a_conversation_keeps_its_replica_across_gateways_and_fails_over(cluster):
    first = await chat_on(cluster, "A")
    cid = first.conversation_id
    assert "哪个区" in texts(await first.say("我要投诉 楼下新开的饭馆油烟太大 窗户都不敢开", timeout=40))
    await first.close()
    own, other = ReplicaPins(cluster.settings.rasa_base_urls).order(cid)

    frozen = cluster.pid(replica_process(cluster, other))
    os.kill(frozen, signal.SIGSTOP)  # a turn sent there would hang: both gateways must pick `own`
    try:
        on_b = await chat_on(cluster, "B", first)
        assert on_b.conversation_id == cid
        assert "什么时候" in texts(await on_b.say("海淀区中关村大街1号院", timeout=40))
        await on_b.close()
        on_a = await chat_on(cluster, "A", on_b)
        assert "联系电话" in texts(await on_a.say("昨天晚上十点", timeout=40))
        await on_a.close()
    finally:
        os.kill(frozen, signal.SIGCONT)

    own_process = replica_process(cluster, own)
    os.kill(cluster.pid(own_process), signal.SIGKILL)  # its replica dies; the supervisor restarts it
    on_b = await chat_on(cluster, "B", on_a)
    readback = texts(await on_b.say("13900001111", timeout=60))
    assert "核对" in readback and "海淀区中关村大街1号院" in readback  # the other replica went on with the form
    failover = rf"rasa replica {re.escape(own)} did not answer \(\w+\); trying {re.escape(other)}"
    assert re.search(failover, cluster.gateway_b_log.read_text())
    assert "已为您登记工单" in texts(await on_b.say("对的", timeout=60))
    await on_b.close()

    token = cluster.settings.rasa_auth_token
    wait_http(f"{own}/status?token={token}", 300)  # back, under `hotline up`'s supervisor
    tracker = httpx.get(f"{own}/conversations/{cid}/tracker", params={"token": token}, timeout=30).json()
    turns = [e for e in tracker["events"] if e["event"] == "user"]
    assert len(turns) >= 5, turns  # one tracker store: the restarted replica sees every turn, wherever it ran


async def test_citizen_on_one_gateway_and_agent_on_the_other_through_the_proxy(cluster):
    citizen, citizen_route = await chat_on(cluster, "A"), cluster.route_to("A")
    cid = citizen.conversation_id
    alice = await AgentClient.login(cluster.proxy, "alice")
    to_b = cluster.route_to("B")
    alice.http.cookies.set(ROUTE_COOKIE, to_b)
    alice.ws = await websockets.connect(
        f"{cluster.ws}/ws/agent?token={alice.token}", additional_headers={"Cookie": f"{ROUTE_COOKIE}={to_b}"}
    )
    await alice.next_event(lambda e: e["type"] == "hello")

    frames = await citizen.click("/request_human", "转人工")
    assert [f["mode"] for f in frames if f["type"] == "status"] == ["queued"], frames
    handoff = await alice.next_event(lambda e: e["type"] == "handoff" and e["conversation_id"] == cid, timeout=20)
    assert handoff["reason"] == "requested"

    taken = await alice.post(alice.conv(cid, "take"))
    assert taken.status_code == 200 and taken.headers["x-upstream"] == cluster.gateways["B"]
    frames = await citizen.recv_until(lambda f: f["type"] == "status", timeout=20)
    assert [f["mode"] for f in frames if f["type"] == "status"] == ["agent"]
    sent = await alice.post(alice.conv(cid, "messages"), json={"text": "您好，请问具体地址在哪里？"})
    assert sent.status_code == 200
    [frame] = [
        f for f in await citizen.recv_until(lambda f: f["type"] == "message", timeout=20) if f["type"] == "message"
    ]
    assert (frame["sender"], frame["text"]) == ("agent", "您好，请问具体地址在哪里？")

    await citizen.ws.send('{"type": "text", "text": "在海淀区中关村大街1号"}')
    said = await alice.next_event(lambda e: e["type"] == "message" and e["message"]["sender"] == "citizen", 20)
    assert said["conversation_id"] == cid and said["message"]["text"] == "在海淀区中关村大街1号"

    assert (await alice.post(alice.conv(cid, "release"))).status_code == 200
    frames = await citizen.recv_until(lambda f: f["type"] == "status", timeout=20)
    assert [f["mode"] for f in frames if f["type"] == "status"] == ["bot"]
    assert "12345" in texts(await citizen.say("你好", timeout=40))  # the bot (its pinned Rasa) is back
    await citizen.close()
    await alice.close()

    log = (cluster.var_dir / "nginx" / "access.log").read_text()  # the proxy carried both, as routed
    assert re.search(rf"/ws/chat 101 upstream={re.escape(cluster.gateways['A'])} route={citizen_route}", log)
    assert re.search(rf"/ws/agent 101 upstream={re.escape(cluster.gateways['B'])} route={to_b}", log)
