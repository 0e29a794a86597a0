"""The two runtimes share no module: the gateway never imports Rasa or the bot, the bot never
imports gateway packages."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = [
    "app.py",
    "cli.py",
    "api",
    "core",
    "conversation",
    "channels",
    "runtime",
    "tickets",
    "normalize",
    "places",
    "knowledge_base",
    "voice",
    "desk",
    "safety",
    "followup",
    "reports",
]
ENGINE = ["bot"]
ENGINE_ONLY = {"rasa", "rasa_sdk", "bot"}


def python_files(names: list[str]) -> list[Path]:
    files = []
    for name in names:
        path = ROOT / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def top_level_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_gateway_never_imports_rasa_or_the_bot():
    offenders = {str(f.relative_to(ROOT)): sorted(top_level_imports(f) & ENGINE_ONLY) for f in python_files(GATEWAY)}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_bot_imports_nothing_from_the_gateway():
    gateway_modules = {Path(n).stem for n in GATEWAY}
    offenders = {str(f.relative_to(ROOT)): sorted(top_level_imports(f) & gateway_modules) for f in python_files(ENGINE)}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_boundary_check_sees_every_package():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages <= set(GATEWAY) | set(ENGINE), f"add new packages to GATEWAY or ENGINE: {packages}"
