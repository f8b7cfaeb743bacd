"""Streaming when the API and the inbox worker are different processes (the scale-out layout).

Node A runs as ``staffroom serve --no-workers`` plus a separate ``staffroom
worker`` on the same database; bob on node B posts. The post reaches A's
inbox (served by the API process), is processed by the worker process, and
must still reach alice's WebSocket on the API process within a second of
the worker committing it: the event travels as a row, not through memory.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import select

from federation.constants import PUBLIC
from storage.models import Activity, ContentObject, Follow, StreamEvent
from tests.support.node import ROOT, Node, wait_until
from tests.support.streaming import StreamClient, payload

AS = "application/activity+json"


@dataclass
class Split:
    a: Node  # API only; its worker is a separate process
    b: Node
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory, module_db_kind: str) -> Iterator[Split]:
    base = tmp_path_factory.mktemp("split")
    a, b = Node(base / "a", module_db_kind, workers=False), Node(base / "b")
    worker: subprocess.Popen[bytes] | None = None
    try:
        for node in (a, b):
            node.migrate()
        a.create_user("alice")
        b.create_user("bob")
        for node in (a, b):
            node.start()
        # After A's API process is up: both make the instance actor on first start.
        log = (base / "worker.log").open("ab")
        worker = subprocess.Popen(
            [sys.executable, "-m", "staffroom", "worker"],
            env=a.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        yield Split(a, b, {"alice": a.token("alice"), "bob": b.token("bob")})
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=15)
        for node in (a, b):
            node.close()


def query(node: Node, statement: Any) -> list[Any]:
    async def run(session: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    return node.with_session(run)


def c2s(node: Node, name: str, token: str, doc: dict[str, Any]) -> str:
    r = httpx.post(
        f"{node.base_url}/users/{name}/outbox",
        json=doc,
        headers={"Authorization": f"Bearer {token}", "Content-Type": AS},
        timeout=20,
    )
    assert r.status_code == 201, r.text
    (row,) = query(node, select(Activity).where(Activity.ap_id == r.headers["location"]))
    obj = row.body["object"]
    return str(obj["id"] if isinstance(obj, dict) else obj)


def test_a_post_processed_by_a_separate_worker_reaches_the_api_process_stream(
    split: Split,
) -> None:
    a, b = split.a, split.b
    bob = f"{b.base_url}/users/bob"
    c2s(a, "alice", split.tokens["alice"], {"type": "Follow", "object": bob})
    wait_until(lambda: query(a, select(Follow).where(Follow.state == "accepted")), timeout=30)

    with StreamClient(
        f"ws://{a.domain}/api/v1/streaming?stream=user", token=split.tokens["alice"]
    ) as stream:
        ap_id = c2s(
            b,
            "bob",
            split.tokens["bob"],
            {
                "type": "Note",
                "content": "Posted on B, stored by A's worker, streamed by A's API",
                "attributedTo": bob,
                "to": [PUBLIC],
                "cc": [f"{bob}/followers"],
            },
        )
        arrived, frame = stream.wait_for(
            lambda f: f.get("event") == "update" and payload(f).get("uri") == ap_id, timeout=30
        )

    assert frame["stream"] == ["user"]
    (obj,) = query(a, select(ContentObject).where(ContentObject.ap_id == ap_id))
    (event,) = query(a, select(StreamEvent).where(StreamEvent.object_id == obj.id))
    assert arrived - event.created_at.timestamp() < 1.0
