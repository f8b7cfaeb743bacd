"""The layering of docs/architecture.md, checked on every import in the tree.

Dependencies point downward only: the wire and storage import nothing of
ours, and no layer imports one above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"federation", "storage", "actors", "content", "inbox", "outbox", "api", "web", "staffroom"}
ALLOWED: dict[str, set[str]] = {
    "federation": set(),
    "storage": set(),
    "outbox": {"federation", "storage"},
    "actors": {"federation", "storage", "outbox"},
    "content": {"actors", "federation", "storage", "outbox"},
    "inbox": {"actors", "content", "federation", "storage"},
    "api": {"actors", "content", "federation", "storage", "outbox", "inbox"},
    "web": {"actors", "content", "federation", "storage", "outbox", "inbox"},
    "staffroom": OURS,
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


def modules() -> list[Path]:
    return sorted(
        path
        for package in ALLOWED
        if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*.py")
    )


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_downward(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    upward = imported_packages(path) - ALLOWED[package] - {package}
    assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)} above {package}/"


def test_the_check_sees_the_packages() -> None:
    assert len(modules()) > 20
