"""The ActivityPub client-to-server outbox over real HTTP, on both databases.

A real node, real bearer tokens from ``staffroom users token``: each accepted
activity type answers 201 with a ``Location`` that serves the activity, and
every refusal is a clear 4xx. Then the read side: outbox paging (public only),
the owner-only inbox, followers/following and featured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from federation.constants import PUBLIC
from storage.models import (
    Actor,
    ContentObject,
    Featured,
    Follow,
    FollowState,
    InboxItem,
    MailboxEntry,
)
from tests.support.node import Node, wait_until
from tests.support.remote import RemoteServer, remote_server

AS = "application/activity+json"


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteServer]:
    with remote_server() as server:
        yield server


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("c2s"), module_db_kind)
    node.migrate()
    for name in ("alice", "bob", "pager"):
        node.create_user(name)
    node.start()
    yield node
    node.close()


def token(node: Node, name: str, scopes: str = "read,write,follow") -> str:
    result = node.staffroom("users", "token", name, "--scopes", scopes)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def tokens(node: Node) -> dict[str, str]:
    return {
        "alice": token(node, "alice"),
        "bob": token(node, "bob"),
        "pager": token(node, "pager"),
        "alice-read": token(node, "alice", "read"),
    }


def actor_id(node: Node, name: str) -> str:
    return f"{node.base_url}/users/{name}"


def submit(node: Node, name: str, bearer: str | None, doc: Any, **kwargs: Any) -> httpx.Response:
    headers = {"Content-Type": AS, **kwargs.pop("headers", {})}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    content = kwargs.pop("content", None)
    if content is None:
        content = json.dumps(doc).encode()
    return httpx.post(
        f"{node.base_url}/users/{name}/outbox", content=content, headers=headers, timeout=20
    )


def accepted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == body["id"]
    return body


def fetch(url: str, bearer: str | None = None) -> httpx.Response:
    headers = {"Accept": AS}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return httpx.get(url, headers=headers, timeout=10)


def note(content: str, *, to: list[str], cc: list[str] | None = None, **extra: Any) -> dict:
    return {"type": "Note", "content": content, "to": to, "cc": cc or [], **extra}


def create(node: Node, name: str, bearer: str, content: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("to", [PUBLIC])
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "object": note(content, **kwargs),
    }
    return accepted(submit(node, name, bearer, activity))


def test_create_is_201_with_location_and_both_ids_are_served(
    node: Node, tokens: dict[str, str]
) -> None:
    body = create(node, "alice", tokens["alice"], "Lesson plan: #photosynthesis")
    assert body["type"] == "Create" and body["actor"] == actor_id(node, "alice")
    assert body["id"].startswith(actor_id(node, "alice") + "/activities/")
    served = fetch(body["id"])
    assert served.status_code == 200 and served.json()["id"] == body["id"]
    obj = fetch(body["object"]["id"])
    assert obj.status_code == 200
    assert obj.headers["content-type"].startswith(AS)
    doc = obj.json()
    assert doc["type"] == "Note" and doc["attributedTo"] == actor_id(node, "alice")
    assert doc["to"] == [PUBLIC] and doc["cc"] == [actor_id(node, "alice") + "/followers"]
    assert doc["tag"][0]["type"] == "Hashtag"
    page = httpx.get(body["object"]["id"], headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Lesson plan" in page.text


def test_a_bare_object_is_wrapped_in_a_create(node: Node, tokens: dict[str, str]) -> None:
    body = accepted(
        submit(
            node,
            "alice",
            tokens["alice"],
            note("Bare note", to=[PUBLIC], summary="CW: exams", id="https://evil.example/x"),
        )
    )
    assert body["type"] == "Create"
    obj = body["object"]
    assert obj["id"].startswith(actor_id(node, "alice") + "/statuses/")  # our id, not theirs
    assert obj["summary"] == "CW: exams" and obj["sensitive"] is True
    assert fetch(obj["id"]).json()["content"] == "<p>Bare note</p>"


@pytest.mark.parametrize(
    ("to", "cc", "visibility"),
    [
        ([PUBLIC], [], "public"),
        (["FOLLOWERS"], [PUBLIC], "unlisted"),
        (["FOLLOWERS"], [], "followers"),
        (["BOB"], [], "direct"),
    ],
)
def test_visibility_comes_from_the_clients_addressing(
    node: Node, tokens: dict[str, str], to: list[str], cc: list[str], visibility: str
) -> None:
    names = {"FOLLOWERS": actor_id(node, "alice") + "/followers", "BOB": actor_id(node, "bob")}
    to = [names.get(a, a) for a in to]
    cc = [names.get(a, a) for a in cc]
    body = create(node, "alice", tokens["alice"], f"a {visibility} note", to=to, cc=cc)

    async def stored(session: Any) -> str:
        obj = (
            await session.exec(
                select(ContentObject).where(ContentObject.ap_id == body["object"]["id"])
            )
        ).one()
        return str(obj.visibility)

    assert node.with_session(stored) == visibility
    anonymous = fetch(body["object"]["id"]).status_code
    assert anonymous == (200 if visibility in ("public", "unlisted") else 404)
    assert fetch(body["object"]["id"], tokens["alice"]).status_code == 200  # the owner reads it


def test_follow_undo_follow_and_the_collections(
    node: Node, tokens: dict[str, str], remote: RemoteServer
) -> None:
    follow = accepted(
        submit(node, "alice", tokens["alice"], {"type": "Follow", "object": actor_id(node, "bob")})
    )
    assert follow["type"] == "Follow" and follow["object"] == actor_id(node, "bob")

    def state() -> str | None:
        async def query(session: Any) -> str | None:
            row = (
                await session.exec(select(Follow).where(Follow.activity_ap_id == follow["id"]))
            ).first()
            return None if row is None else str(row.state)

        return node.with_session(query)

    # bob is on this node: the Follow goes through our own inbox and is auto-accepted.
    wait_until(lambda: state() == FollowState.ACCEPTED, timeout=15)
    followers = fetch(f"{node.base_url}/users/bob/followers").json()
    assert followers["type"] == "OrderedCollection" and followers["totalItems"] == 1
    first = fetch(followers["first"]).json()
    assert first["type"] == "OrderedCollectionPage"
    assert first["orderedItems"] == [actor_id(node, "alice")]
    following = fetch(f"{node.base_url}/users/alice/following?page=true").json()
    assert actor_id(node, "bob") in following["orderedItems"]

    erin = remote.add_actor("erin")
    remote_follow = accepted(
        submit(node, "alice", tokens["alice"], {"type": "Follow", "object": erin.id})
    )
    assert remote_follow["object"] == erin.id
    wait_until(lambda: any(b"Follow" in r["body"] for r in remote.received), timeout=15)

    undo = accepted(submit(node, "alice", tokens["alice"], {"type": "Undo", "object": follow}))
    assert undo["type"] == "Undo" and undo["object"]["id"] == follow["id"]
    assert state() is None
    assert fetch(f"{node.base_url}/users/bob/followers").json()["totalItems"] == 0
    again = submit(node, "alice", tokens["alice"], {"type": "Undo", "object": follow["id"]})
    assert again.status_code == 400


def test_like_announce_and_their_undos(node: Node, tokens: dict[str, str]) -> None:
    post = create(node, "bob", tokens["bob"], "Field trip photos")
    object_id = post["object"]["id"]
    like = accepted(submit(node, "alice", tokens["alice"], {"type": "Like", "object": object_id}))
    assert like["type"] == "Like" and like["object"] == object_id
    boost = accepted(
        submit(node, "alice", tokens["alice"], {"type": "Announce", "object": object_id})
    )
    assert boost["type"] == "Announce"
    assert fetch(boost["id"]).status_code == 200  # a public boost is public

    def counts() -> tuple[int, int]:
        async def query(session: Any) -> tuple[int, int]:
            obj = (
                await session.exec(select(ContentObject).where(ContentObject.ap_id == object_id))
            ).one()
            return obj.likes_count, obj.announces_count

        return node.with_session(query)

    assert counts() == (1, 1)
    for done in (like, boost):
        undo = accepted(
            submit(node, "alice", tokens["alice"], {"type": "Undo", "object": done["id"]})
        )
        assert undo["object"]["id"] == done["id"]
    assert counts() == (0, 0)


def test_update_of_a_post_and_of_the_profile(node: Node, tokens: dict[str, str]) -> None:
    post = create(node, "alice", tokens["alice"], "Homework: page 12")
    object_id = post["object"]["id"]
    update = accepted(
        submit(
            node,
            "alice",
            tokens["alice"],
            {
                "type": "Update",
                "object": {"id": object_id, "content": "Homework: page 14", "summary": "fixed"},
            },
        )
    )
    assert update["type"] == "Update" and "updated" in update["object"]
    doc = fetch(object_id).json()
    assert doc["content"] == "<p>Homework: page 14</p>" and doc["summary"] == "fixed"
    assert "updated" in doc
    profile = accepted(
        submit(
            node,
            "alice",
            tokens["alice"],
            {
                "type": "Update",
                "object": {"id": actor_id(node, "alice"), "name": "Alice M.", "summary": "Chem"},
            },
        )
    )
    assert profile["object"]["type"] == "Person"
    me = fetch(actor_id(node, "alice")).json()
    assert me["name"] == "Alice M." and me["summary"] == "<p>Chem</p>"


def test_delete_leaves_a_410_tombstone(node: Node, tokens: dict[str, str]) -> None:
    post = create(node, "alice", tokens["alice"], "Wrong room number")
    object_id = post["object"]["id"]
    deleted = accepted(
        submit(node, "alice", tokens["alice"], {"type": "Delete", "object": object_id})
    )
    assert deleted["object"]["type"] == "Tombstone"
    gone = fetch(object_id)
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone" and gone.json()["id"] == object_id
    # the Create no longer carries the text
    assert "Wrong room" not in fetch(post["id"]).text


def test_authentication_and_ownership(node: Node, tokens: dict[str, str]) -> None:
    doc = note("hello", to=[PUBLIC])
    missing = submit(node, "alice", None, doc)
    assert missing.status_code == 401 and "bearer" in missing.headers["www-authenticate"].lower()
    assert submit(node, "alice", "not-a-token", doc).status_code == 401
    assert submit(node, "alice", tokens["bob"], doc).status_code == 403  # someone else's outbox
    no_write = submit(node, "alice", tokens["alice-read"], doc)
    assert no_write.status_code == 403 and "write" in no_write.json()["error"]
    assert submit(node, "nobody", tokens["alice"], doc).status_code == 404


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        (b"{not json", 400, "json"),
        (b"[1, 2]", 400, "object"),
        (json.dumps({"type": "Bite", "object": "x"}).encode(), 400, "unsupported"),
        (json.dumps({"type": "Create", "object": "https://x.example/1"}).encode(), 400, "Create"),
        (json.dumps({"type": "Note", "to": [PUBLIC]}).encode(), 400, "content"),
        (json.dumps({"type": "Like"}).encode(), 400, "object"),
        (json.dumps({"type": "Like", "object": "https://127.0.0.1:9/n"}).encode(), 400, "object"),
        (json.dumps({"type": "Undo", "object": "https://x.example/a"}).encode(), 400, "undone"),
        (
            json.dumps({"type": "Create", "actor": "https://x.example/u", "object": {}}).encode(),
            403,
            "actor",
        ),
    ],
)
def test_malformed_or_unsupported_input_is_a_clear_4xx(
    node: Node, tokens: dict[str, str], payload: bytes, status: int, reason: str
) -> None:
    r = submit(node, "alice", tokens["alice"], None, content=payload)
    assert r.status_code == status, r.text
    assert reason.lower() in r.json()["error"].lower()


def test_only_the_author_deletes_or_edits(node: Node, tokens: dict[str, str]) -> None:
    post = create(node, "bob", tokens["bob"], "bob's note")
    object_id = post["object"]["id"]
    r = submit(node, "alice", tokens["alice"], {"type": "Delete", "object": object_id})
    assert r.status_code == 403
    r = submit(
        node,
        "alice",
        tokens["alice"],
        {"type": "Update", "object": {"id": object_id, "content": "x"}},
    )
    assert r.status_code == 403
    assert fetch(object_id).status_code == 200


def test_an_oversized_body_is_413(node: Node, tokens: dict[str, str]) -> None:
    big = note("x" * (node.settings.max_inbox_bytes + 10), to=[PUBLIC])
    assert submit(node, "alice", tokens["alice"], big).status_code == 413


def test_outbox_pages_only_public_activities(node: Node, tokens: dict[str, str]) -> None:
    followers = actor_id(node, "pager") + "/followers"
    public_ids = [create(node, "pager", tokens["pager"], f"public {i}")["id"] for i in range(22)]
    private = create(node, "pager", tokens["pager"], "followers only", to=[followers])
    outbox = fetch(f"{node.base_url}/users/pager/outbox").json()
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 22
    first = fetch(outbox["first"]).json()
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == outbox["id"]
    assert len(first["orderedItems"]) == 20
    second = fetch(first["next"]).json()
    assert "next" not in second and len(second["orderedItems"]) == 2
    seen = [item["id"] for item in first["orderedItems"] + second["orderedItems"]]
    assert seen == list(reversed(public_ids))  # newest first, nothing twice, nothing lost
    assert private["id"] not in seen
    back = fetch(second["prev"]).json()
    assert [item["id"] for item in back["orderedItems"]] == seen[:20]


def test_inbox_is_for_its_owner_only(node: Node, tokens: dict[str, str]) -> None:
    async def deliver(session: Any) -> list[str]:
        alice = (await session.exec(select(Actor).where(Actor.local_username == "alice"))).one()
        ids = []
        for n in range(3):
            activity_id = f"https://x.example/activities/inbox-{n}"
            item = InboxItem(
                activity_id=activity_id,
                activity_type="Create",
                actor_ap_id="https://x.example/users/zed",
                key_id="https://x.example/users/zed#main-key",
                body={"id": activity_id, "type": "Create", "actor": "https://x.example/users/zed"},
                state="processed",
            )
            session.add(item)
            await session.flush()
            session.add(MailboxEntry(owner_id=alice.id, inbox_item_id=item.id))
            await session.flush()
            ids.append(activity_id)
        return ids

    ids = node.with_session(deliver)
    url = f"{node.base_url}/users/alice/inbox"
    assert fetch(url).status_code == 401
    assert fetch(url, tokens["bob"]).status_code == 403
    collection = fetch(url, tokens["alice"])
    assert collection.status_code == 200 and collection.json()["totalItems"] >= 3
    page = fetch(collection.json()["first"], tokens["alice"]).json()
    got = [item["id"] for item in page["orderedItems"] if item["id"] in ids]
    assert got == list(reversed(ids))  # newest first
    assert fetch(collection.json()["first"]).status_code == 401


def test_featured_lists_only_public_pinned_posts(node: Node, tokens: dict[str, str]) -> None:
    shown = create(node, "bob", tokens["bob"], "pinned and public")
    hidden = create(
        node, "bob", tokens["bob"], "pinned, followers", to=[actor_id(node, "bob") + "/followers"]
    )

    async def pin(session: Any) -> None:
        bob = (await session.exec(select(Actor).where(Actor.local_username == "bob"))).one()
        for created in (shown, hidden):
            session.add(Featured(actor_id=bob.id, object_ap_id=created["object"]["id"]))

    node.with_session(pin)
    featured = fetch(f"{node.base_url}/users/bob/collections/featured").json()
    assert featured["type"] == "OrderedCollection"
    assert [item["id"] for item in featured["orderedItems"]] == [shown["object"]["id"]]
    assert featured["orderedItems"][0]["content"] == "<p>pinned and public</p>"


def test_other_post_types_keep_their_fields(node: Node, tokens: dict[str, str]) -> None:
    question = accepted(
        submit(
            node,
            "alice",
            tokens["alice"],
            {
                "type": "Question",
                "content": "Which day for the parents' evening?",
                "contentMap": {"en": "Which day for the parents' evening?"},
                "oneOf": [{"type": "Note", "name": "Tuesday"}, {"type": "Note", "name": "Friday"}],
                "endTime": "2030-01-01T00:00:00Z",
                "to": [PUBLIC],
            },
        )
    )
    served = fetch(question["object"]["id"]).json()
    assert served["type"] == "Question" and served["contentMap"] == {"en": served["content"]}
    assert [option["name"] for option in served["oneOf"]] == ["Tuesday", "Friday"]
    article = accepted(
        submit(
            node,
            "alice",
            tokens["alice"],
            {
                "type": "Article",
                "name": "Titration lab",
                "content": "<p>Step 1: rinse the burette</p>",
                "schoolSubject": "chemistry",
                "to": [PUBLIC],
            },
        )
    )
    served = fetch(article["object"]["id"]).json()
    assert served["type"] == "Article" and served["name"] == "Titration lab"
    assert served["schoolSubject"] == "chemistry"
    bad = submit(
        node,
        "alice",
        tokens["alice"],
        {"type": "Note", "content": "x", "contentMap": {"not a language!": "x"}, "to": [PUBLIC]},
    )
    assert bad.status_code == 400 and "language" in bad.json()["error"]
