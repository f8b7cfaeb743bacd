"""The inbox over real HTTP: what verifies is stored once; everything else is a clear 4xx.

A "remote server" (tests/support/remote.py) publishes actors whose keys the
test holds, so each attack can be built exactly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from sqlmodel import select

from federation.constants import PUBLIC
from federation.signatures import digest_header, sign_cavage, sign_rfc9421
from storage.models import InboxItem
from tests.support.node import Node, wait_until
from tests.support.remote import RemoteActor, RemoteServer, remote_server


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteServer]:
    with remote_server() as server:
        yield server


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("inbox"), module_db_kind)
    node.migrate()
    node.create_user("bob")
    node.start()
    yield node
    node.close()


@pytest.fixture(scope="module")
def carol(remote: RemoteServer) -> RemoteActor:
    return remote.add_actor("carol")


def note_create(remote: RemoteServer, actor: RemoteActor, node: Node, **extra: Any) -> dict:
    note_id = f"{actor.id}/notes/{time.time_ns()}"
    return remote.activity(
        actor,
        "Create",
        {
            "id": note_id,
            "type": "Note",
            "attributedTo": actor.id,
            "content": "<p>Lesson plan: titration</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
        to=["https://www.w3.org/ns/activitystreams#Public"],
        cc=[f"{node.base_url}/users/bob"],
        **extra,
    )


def signed_post(
    url: str,
    actor: RemoteActor,
    activity: Any,
    *,
    body: bytes | None = None,
    scheme: str = "cavage",
    headers: dict[str, str] | None = None,
    **sign_kwargs: Any,
) -> httpx.Response:
    payload = body if body is not None else json.dumps(activity).encode()
    base = {"Content-Type": "application/activity+json", **(headers or {})}
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    signed = sign("POST", url, dict(base), actor.key_id, actor.private_pem, payload, **sign_kwargs)
    return httpx.post(url, content=payload, headers={**base, **signed}, timeout=10)


def stored(node: Node, activity_id: str) -> list[InboxItem]:
    async def query(session: Any) -> list[InboxItem]:
        rows = await session.exec(select(InboxItem).where(InboxItem.activity_id == activity_id))
        return list(rows.all())

    return node.with_session(query)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_a_signed_create_is_stored_and_answered_202(
    node: Node, remote: RemoteServer, carol: RemoteActor, scheme: str
) -> None:
    activity = note_create(remote, carol, node)
    r = signed_post(f"{node.base_url}/inbox", carol, activity, scheme=scheme)
    assert r.status_code == 202, r.text
    rows = stored(node, activity["id"])
    assert len(rows) == 1
    assert rows[0].actor_ap_id == carol.id
    assert rows[0].key_id == carol.key_id
    assert rows[0].body["object"]["content"] == "<p>Lesson plan: titration</p>"


def test_personal_inbox_records_the_recipient(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = note_create(remote, carol, node)
    r = signed_post(f"{node.base_url}/users/bob/inbox", carol, activity)
    assert r.status_code == 202
    assert stored(node, activity["id"])[0].recipient_id is not None
    missing = signed_post(f"{node.base_url}/users/nobody/inbox", carol, activity)
    assert missing.status_code == 404


def test_inboxes_take_activities_by_post_only(node: Node, remote: RemoteServer) -> None:
    for path in ("/inbox", "/actor/inbox"):
        r = httpx.get(f"{node.base_url}{path}", timeout=10)
        assert r.status_code == 405, path
        assert r.headers["allow"] == "POST"
        assert r.json()["error"]
    # A personal inbox is also the owner's C2S inbox: GET needs their token.
    assert httpx.get(f"{node.base_url}/users/bob/inbox", timeout=10).status_code == 401
    # Other routes are untouched by the inbox layer.
    assert httpx.get(f"{node.base_url}/users/bob/outbox", timeout=10).status_code == 200


def test_a_replayed_activity_is_accepted_but_stored_once(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = note_create(remote, carol, node)
    first = signed_post(f"{node.base_url}/inbox", carol, activity)
    again = signed_post(f"{node.base_url}/inbox", carol, activity)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["stored"] is True
    assert again.json()["stored"] is False
    assert len(stored(node, activity["id"])) == 1


def test_stored_activities_are_processed_by_the_worker(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = remote.activity(carol, "Bite", f"{node.base_url}/users/bob")  # unknown type
    assert signed_post(f"{node.base_url}/inbox", carol, activity).status_code == 202
    wait_until(lambda: stored(node, activity["id"])[0].state == "processed", timeout=10)


def refused(response: httpx.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert reason.lower() in response.json()["error"].lower()


def test_unsigned_request_is_401(node: Node, remote: RemoteServer, carol: RemoteActor) -> None:
    activity = note_create(remote, carol, node)
    r = httpx.post(f"{node.base_url}/inbox", json=activity, timeout=5)
    refused(r, 401, "signature")
    assert stored(node, activity["id"]) == []


def test_garbage_signature_is_401(node: Node, remote: RemoteServer, carol: RemoteActor) -> None:
    activity = note_create(remote, carol, node)
    body = json.dumps(activity).encode()
    headers = {
        "Content-Type": "application/activity+json",
        "Date": formatdate(usegmt=True),
        "Digest": digest_header(body),
        "Signature": f'keyId="{carol.key_id}",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest",signature="Zm9vYmFy"',
    }
    r = httpx.post(f"{node.base_url}/inbox", content=body, headers=headers, timeout=5)
    refused(r, 401, "signature")
    assert stored(node, activity["id"]) == []


def test_body_changed_after_signing_is_401(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = note_create(remote, carol, node)
    url = f"{node.base_url}/inbox"
    body = json.dumps(activity).encode()
    signed = sign_cavage("POST", url, {}, carol.key_id, carol.private_pem, body)
    activity["object"]["content"] = "<p>tampered</p>"
    r = httpx.post(url, json=activity, headers=signed, timeout=5)
    refused(r, 401, "digest")
    assert stored(node, activity["id"]) == []


def test_digest_not_covered_by_the_signature_is_401(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = note_create(remote, carol, node)
    r = signed_post(
        f"{node.base_url}/inbox", carol, activity, covered=["(request-target)", "host", "date"]
    )
    refused(r, 401, "digest")


def test_host_not_covered_is_401(node: Node, remote: RemoteServer, carol: RemoteActor) -> None:
    activity = note_create(remote, carol, node)
    r = signed_post(
        f"{node.base_url}/inbox", carol, activity, covered=["(request-target)", "date", "digest"]
    )
    refused(r, 401, "host")


@pytest.mark.parametrize("offset", [-2 * 3600, 2 * 3600])
def test_date_outside_the_window_is_401(
    node: Node, remote: RemoteServer, carol: RemoteActor, offset: int
) -> None:
    activity = note_create(remote, carol, node)
    r = signed_post(
        f"{node.base_url}/inbox",
        carol,
        activity,
        headers={"Date": formatdate(time.time() + offset, usegmt=True)},
    )
    refused(r, 401, "date")
    assert stored(node, activity["id"]) == []


def test_signer_who_is_not_the_actor_is_401(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    mallory = remote.add_actor("mallory")
    activity = note_create(remote, carol, node)  # claims carol, signed by mallory
    r = signed_post(f"{node.base_url}/inbox", mallory, activity)
    refused(r, 401, "owner")
    assert stored(node, activity["id"]) == []


def test_key_whose_owner_is_someone_else_is_401(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    eve = remote.add_actor("eve")
    eve.owner_override = carol.id  # eve's document claims her key belongs to carol
    activity = note_create(remote, carol, node)
    r = signed_post(f"{node.base_url}/inbox", eve, activity)
    assert r.status_code == 401
    assert stored(node, activity["id"]) == []


def test_body_over_the_limit_is_413(node: Node, remote: RemoteServer, carol: RemoteActor) -> None:
    activity = note_create(remote, carol, node)
    activity["object"]["content"] = "x" * (2 * 1024 * 1024)
    r = signed_post(f"{node.base_url}/inbox", carol, activity)
    refused(r, 413, "limit")
    assert stored(node, activity["id"]) == []


def test_malformed_json_with_a_valid_signature_is_400(node: Node, carol: RemoteActor) -> None:
    r = signed_post(f"{node.base_url}/inbox", carol, None, body=b'{"type": "Create",')
    refused(r, 400, "json")


def test_unknown_remote_context_is_400_and_nothing_is_stored(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = note_create(remote, carol, node)
    activity["@context"] = ["https://www.w3.org/ns/activitystreams", "https://evil.example/ctx"]
    r = signed_post(f"{node.base_url}/inbox", carol, activity)
    refused(r, 400, "context")
    assert stored(node, activity["id"]) == []


def test_activity_id_on_another_origin_is_400(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = note_create(remote, carol, node)
    activity["id"] = "https://elsewhere.example/activities/1"
    refused(signed_post(f"{node.base_url}/inbox", carol, activity), 400, "origin")
    assert stored(node, activity["id"]) == []


def test_creating_an_object_on_another_origin_is_400(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = note_create(remote, carol, node)
    activity["object"]["id"] = "https://elsewhere.example/notes/1"
    refused(signed_post(f"{node.base_url}/inbox", carol, activity), 400, "origin")
    assert stored(node, activity["id"]) == []


def test_creating_an_object_attributed_to_someone_else_is_400(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    activity = note_create(remote, carol, node)
    activity["object"]["attributedTo"] = f"{remote.base_url}/users/someone-else"
    refused(signed_post(f"{node.base_url}/inbox", carol, activity), 400, "attributed")
    assert stored(node, activity["id"]) == []


def test_an_embedded_foreign_object_is_cut_back_to_its_id(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    foreign = {"id": "https://elsewhere.example/notes/1", "type": "Note", "content": "forged"}
    activity = remote.activity(carol, "Announce", foreign, to=[PUBLIC])
    assert signed_post(f"{node.base_url}/inbox", carol, activity).status_code == 202
    # Only the reference is kept; the handler must fetch it from its own origin.
    assert stored(node, activity["id"])[0].body["object"] == "https://elsewhere.example/notes/1"


def test_rotated_key_is_refetched_once(
    node: Node, remote: RemoteServer, carol: RemoteActor
) -> None:
    dave = remote.add_actor("dave")
    first = remote.activity(dave, "Like", f"{node.base_url}/users/bob")
    assert signed_post(f"{node.base_url}/inbox", dave, first).status_code == 202
    fetches_before = remote.fetches.count("/users/dave")
    dave.rotate_key()
    second = remote.activity(dave, "Like", f"{node.base_url}/users/bob")
    r = signed_post(f"{node.base_url}/inbox", dave, second)
    assert r.status_code == 202, r.text
    assert remote.fetches.count("/users/dave") == fetches_before + 1
    third = remote.activity(dave, "Like", f"{node.base_url}/users/bob")
    assert signed_post(f"{node.base_url}/inbox", dave, third).status_code == 202
    assert remote.fetches.count("/users/dave") == fetches_before + 1  # cached again
