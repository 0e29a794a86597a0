"""Agent accounts: hashed passwords, signed expiring tokens, login limits, the token secret
setting, and `hotline agents add` as a real command."""

import os
import stat
import subprocess
import sys

import pytest
from sqlmodel import Session, select

from conversation.bus import MemoryBus
from core.db import init_db, make_engine
from core.settings import Settings
from desk.accounts.limits import LoginLimiter, LoginLimits
from desk.accounts.models import AgentAccount
from desk.accounts.service import AccountError, AgentAccounts
from desk.accounts.tokens import InvalidToken, TokenSigner
from tests.conftest import ROOT

KEY = "k3Y-for-tests-0123456789abcdefghijkLMNOP"


@pytest.fixture()
def accounts(tmp_path):
    db = make_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    init_db(db)
    return AgentAccounts(db)


def test_passwords_are_stored_as_argon2_hashes_and_checked(accounts):
    agent = accounts.add("Alice", "correct horse 42", "agent", "王丽")
    assert (agent.username, agent.display_name, agent.role) == ("alice", "王丽", "agent")
    with Session(accounts.engine) as session:
        row = session.exec(select(AgentAccount)).one()
    assert row.password_hash.startswith("$argon2id$") and "correct horse" not in row.password_hash
    assert accounts.authenticate("alice", "correct horse 42") == agent
    assert accounts.authenticate("ALICE ", "correct horse 42") == agent
    assert accounts.authenticate("alice", "correct horse 43") is None
    assert accounts.authenticate("nobody", "correct horse 42") is None


@pytest.mark.parametrize(
    ("username", "password", "role"),
    [
        ("a", "long enough pw", "agent"),
        ("bad name", "long enough pw", "agent"),
        ("carol", "short", "agent"),
        ("carol", "long enough pw", "admin"),
        ("carol", "carol", "agent"),
        ("carol", " padded password ", "agent"),
    ],
)
def test_bad_accounts_are_refused(accounts, username, password, role):
    with pytest.raises(AccountError):
        accounts.add(username, password, role)


def test_usernames_are_unique(accounts):
    accounts.add("bob", "first password", "agent")
    with pytest.raises(AccountError, match="exists"):
        accounts.add("BOB", "second password", "supervisor")


def test_tokens_carry_the_agent_and_expire():
    now = [1_800_000_000.0]
    signer = TokenSigner(KEY, ttl_s=600, clock=lambda: now[0])
    token, claims = signer.issue("alice", "agent")
    assert signer.verify(token) == claims and claims.expires_at == 1_800_000_600
    now[0] += 599
    assert signer.verify(token).username == "alice"
    now[0] += 1
    with pytest.raises(InvalidToken, match="expired"):
        signer.verify(token)


def test_forged_and_altered_tokens_are_refused():
    signer = TokenSigner(KEY, ttl_s=600)
    token, _ = signer.issue("alice", "agent")
    other, _ = TokenSigner(KEY + "x", ttl_s=600).issue("alice", "supervisor")
    body, sig = token.split(".")
    forged_body = other.split(".")[0]
    for bad in (other, f"{forged_body}.{sig}", f"{body}.{sig[:-2]}AA", body, "", "a.b.c", f"{body}."):
        with pytest.raises(InvalidToken):
            signer.verify(bad)


def test_token_secret_is_generated_privately_or_must_be_strong(tmp_path):
    first = Settings(var_dir=tmp_path).agent_token_key
    assert Settings(var_dir=tmp_path).agent_token_key == first and len(first) >= 40
    assert stat.S_IMODE((tmp_path / "secrets" / "agent_token_secret").stat().st_mode) == 0o600
    assert Settings(var_dir=tmp_path, agent_token_secret=KEY).agent_token_key == KEY
    for weak in ("short", "changeme" * 5, "a" * 40, "my-secret-signing-key-for-the-hotline-1234"):
        with pytest.raises(ValueError):
            _ = Settings(var_dir=tmp_path, agent_token_secret=weak).agent_token_key


async def test_failed_logins_are_limited_per_username_and_address():
    bus = MemoryBus()
    limiter = LoginLimiter(bus, LoginLimits(failures=3, attempts=10))
    for _ in range(3):
        assert await limiter.admit("alice", "10.0.0.1") is None
        await limiter.failed("alice", "10.0.0.1")
    assert await limiter.admit("alice", "10.0.0.1") == LoginLimits().failure_window_s
    assert await limiter.admit("alice", "10.0.0.2") is None  # another address
    assert await limiter.admit("bob", "10.0.0.1") is None  # another username
    await limiter.succeeded("bob", "10.0.0.1")
    # Any attempts from one address are capped too (spraying many usernames).
    for i in range(6):
        await limiter.admit(f"user{i}", "10.0.0.9")
    refused = [await limiter.admit(f"other{i}", "10.0.0.9") for i in range(6)]
    assert refused.count(None) == 4 and refused[-1] == LoginLimits().attempt_window_s


async def test_a_successful_login_clears_the_failures():
    limiter = LoginLimiter(MemoryBus(), LoginLimits(failures=3))
    for _ in range(2):
        await limiter.failed("alice", "h")
    await limiter.succeeded("alice", "h")
    for _ in range(2):
        await limiter.failed("alice", "h")
    assert await limiter.admit("alice", "h") is None


def test_hotline_agents_add_reads_the_password_from_stdin(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_") and k != "DATABASE_URL"}
    env["HOTLINE_VAR_DIR"] = str(tmp_path)

    def add(*args: str, password: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cli", "agents", "add", *args],
            cwd=ROOT,
            env=env,
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = add("zhang.san", "--role", "supervisor", "--display-name", "张三", password="a long pass phrase")
    assert done.returncode == 0, done.stderr
    assert "added supervisor zhang.san" in done.stdout
    assert add("zhang.san", password="another pass phrase").returncode == 1
    short = add("li.si", password="short")
    assert short.returncode == 1 and "password" in short.stderr
    db = make_engine(f"sqlite:///{tmp_path / 'hotline.db'}")
    agent = AgentAccounts(db).authenticate("zhang.san", "a long pass phrase")
    assert agent is not None and agent.role == "supervisor" and agent.display_name == "张三"
