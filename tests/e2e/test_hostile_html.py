"""Every hostile HTML payload comes back sanitized, whoever sent it and wherever it is read.

Two nodes (A with alice and carol, B with bob), the independent Fedify peer
(fred) and a raw remote server (mallory, whose documents we write byte for
byte, with ``contentMap``/``summaryMap``/``nameMap``). Each payload of
:data:`tests.support.hostile_html.PAYLOADS` is posted as content, content
warning, title and alt text:

* by remote actors: fred through Fedify, mallory signed by hand;
* by local authors: bob on node B through Mastodon.py (so it reaches A over
  federation), carol on node A through her C2S outbox (so it reaches alice
  through the local inbox).

alice follows all four, and reads what arrived through every path that
serves it: her C2S inbox collection, the objects' URLs (AS2 and the HTML
page), the Mastodon API (home timeline, statuses, accounts) and the
streaming API. A Create replayed after its Delete, and an Update, show the
node's current state, never what the sender wrote.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from federation.constants import PUBLIC
from federation.signatures import sign_cavage
from tests.support.databases import postgres_admin_url
from tests.support.fedify import started_peer
from tests.support.hostile_html import (
    ENCODED_PAYLOAD,
    PAYLOADS,
    assert_plain_text,
    assert_safe_html,
    elements,
    walk_as2,
)
from tests.support.node import Node, wait_until
from tests.support.oauth import authorize
from tests.support.remote import RemoteActor, RemoteServer, remote_server
from tests.support.streaming import StreamClient, payload

AS = "application/activity+json"
OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow"]
ALL = (*PAYLOADS, ENCODED_PAYLOAD)
# The tags of a post's HTML page: its frame, plus what sanitized content may hold.
PAGE_TAGS = {"p", "a", "h1", "div", "time", "span", "br", "strong", "em", "b", "i", "u"}


@dataclass
class World:
    a: Node
    b: Node
    fred: Any
    remote: RemoteServer
    mallory: RemoteActor
    alice: Mastodon
    bob: Mastodon
    tokens: dict[str, str]
    stream: StreamClient
    sent: dict[str, list[str]] = field(default_factory=dict)  # sender -> object ids


def log_in(node: Node, username: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Hostile HTML", scopes=SCOPES, redirect_uris=OOB, api_base_url=node.base_url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=node.base_url)
    url = api.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    code = authorize(node, url, username).code
    api.log_in(code=code, redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    return api


def hostile_bio() -> dict[str, Any]:
    return {
        "name": PAYLOADS[0],
        "summary": "".join(PAYLOADS[:12]),
        "attachment": [
            {"type": "PropertyValue", "name": PAYLOADS[6], "value": PAYLOADS[8]},
            {"type": "PropertyValue", "name": "Site", "value": PAYLOADS[12]},
        ],
    }


def follow(api: Mastodon, handle: str) -> None:
    account = api.search_v2(handle, resolve=True)["accounts"][0]
    api.account_follow(account["id"])
    wait_until(lambda: api.account_relationships(account["id"])[0]["following"], timeout=30)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("hostile-html")
    a = Node(base / "a", "postgres" if postgres_admin_url() else "sqlite")
    b = Node(base / "b")
    try:
        for node in (a, b):
            node.migrate()
        a.create_user("alice")
        a.create_user("carol")
        b.create_user("bob")
        for node in (a, b):
            node.start()
        with (
            started_peer(base / "fedify", "fred") as fred,
            remote_server() as remote,
        ):
            mallory = remote.add_actor("mallory")
            mallory.overrides.update(hostile_bio())
            alice, bob = log_in(a, "alice"), log_in(b, "bob")
            tokens = {"alice": a.token("alice"), "carol": a.token("carol")}
            for handle in (f"bob@{b.domain}", f"carol@{a.domain}", fred.handle):
                follow(alice, handle)
            with StreamClient(
                f"ws://{a.domain}/api/v1/streaming?stream=user", token=tokens["alice"], timeout=30
            ) as stream:
                yield World(a, b, fred, remote, mallory, alice, bob, tokens, stream)
    finally:
        a.close()
        b.close()


def signed_post(url: str, actor: RemoteActor, activity: dict[str, Any]) -> httpx.Response:
    body = json.dumps(activity).encode()
    headers = {"Content-Type": AS}
    signed = sign_cavage("POST", url, dict(headers), actor.key_id, actor.private_pem, body)
    return httpx.post(url, content=body, headers={**headers, **signed}, timeout=20)


def mallory_note(world: World, text: str, **extra: Any) -> dict[str, Any]:
    actor = world.mallory
    return {
        "id": f"{actor.id}/notes/{time.time_ns()}",
        "type": "Note",
        "attributedTo": actor.id,
        "content": text,
        "contentMap": {"en": text},
        "summary": text,
        "summaryMap": {"en": text},
        "name": text,
        "nameMap": {"en": text},
        "to": [PUBLIC],
        "cc": [world.a.base_url + "/users/alice"],
        "attachment": [
            {"type": "Document", "mediaType": "image/png", "url": f"{actor.id}/a.png", "name": text}
        ],
        **extra,
    }


def mallory_sends(world: World, kind: str, obj: Any) -> dict[str, Any]:
    activity = world.remote.activity(
        world.mallory, kind, obj, to=[PUBLIC], cc=[world.a.base_url + "/users/alice"]
    )
    r = signed_post(world.a.base_url + "/users/alice/inbox", world.mallory, activity)
    assert r.status_code == 202, r.text
    return activity


def c2s(world: World, name: str, doc: dict[str, Any]) -> str:
    r = httpx.post(
        f"{world.a.base_url}/users/{name}/outbox",
        json=doc,
        headers={"Authorization": f"Bearer {world.tokens[name]}", "Content-Type": AS},
        timeout=20,
    )
    assert r.status_code == 201, r.text
    return r.headers["location"]


def stored_uri(node: Node, statement: Any) -> list[Any]:
    async def run(session: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    return node.with_session(run)


def test_every_sender_posts_every_payload(world: World) -> None:
    fred_ids = []
    for text in ALL:
        created = world.fred.post(
            text,
            to="public",
            summary=text,
            name=text,
            attachments=[{"url": f"{world.fred.actor}/a.png", "name": text}],
        )
        obj = created["object"]
        fred_ids.append(obj["id"] if isinstance(obj, dict) else obj)
    world.sent["fred"] = fred_ids
    world.sent["mallory"] = [
        mallory_sends(world, "Create", mallory_note(world, t))["object"]["id"] for t in ALL
    ]
    # A local post whose content sanitizes to nothing is refused (422), so theirs
    # start with a word; the payload follows, where it could hide what comes after.
    world.sent["bob"] = [
        world.bob.status_post(f"Post {i}: {text}", spoiler_text=text)["uri"]
        for i, text in enumerate(ALL)
    ]
    carol = []
    for i, text in enumerate(ALL):
        location = c2s(
            world,
            "carol",
            {
                "type": "Note",
                "content": f"Post {i}: {text}",
                "summary": text,
                "name": text,
                "to": [PUBLIC],
            },
        )
        carol.append(location)
    world.sent["carol_activities"] = carol

    def all_arrived() -> bool:
        from sqlmodel import col, select

        from storage.models import ContentObject

        wanted = world.sent["fred"] + world.sent["mallory"] + world.sent["bob"]
        rows = stored_uri(
            world.a, select(ContentObject.ap_id).where(col(ContentObject.ap_id).in_(wanted))
        )
        return len(rows) == len(wanted)

    wait_until(all_arrived, timeout=120, interval=0.5)


def inbox_items(world: World) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {world.tokens['alice']}", "Accept": AS}
    url: str | None = f"{world.a.base_url}/users/alice/inbox?page=true"
    items: list[dict[str, Any]] = []
    while url:
        page = httpx.get(url, headers=headers, timeout=20).json()
        items += page["orderedItems"]
        url = page.get("next")
    return items


def test_the_inbox_collection_serves_sanitized_objects(world: World) -> None:
    def complete() -> list[dict[str, Any]] | None:
        items = inbox_items(world)
        creates = {
            i["object"]["id"]
            for i in items
            if i.get("type") == "Create" and isinstance(i.get("object"), dict)
        }
        wanted = set(world.sent["fred"] + world.sent["mallory"] + world.sent["bob"])
        return items if wanted <= creates and len(items) >= 4 * len(ALL) else None

    items = wait_until(complete, timeout=60, interval=1)
    checked = sum(walk_as2(item, "inbox") for item in items)
    assert checked >= 4 * len(ALL) * 3  # content, summary and name of every post at least
    assert 'href="javascript:' not in json.dumps(items).lower()
    for item in items:
        assert "bcc" not in item and "bto" not in item


def test_objects_at_their_urls_are_sanitized(world: World) -> None:
    from sqlmodel import select

    from storage.models import Activity

    carol_objects = []
    for location in world.sent["carol_activities"]:
        (activity,) = stored_uri(world.a, select(Activity).where(Activity.ap_id == location))
        carol_objects.append(activity.body["object"]["id"])
    for ids in (carol_objects, world.sent["bob"]):
        for ap_id in ids:
            doc = httpx.get(ap_id, headers={"Accept": AS}, timeout=20).json()
            assert walk_as2(doc, ap_id) >= 2
            page = httpx.get(ap_id, headers={"Accept": "text/html"}, timeout=20).text
            # The post's body on its page (web/templates/macros.html: div.content, which
            # the sanitizer's output never nests a div in); the page has no script of its own.
            bodies = [
                part.split("</div>", 1)[0] for part in page.split('<div class="content">')[1:]
            ]
            assert bodies, page
            assert "<script" not in page.split("</head>", 1)[1]
            for body in bodies:
                for tag, _attrs in elements(body).elements:
                    assert tag in PAGE_TAGS, (tag, page)
    # The activity at its id and the outbox show the same sanitized state.
    for location in world.sent["carol_activities"][:5]:
        doc = httpx.get(location, headers={"Accept": AS}, timeout=20).json()
        assert walk_as2(doc, location) >= 2


def test_the_mastodon_api_serves_sanitized_statuses_and_accounts(world: World) -> None:
    seen: dict[str, dict[str, Any]] = {}
    page = world.alice.timeline_home(limit=40)
    while page:
        for status in page:
            seen[status["uri"]] = status
        page = world.alice.fetch_next(page)
    followed = world.sent["fred"] + world.sent["bob"]
    missing = [uri for uri in followed if uri not in seen]
    assert not missing, missing[:3]
    # alice does not follow mallory: his posts (addressed to her) are found by search.
    for uri in world.sent["mallory"]:
        seen[uri] = world.alice.search_v2(uri, resolve=True)["statuses"][0]
    wanted = followed + world.sent["mallory"]
    for uri in wanted:
        status = seen[uri]
        assert_safe_html(status["content"], uri)
        assert_plain_text(status["spoiler_text"], uri)
        for media in status["media_attachments"]:
            assert_plain_text(media["description"], uri)
        assert_safe_html(status["account"]["note"], uri)
        assert_plain_text(status["account"]["display_name"], uri)
        for item in status["account"]["fields"]:
            assert_safe_html(item["value"], uri)
        one = world.alice.status(status["id"])
        assert_safe_html(one["content"], uri)
    mallory = world.alice.search_v2(world.mallory.id, resolve=True)["accounts"][0]
    assert_safe_html(mallory["note"], "mallory note")
    assert mallory["note"]  # the bio is there, cut down, not dropped


def test_the_streaming_api_sends_sanitized_statuses(world: World) -> None:
    def updates() -> list[dict[str, Any]]:
        return [payload(f) for _at, f in world.stream.frames if f.get("event") == "update"]

    # alice's home stream: the accounts she follows (mallory's posts are not on it).
    wanted = set(world.sent["fred"] + world.sent["bob"])
    wait_until(lambda: wanted <= {s["uri"] for s in updates()}, timeout=60, interval=0.5)
    for status in updates():
        assert_safe_html(status["content"], status["uri"])
        assert_plain_text(status["spoiler_text"], status["uri"])
        assert_safe_html(status["account"]["note"], status["uri"])


def test_current_state_wins_over_what_was_sent(world: World) -> None:
    note = mallory_note(world, "<p>original</p>")

    def shows(text: str) -> bool:
        for item in inbox_items(world):
            obj = item.get("object")
            if isinstance(obj, dict) and obj.get("id") == note["id"]:
                return text in str(obj.get("content"))
        return False

    mallory_sends(world, "Create", note)
    wait_until(lambda: shows("original"), timeout=30)
    edited = {**note, "content": PAYLOADS[6] + "<p>edited</p>", "updated": "2030-01-01T00:00:00Z"}
    mallory_sends(world, "Update", edited)

    wait_until(lambda: shows("edited"), timeout=30)
    mallory_sends(world, "Delete", {"id": note["id"], "type": "Tombstone"})
    # The same Create again, with forged content, after the Delete: nothing of it shows.
    forged = {**note, "content": "<p>forged</p>" + PAYLOADS[0]}
    mallory_sends(world, "Create", forged)

    def tombstoned() -> bool:
        objects = [
            i["object"]
            for i in inbox_items(world)
            if isinstance(i.get("object"), dict) and i["object"].get("id") == note["id"]
        ]
        return bool(objects) and all(o.get("type") == "Tombstone" for o in objects)

    wait_until(tombstoned, timeout=30)
    raw = json.dumps(inbox_items(world))
    assert "forged" not in raw and "original" not in raw
