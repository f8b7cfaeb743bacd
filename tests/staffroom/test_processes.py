"""``serve --processes N --worker-processes M``: N web and M worker processes act as one node."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from federation.signatures import sign_cavage
from staffroom.settings import Settings, load_settings, settings_env
from tests.support.node import Node, wait_until
from tests.support.procfs import children_of, stat_fields
from tests.support.remote import RemoteServer, remote_server

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def test_settings_survive_the_trip_through_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        env={
            "STAFFROOM_DOMAIN": "school.example:8443",
            "STAFFROOM_DATA_DIR": str(tmp_path),
            "STAFFROOM_NODE_NAME": "Lyceum 7",
            "STAFFROOM_NODE_DESCRIPTION": "Teachers of Lyceum 7",
            "STAFFROOM_ALLOW_HTTP": "true",
            "STAFFROOM_WORKERS": "false",
            "STAFFROOM_PROCESSES": "3",
            "STAFFROOM_WORKER_PROCESSES": "2",
            "STAFFROOM_API_RATE_LIMIT": "77",
        }
    )
    assert load_settings(env=settings_env(settings)) == settings
    # Every field travels, so a setting added later cannot be lost on the way to a child.
    assert len(settings_env(settings)) == len(fields(Settings))
    assert "STAFFROOM_MEDIA_DIR" not in settings_env(replace(settings, media_dir=None))


def alive(pid: int) -> bool:
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def started_children(node: Node) -> set[int]:
    """The node's web processes (when more than one) and workers, once started."""
    assert node.process is not None
    parent = node.process.pid
    wanted = node.worker_processes + (node.processes if node.processes > 1 else 0)

    def enough() -> set[int] | None:
        found = children_of(parent)
        return found if len(found) >= wanted else None

    return wait_until(enough, timeout=20)


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteServer]:
    with remote_server() as server:
        yield server


@pytest.fixture(params=[(2, 2), (1, 2)], ids=["2-web-2-workers", "1-web-2-workers"])
def node(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Node]:
    web, workers = request.param
    node = Node(tmp_path, db_kind, processes=web, worker_processes=workers)
    node.migrate()
    node.create_user("bob")
    node.start()
    yield node
    node.close()


def id_tags_held(node: Node) -> dict[int, int]:
    """Which process holds which id tag (storage/id_tags.py), read from /proc/locks."""
    tags = {
        path.stat().st_ino: int(path.stem) for path in (node.dir / "data" / "id-tags").glob("*")
    }
    held = {}
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()  # "1: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END"
        if fields[1] == "FLOCK" and (inode := int(fields[5].split(":")[2])) in tags:
            held[int(fields[4])] = tags[inode]
    return held


def test_web_processes_and_workers_serve_one_node(node: Node, remote: RemoteServer) -> None:
    children = started_children(node)
    assert node.process is not None
    # Each process holds its own id tag, so their row ids can never collide.
    count = node.processes + node.worker_processes

    def all_held() -> dict[int, int] | None:
        held = id_tags_held(node)
        return held if len(held) >= count else None

    held = wait_until(all_held, timeout=60)  # worker processes start after the web answers
    assert len(set(held.values())) == len(held) == count
    assert set(held) <= children | {node.process.pid}
    niceness = sorted(int(stat_fields(pid)[16]) for pid in held)
    # The workers yield the CPU to the web processes.
    assert niceness == [0] * node.processes + [10] * node.worker_processes

    # The Follow reaches whichever web process accepts the connection; one
    # of the workers handles it and delivers the Accept.
    carol = remote.add_actor(f"carol{node.port}")  # the remote outlives this node
    url = f"{node.base_url}/users/bob/inbox"
    follow = remote.activity(carol, "Follow", f"{node.base_url}/users/bob")
    body = json.dumps(follow).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_cavage("POST", url, dict(headers), carol.key_id, carol.private_pem, body)
    for _ in range(8):  # a new connection each time, so both web processes take some
        with httpx.Client() as client:
            assert client.post(url, content=body, headers=headers, timeout=10).status_code == 202

    def accepts() -> list[dict[str, Any]]:
        received = [json.loads(item["body"]) for item in remote.received]
        return [
            activity
            for activity in received
            if activity["type"] == "Accept" and activity["object"]["id"] == follow["id"]
        ]

    wait_until(accepts, timeout=30)
    assert len(accepts()) == 1  # eight copies of one Follow are one Follow


def test_killing_the_parent_takes_every_process_down(node: Node) -> None:
    children = started_children(node)
    # Some children may still be starting; those that are must go down too.
    assert node.process is not None
    os.kill(node.process.pid, signal.SIGKILL)
    node.process.wait(timeout=10)
    wait_until(lambda: not any(alive(pid) for pid in children), timeout=20)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{node.base_url}/healthz", timeout=2)
