"""A new peer tries the inboxes as an attacker would: each try is a clear 4xx and stores nothing.

One node, one "remote server" whose actors' keys the test holds, so every
request can be built exactly: a delivery signed for another server (Host or
``@authority`` naming someone else, replayed here), bodies that are not
JSON-LD (415), JSON that is not JSON (``NaN``, ``Infinity``, ``1e999``, NUL,
lone surrogates, 10,000 levels deep), JSON-LD contexts built to make pyld
spin (nested scoped contexts, hundreds of context URLs or terms), and actors
whose inbox lives on someone else's server. The shared inbox, a personal
inbox and the instance actor's inbox follow the same rules.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from federation.constants import PUBLIC
from federation.signatures import sign_cavage, sign_rfc9421
from storage.models import Actor, Delivery, Follow, FollowState, InboxItem
from tests.support.hostile_html import ENCODED_PAYLOAD, PAYLOADS, walk_as2
from tests.support.node import Node, wait_until
from tests.support.remote import RemoteActor, RemoteServer, remote_server

INBOXES = ("/inbox", "/users/bob/inbox", "/actor/inbox")


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteServer]:
    with remote_server() as server:
        yield server


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("hostile-peer"), module_db_kind)
    node.migrate()
    node.create_user("bob")
    node.start()
    yield node
    node.close()


@pytest.fixture(scope="module")
def eve(remote: RemoteServer) -> RemoteActor:
    return remote.add_actor("eve")


def create(remote: RemoteServer, actor: RemoteActor, node: Node, **extra: Any) -> dict[str, Any]:
    note = {
        "id": f"{actor.id}/notes/{time.time_ns()}",
        "type": "Note",
        "attributedTo": actor.id,
        "content": "<p>hello</p>",
        "to": [PUBLIC],
    }
    return remote.activity(
        actor, "Create", note, to=[PUBLIC], cc=[f"{node.base_url}/users/bob"], **extra
    )


def post(
    url: str,
    actor: RemoteActor,
    body: bytes,
    *,
    scheme: str = "cavage",
    content_type: str | None = "application/activity+json",
    host: str | None = None,
) -> httpx.Response:
    """Sign ``body`` for ``host`` (default: the URL's own) and POST it to ``url``."""
    headers: dict[str, str] = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    signed_for = url if host is None else url.replace(url.split("/")[2], host, 1)
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    signed = sign("POST", signed_for, dict(headers), actor.key_id, actor.private_pem, body)
    if host is not None:
        signed["Host"] = host  # the captured request, replayed with its Host unchanged
    return httpx.post(url, content=body, headers={**headers, **signed}, timeout=20)


def stored_ids(node: Node) -> set[str]:
    async def query(session: Any) -> set[str]:
        return set((await session.exec(select(InboxItem.activity_id))).all())

    return node.with_session(query)


def refused(
    node: Node, response: httpx.Response, status: int, reason: str, before: set[str]
) -> None:
    assert response.status_code == status, response.text
    assert reason in response.json()["error"], response.text
    assert stored_ids(node) == before


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_a_signature_for_another_server_is_refused_at_every_inbox(
    node: Node, remote: RemoteServer, eve: RemoteActor, scheme: str
) -> None:
    port = node.port
    others = [
        f"127.0.0.1:{port + 1}",  # another node on the same machine: ports are hosts
        f"localhost:{port}",
        "school.example",
        f"127.0.0.1:{port}.evil.example",
        f"evil.example:{port}",
    ]
    before = stored_ids(node)
    for path in INBOXES:
        for host in others:
            body = json.dumps(create(remote, eve, node)).encode()
            r = post(node.base_url + path, eve, body, scheme=scheme, host=host)
            refused(node, r, 401, "not this server", before)
    # The same request for our own host (any case) is taken.
    body = json.dumps(create(remote, eve, node)).encode()
    r = post(node.base_url + "/inbox", eve, body, scheme=scheme, host=f"127.0.0.1:{port}")
    assert r.status_code == 202, r.text


def test_bodies_that_are_not_activity_json_get_415(
    node: Node, remote: RemoteServer, eve: RemoteActor
) -> None:
    before = stored_ids(node)
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/html",
        "application/xml",
        "application/activity+xml",
        "",
        None,
    ):
        for path in INBOXES:
            body = json.dumps(create(remote, eve, node)).encode()
            r = post(node.base_url + path, eve, body, content_type=content_type)
            assert r.status_code == 415, (content_type, r.text)
            assert "Content-Type" in r.json()["error"]
    assert stored_ids(node) == before
    for content_type in (
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/ld+json",
        "application/json; charset=utf-8",
        "Application/Activity+JSON",
    ):
        activity = create(remote, eve, node)
        body = json.dumps(activity).encode()
        r = post(node.base_url + "/inbox", eve, body, content_type=content_type)
        assert r.status_code == 202, (content_type, r.text)


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def scoped_contexts(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    current = root
    for level in range(depth):
        inner: dict[str, Any] = {}
        current[f"t{level}"] = {"@id": f"https://evil.example/{level}", "@context": inner}
        current = inner
    return root


def used_scoped_body(depth: int) -> dict[str, Any]:
    body: dict[str, Any] = {"v": 1}
    for level in reversed(range(depth)):
        body = {f"t{level}": body}
    return body


def test_json_that_is_not_json_or_too_costly_is_a_fast_400(
    node: Node, remote: RemoteServer, eve: RemoteActor
) -> None:
    def activity_text(**extra: Any) -> str:
        return json.dumps(create(remote, eve, node, **extra))

    template = activity_text(marker="MARK")
    cases = {
        "NaN": template.replace('"MARK"', "NaN"),
        "Infinity": template.replace('"MARK"', "Infinity"),
        "-Infinity": template.replace('"MARK"', "-Infinity"),
        "1e999": template.replace('"MARK"', "1e999"),
        "huge integer": template.replace('"MARK"', "9" * 5000),
        "NUL": template.replace('"MARK"', '"a\\u0000b"'),
        "lone surrogate": template.replace('"MARK"', '"\\ud800"'),
        "nested 10,000 deep": template.replace('"MARK"', nested(10_000)),
        "nested 40 deep": template.replace('"MARK"', nested(40)),
        "not an object": "[1, 2, 3]",
        "not UTF-8": template.replace('"MARK"', '"\\u00e9"').encode().decode() + "\udcff",
    }
    doc = create(remote, eve, node)
    contexts = {
        "200 nested scoped contexts": {
            **doc,
            "@context": ["https://www.w3.org/ns/activitystreams", scoped_contexts(200)],
            **used_scoped_body(200),
        },
        "12 nested scoped contexts, used": {
            **doc,
            "@context": ["https://www.w3.org/ns/activitystreams", scoped_contexts(12)],
            **used_scoped_body(12),
        },
        "4 nested scoped contexts": {
            **doc,
            "@context": ["https://www.w3.org/ns/activitystreams", scoped_contexts(4)],
        },
        "many scoped contexts": {
            **doc,
            "@context": [
                "https://www.w3.org/ns/activitystreams",
                {f"s{i}": {"@id": f"https://e.example/{i}", "@context": {}} for i in range(20)},
            ],
        },
        "many context URLs": {
            **doc,
            "@context": ["https://www.w3.org/ns/activitystreams"] * 200,
        },
        "many terms": {
            **doc,
            "@context": [
                "https://www.w3.org/ns/activitystreams",
                {f"t{i}": f"https://e.example/{i}" for i in range(2000)},
                {"@vocab": "https://e.example/"},
            ],
        },
        "many embedded contexts": {
            **doc,
            "tag": [{"@context": {"x": "https://e.example/x"}, "x": i} for i in range(40)],
        },
        "a large document off the fast path": {
            **doc,
            "@context": ["https://www.w3.org/ns/activitystreams", {"msg": "as:content"}],
            "tag": [{"msg": f"m{i}", "type": "Mention"} for i in range(1500)],
        },
    }
    before = stored_ids(node)
    for name, text in cases.items():
        body = text.encode("utf-8", "surrogatepass")
        started = time.monotonic()
        r = post(node.base_url + "/users/bob/inbox", eve, body)
        assert r.status_code == 400, (name, r.text)
        assert time.monotonic() - started < 20, name
    for name, activity in contexts.items():
        started = time.monotonic()
        r = post(node.base_url + "/inbox", eve, json.dumps(activity).encode())
        assert r.status_code == 400, (name, r.text)
        error = r.json()["error"]
        assert any(word in error for word in ("context", "values", "term", "nested")), error
        assert time.monotonic() - started < 20, name
    assert stored_ids(node) == before
    # The node is still fine, and ordinary documents still pass.
    fine = create(remote, eve, node)
    assert post(node.base_url + "/inbox", eve, json.dumps(fine).encode()).status_code == 202


def test_an_actor_whose_inbox_lives_elsewhere_is_refused(node: Node, remote: RemoteServer) -> None:
    elsewhere = "https://victim.example"
    cases = {
        "inbox": {"inbox": f"{elsewhere}/users/x/inbox"},
        "endpoints.sharedInbox": {"endpoints": {"sharedInbox": f"{elsewhere}/inbox"}},
        "outbox": {"outbox": f"{elsewhere}/outbox"},
        "followers": {"followers": f"{elsewhere}/followers"},
        "endpoints.proxyUrl": {
            "endpoints": {
                "sharedInbox": f"{remote.base_url}/inbox",
                "proxyUrl": f"{elsewhere}/proxy",
            }
        },
    }
    before = stored_ids(node)
    for index, (field, override) in enumerate(cases.items()):
        actor = remote.add_actor(f"offsite{index}")
        actor.overrides.update(override)
        r = post(node.base_url + "/inbox", actor, json.dumps(create(remote, actor, node)).encode())
        refused(node, r, 401, f"the actor's {field}", before)
        assert "not on its own origin" in r.json()["error"]

    async def known(session: Any) -> list[str]:
        rows = await session.exec(select(Actor.ap_id).where(col(Actor.ap_id).contains("offsite")))
        return list(rows.all())

    assert node.with_session(known) == []


def test_stored_actors_with_an_inbox_elsewhere_get_no_delivery(node: Node) -> None:
    """Rows written before the rule (or by any other path) are held to it at delivery."""

    async def plant(session: Any) -> None:
        bob = (await session.exec(select(Actor).where(Actor.username == "bob"))).one()
        for name, shared, inbox in (
            (
                "legacy1",
                "https://victim.example/inbox",
                "http://legacy.example/users/legacy1/inbox",
            ),
            ("legacy2", "https://victim.example/inbox", "https://victim.example/u/2/inbox"),
        ):
            actor = Actor(
                ap_id=f"http://legacy.example/users/{name}",
                type="Person",
                local=False,
                username=name,
                domain="legacy.example",
                inbox_url=inbox,
                shared_inbox_url=shared,
            )
            session.add(actor)
            await session.flush()
            session.add(
                Follow(
                    follower_id=actor.id,
                    followee_id=bob.id,
                    state=FollowState.ACCEPTED,
                    activity_ap_id=f"{actor.ap_id}#follow",
                )
            )

    node.with_session(plant)
    token = node.token("bob")
    r = httpx.post(
        f"{node.base_url}/api/v1/statuses",
        data={"status": "Parents' evening on Thursday"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert r.status_code == 200, r.text

    def deliveries() -> list[str]:
        async def query(session: Any) -> list[str]:
            return list((await session.exec(select(Delivery.inbox_url))).all())

        return node.with_session(query)

    wait_until(lambda: "http://legacy.example/users/legacy1/inbox" in deliveries(), timeout=20)
    assert not [url for url in deliveries() if "victim.example" in url]


def test_the_owners_inbox_collection_serves_what_was_stored_not_what_was_sent(
    node: Node, remote: RemoteServer, eve: RemoteActor
) -> None:
    """The C2S read side: sanitized objects in their current state, never the raw body."""
    sent = []
    for index, text in enumerate((*PAYLOADS, ENCODED_PAYLOAD)):
        activity = create(remote, eve, node)
        note = activity["object"]
        note.update(
            content=text, summary=text, name=text, contentMap={"en": text},
            summaryMap={"en": text}, nameMap={"en": text},
            attachment=[{"type": "Image", "url": f"{eve.id}/{index}.png", "name": text}],
        )  # fmt: skip
        activity["bcc"] = [f"{node.base_url}/users/bob"]
        r = post(node.base_url + "/users/bob/inbox", eve, json.dumps(activity).encode())
        assert r.status_code == 202, r.text
        sent.append(note["id"])
    deleted = create(remote, eve, node)
    assert post(node.base_url + "/inbox", eve, json.dumps(deleted).encode()).status_code == 202
    tombstone = remote.activity(eve, "Delete", deleted["object"]["id"], to=[PUBLIC])
    assert post(node.base_url + "/inbox", eve, json.dumps(tombstone).encode()).status_code == 202
    forged = create(remote, eve, node)
    forged["object"] = {**deleted["object"], "content": "<p>forged</p><script>x()</script>"}
    assert (
        post(node.base_url + "/users/bob/inbox", eve, json.dumps(forged).encode()).status_code
        == 202
    )
    token = node.token("bob")

    def items() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        url: str | None = f"{node.base_url}/users/bob/inbox?page=true"
        while url:
            page = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=20).json()
            found += page["orderedItems"]
            url = page.get("next")
        return found

    def all_in() -> list[dict[str, Any]] | None:
        found = items()
        objects = {i["object"].get("id") for i in found if isinstance(i.get("object"), dict)}
        return found if set(sent) <= objects and forged["id"] in {i["id"] for i in found} else None

    found = wait_until(all_in, timeout=60, interval=0.5)
    assert sum(walk_as2(item, item["id"]) for item in found) >= len(sent) * 3
    assert all("bcc" not in item for item in found)
    replay = next(i for i in found if i["id"] == forged["id"])
    assert replay["object"]["type"] == "Tombstone"
    assert "forged" not in json.dumps(found)
