"""Rasa sends the domain only to the actions that need it (endpoints: enable_selective_domain; Rasa
always sends it to validate_* actions): every other action must not read its `domain` argument,
which arrives empty."""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["endpoints.yml", "endpoints.scale-out.yml"])
def test_endpoints_send_the_domain_selectively(name):
    assert yaml.safe_load((ROOT / name).read_text())["action_endpoint"]["enable_selective_domain"] is True


def action_name(cls: ast.ClassDef) -> str | None:
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == "name":
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Constant):
                    return ret.value.value
    return None


def test_only_validation_actions_read_the_domain():
    readers = []
    for path in sorted((ROOT / "bot" / "actions").glob("*.py")):
        for cls in ast.walk(ast.parse(path.read_text())):
            name = action_name(cls) if isinstance(cls, ast.ClassDef) else None
            if name is None or name.startswith("validate_"):
                continue
            used = any(
                isinstance(n, ast.Name) and n.id == "domain" and isinstance(n.ctx, ast.Load) for n in ast.walk(cls)
            )
            if used:
                readers.append(f"{path.name}: {name}")
    assert readers == []
