"""The staffroom command, run as a school admin would run it.

`serve`, `worker` and a bad setting run the real executable; the other
commands run through the same `main` in this process (`Node.staffroom`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from actors.local import account_by_name
from actors.passwords import verify_password
from actors.tokens import account_for_token
from tests.support.node import ROOT, Node, free_port, wait_until


@pytest.fixture
def node(db_kind: str, tmp_path: Path) -> Any:
    node = Node(tmp_path, db_kind)
    yield node
    node.close()


def test_serve_refuses_an_unmigrated_database(node: Node) -> None:
    result = node.staffroom_process("serve", "--port", str(free_port()))
    assert result.returncode == 1
    assert "staffroom migrate" in result.stderr


def test_migrate_then_manage_users(node: Node) -> None:
    assert node.staffroom("migrate").returncode == 0

    created = node.staffroom(
        "users", "create", "marie", "--role", "teacher", "--display-name", "Marie Curie",
        "--subject", "Physics", "--password-stdin", input="radium-and-polonium\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "marie@" in created.stdout
    assert "one-time password" not in created.stdout

    generated = node.staffroom("users", "create", "paul", "--role", "parent")
    assert generated.returncode == 0
    assert "one-time password: " in generated.stdout

    taken = node.staffroom("users", "create", "MARIE", "--password-stdin", input="another-pass\n")
    assert taken.returncode == 1
    assert "already taken" in taken.stderr
    bad_role = node.staffroom("users", "create", "zed", "--role", "janitor")
    assert bad_role.returncode == 1
    assert "unknown role" in bad_role.stderr

    listed = node.staffroom("users", "list").stdout
    assert "marie@" in listed
    assert "teacher" in listed
    assert "paul@" in listed
    assert "parent" in listed

    token = node.staffroom("users", "token", "marie", "--scopes", "read,write").stdout.strip()
    assert len(token) > 30

    async def check(session: Any) -> None:
        found = await account_for_token(session, token)
        assert found is not None
        account, scopes = found
        assert scopes == {"read", "write"}
        _, actor = await account_by_name(session, "marie")  # type: ignore[misc]
        assert account.actor_id == actor.id
        assert actor.fields == [{"name": "Subject", "value": "Physics"}]
        assert verify_password(account.password_hash, "radium-and-polonium")
        assert await account_for_token(session, token + "x") is None

    node.with_session(check)


def test_ensure_admin_creates_the_first_admin_once(node: Node) -> None:
    assert node.staffroom("migrate").returncode == 0
    first = node.staffroom("users", "ensure-admin")
    assert "one-time password (shown once): " in first.stdout
    second = node.staffroom("users", "ensure-admin")
    assert second.returncode == 0
    assert second.stdout == ""


def test_invalid_setting_stops_with_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "staffroom", "migrate", "--domain", "not a domain"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "STAFFROOM_DATA_DIR": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 2
    assert "STAFFROOM_DOMAIN must be host[:port]" in result.stderr


def test_worker_and_serve_no_workers_start(node: Node) -> None:
    assert node.staffroom("migrate").returncode == 0
    worker = subprocess.Popen(
        [sys.executable, "-m", "staffroom", "worker"],
        env=node.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert "worker running" in line
    finally:
        worker.terminate()
        code = worker.wait(timeout=15)
        worker.stdout.close()  # type: ignore[union-attr]
    assert code == 0
    node.workers = False
    node.start()
    assert httpx.get(f"{node.base_url}/healthz", timeout=5).json() == {"ok": True}
    wait_until(lambda: "Application startup complete" in node.log())
