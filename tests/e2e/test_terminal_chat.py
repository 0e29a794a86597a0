"""`hotline chat` talks to the running gateway over the real WebSocket."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_terminal_chat_conversation(stack):
    result = subprocess.run(
        [sys.executable, "-m", "cli", "chat", "--url", stack.http],
        input="你好\n2\n",
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[会话 web:" in out
    assert "12345市民服务热线" in out
    assert "[2] 反映问题" in out
    # "2" picked the second button (反映问题 -> /complain): the intake form asks what happened.
    assert "具体说一下遇到了什么问题" in out
