"""The inbox pipeline and the C2S outbox under fuzz: never a 5xx, nothing stored from a
refused request, and the worker handles whatever was stored without crashing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from federation.signatures import sign_cavage, sign_rfc9421
from inbox.worker import run_once
from storage.models import InboxItem
from tests.fuzz.conftest import examples
from tests.fuzz.inprocess import ACTOR, DOMAIN, InProcessNode
from tests.fuzz.strategies import activities, contexts, json_values

CONTENT_TYPES = (
    "application/activity+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
)
INBOXES = ("/inbox", "/users/bob/inbox", "/actor/inbox", "/users/nobody/inbox", "/inbox/")
# Errors a handler may record for a stored activity without having crashed: the
# peer's server is unreachable (a fetch failed), so the item is retried later.
TRANSIENT = ("FetchError", "FetchStatusError", "RuntimeError: cannot load the sender")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessNode]:
    started = InProcessNode(tmp_path_factory.mktemp("fuzz-node")).start()
    yield started
    started.close()


def body_variants() -> st.SearchStrategy[str]:
    return st.sampled_from(["as is", "NaN", "Infinity", "deep", "junk", "context", "array"])


def mangle(doc: dict[str, Any], how: str, context: Any) -> bytes:
    text = json.dumps(doc)
    if how == "NaN":
        return text.replace("}", ', "x": NaN}', 1).encode()
    if how == "Infinity":
        return text.replace("}", ', "x": -Infinity}', 1).encode()
    if how == "deep":
        return text.replace("}", ', "x": ' + "[" * 3000 + "]" * 3000 + "}", 1).encode()
    if how == "junk":
        return text.encode()[: len(text) // 2]
    if how == "context":
        return json.dumps({**doc, "@context": context}).encode()
    if how == "array":
        return json.dumps([doc]).encode()
    return text.encode()


@settings(max_examples=examples())
@given(
    activity=activities(ACTOR, f"http://{DOMAIN}"),
    how=body_variants(),
    context=contexts(),
    content_type=st.sampled_from(CONTENT_TYPES),
    path=st.sampled_from(INBOXES),
    scheme=st.sampled_from(["cavage", "rfc9421", "unsigned"]),
    host=st.sampled_from([DOMAIN, "other.example", "school.example:8443"]),
)
def test_the_inbox_never_fails_and_stores_nothing_it_refused(
    node: InProcessNode,
    activity: dict[str, Any],
    how: str,
    context: Any,
    content_type: str,
    path: str,
    scheme: str,
    host: str,
) -> None:
    body = mangle(activity, how, context)
    headers = {"Content-Type": content_type} if content_type else {}
    if scheme != "unsigned":
        sign = sign_cavage if scheme == "cavage" else sign_rfc9421
        url = f"http://{host}{path}"
        headers.update(sign("POST", url, dict(headers), node.key_id, node.private_pem, body))
        headers["Host"] = host
    before = node.inbox_rows()
    assert node.client is not None
    client = node.client
    response = node.run(lambda: client.post(path, content=body, headers=headers))
    assert response.status_code < 500, response.text
    assert isinstance(response.json(), dict)
    if response.status_code >= 400:
        assert node.inbox_rows() == before, response.text
    else:
        assert response.status_code == 202


def test_the_worker_handles_every_stored_fuzz_item(node: InProcessNode) -> None:
    """Runs after the fuzzing above (same module, same node): drain the queue."""
    assert node.node is not None
    ctx = node.node
    for _ in range(100):
        if node.run(lambda: run_once(ctx)) == 0:
            break

    async def rows() -> list[InboxItem]:
        async with ctx.sessions() as session:
            return list((await session.exec(select(InboxItem))).all())

    for row in node.run(rows):
        assert row.error is None or row.state == "rejected" or row.error.startswith(TRANSIENT), (
            row.activity_type,
            row.error,
            row.body,
        )


@settings(max_examples=examples())
@given(
    doc=st.one_of(activities(f"http://{DOMAIN}/users/bob", f"http://{DOMAIN}"), json_values()),
    how=body_variants(),
    context=contexts(),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_the_c2s_outbox_never_fails_and_keeps_nothing_it_refused(
    node: InProcessNode, doc: Any, how: str, context: Any, content_type: str
) -> None:
    body = mangle(doc, how, context) if isinstance(doc, dict) else json.dumps(doc).encode()
    headers = {"Authorization": f"Bearer {node.token}"}
    if content_type:
        headers["Content-Type"] = content_type
    before = node.activity_rows()
    assert node.client is not None
    client = node.client
    response = node.run(lambda: client.post("/users/bob/outbox", content=body, headers=headers))
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert node.activity_rows() == before, response.text
