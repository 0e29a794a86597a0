"""Helpers of the closed-loop browser tests: accounts made with the CLI (unique names: the stack is
shared by the whole test session), work orders filed and moved with the API key or a token."""

import subprocess
import sys
import uuid

import httpx

from tests.conftest import ROOT

PASSWORD = "loop console pass 7"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def add_account(stack, name: str, role: str, unit: str | None = None) -> str:
    extra = ["--unit", unit] if unit else []
    done = subprocess.run(
        [sys.executable, "-m", "cli", "agents", "add", name, "--role", role, *extra],
        cwd=ROOT,
        env=stack.env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return name


def tickets_of(stack, conversation_id: str) -> list[dict]:
    """The work orders of one chat conversation, read with the API key."""
    resp = httpx.get(
        f"{stack.http}/api/tickets", params={"conversation_id": conversation_id}, headers=api_key(stack), timeout=20
    )
    return resp.json()["items"]


def token(stack, name: str) -> dict:
    resp = httpx.post(f"{stack.http}/api/agent/login", json={"username": name, "password": PASSWORD}, timeout=20)
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def api_key(stack) -> dict:
    return {"Authorization": f"Bearer {stack.secret('api_key')}"}


def file_order(stack, **fields) -> str:
    body = {"request_type": "complain", "channel": "phone", **fields}
    resp = httpx.post(f"{stack.http}/api/tickets", json=body, headers=api_key(stack), timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()["number"]


def attempt(stack, number: str, action: str, headers: dict, body: dict | None = None) -> httpx.Response:
    """One closed-loop action, whatever the answer."""
    return httpx.post(f"{stack.http}/api/tickets/{number}/{action}", json=body or {}, headers=headers, timeout=30)


def act(stack, number: str, action: str, headers: dict, body: dict | None = None) -> dict:
    """One closed-loop action that must succeed: the updated order."""
    resp = attempt(stack, number, action, headers, body)
    assert resp.status_code == 200, (action, resp.status_code, resp.text)
    return resp.json()


def order(stack, number: str) -> dict:
    resp = httpx.get(f"{stack.http}/api/tickets/{number}", headers=api_key(stack), timeout=20)
    assert resp.status_code == 200, resp.text
    return resp.json()
