"""Fixtures of the end-to-end tests (the stack itself is in tests/conftest.py)."""

import pytest

from tests.helpers import ARTIFACTS, launch_chromium


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, one per test module."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()
