"""The layout is the architecture (docs/architecture.md): imports only go down the layers.

realtime (plumbing) imports no app; the game's rules (rooms/game) do no I/O; quizzes knows nothing of
games; results knows nothing of the live game; the live game (rooms) tells chat things by signals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("quizzone", "realtime", "quizzes", "results", "rooms", "chat")

# package -> the project packages it may import
ALLOWED = {
    "realtime": set(),
    "quizzes": {"realtime"},
    "results": {"realtime", "quizzes"},
    "rooms": {"realtime", "quizzes", "results"},
    "chat": {"realtime", "quizzes", "results", "rooms"},
}
PURE_GAME_MAY_IMPORT = {
    "__future__",
    "collections",
    "dataclasses",
    "functools",
    "hashlib",  # reclaim codes are compared as hashes: computation, no I/O
    "hmac",
    "math",
    "typing",
    "unicodedata",
}
PURE_GAME_PROJECT_MODULES = {"quizzes.kinds", "realtime.frames"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _modules(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_downwards(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package)
        for name in _imports(path)
        if name.split(".")[0] in APPS and name.split(".")[0] not in ALLOWED[package] | {package}
    }
    assert not wrong, sorted(wrong)


def test_the_game_rules_are_pure() -> None:
    wrong = set()
    for path in (ROOT / "rooms" / "game").glob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            allowed = (
                bool({name, name.rsplit(".", 1)[0]} & PURE_GAME_PROJECT_MODULES)
                if top in APPS
                else top in PURE_GAME_MAY_IMPORT
            )
            if not allowed:
                wrong.add(f"{path.name} imports {name}")
    assert not wrong, sorted(wrong)


def test_realtime_frames_and_kinds_do_no_io() -> None:
    tops = {name.split(".")[0] for name in _imports(ROOT / "realtime" / "frames.py")}
    assert tops <= {"orjson", "collections", "typing"}
    assert _imports(ROOT / "quizzes" / "kinds.py") == set()
