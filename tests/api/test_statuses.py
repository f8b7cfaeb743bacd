"""Statuses through Mastodon.py against a running node, over both databases.

Proves: posting with an uploaded image and its alt text (the attachment is
in the entity and in the federated AS2 object), a poll and a vote on it,
a reply and the thread's context, favourite/reblog counts and the reblog
wrapper, bookmarks, pins (with the Add published), an edit with its history
and source, delete with ``text`` for redraft, the Idempotency-Key, every
documented Status key with its type, and the refusals (character limit, bad
polls, someone else's post, unknown ids).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.api.statuses_support import check_status, client, png, raw
from tests.support.node import Node


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("statuses"), module_db_kind)
    node.migrate()
    for name in ("alice", "bob", "carol"):
        node.create_user(name)
    node.start()
    yield node
    node.close()


@pytest.fixture(scope="module")
def alice(node: Node) -> Mastodon:
    return client(node, "alice")


@pytest.fixture(scope="module")
def bob(node: Node) -> Mastodon:
    return client(node, "bob")


def as2(node: Node, uri: str) -> dict[str, Any]:
    r = httpx.get(uri, headers={"Accept": "application/activity+json"}, timeout=10)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def test_post_with_an_image_and_alt_text(node: Node, alice: Mastodon) -> None:
    media = alice.media_post(png(), mime_type="image/png", description="A map of the school")
    assert media.url and media.preview_url
    status = alice.status_post("Our new #Geography room", media_ids=[media], sensitive=True)
    with raw(node, "alice") as http:
        entity = http.get(f"/api/v1/statuses/{status.id}").json()
    check_status(entity)
    [attachment] = entity["media_attachments"]
    assert attachment["id"] == str(media.id)
    assert attachment["type"] == "image"
    assert attachment["description"] == "A map of the school"
    assert attachment["meta"]["original"]["width"] == 640
    assert attachment["blurhash"]
    assert entity["sensitive"] is True
    assert entity["tags"] == [{"name": "Geography", "url": f"{node.base_url}/tags/geography"}]
    # The file and its thumbnail are served.
    assert httpx.get(attachment["url"], timeout=10).content.startswith(b"\x89PNG")
    assert httpx.get(attachment["preview_url"], timeout=10).status_code == 200
    # Federated as a Document with alt text, size and blurhash.
    [document] = as2(node, entity["uri"])["attachment"]
    assert document["type"] == "Document"
    assert document["mediaType"] == "image/png"
    assert document["name"] == "A map of the school"
    assert (document["width"], document["height"]) == (640, 480)
    assert document["blurhash"] == attachment["blurhash"]
    # Once attached, the upload is no longer the uploader's to change.
    with pytest.raises(MastodonNotFoundError):
        alice.media_update(media, description="changed")


def test_poll_and_vote(node: Node, alice: Mastodon, bob: Mastodon) -> None:
    status = alice.status_post(
        "Which day for the parents' evening?",
        poll=alice.make_poll(["Tuesday", "Thursday", "Friday"], expires_in=3600),
    )
    assert status.poll.voted is True  # the author's own poll
    assert [o.title for o in status.poll.options] == ["Tuesday", "Thursday", "Friday"]
    poll = bob.poll_vote(status.poll.id, [1])
    assert poll.voted is True and poll.own_votes == [1]
    assert [o.votes_count for o in poll.options] == [0, 1, 0]
    assert poll.votes_count == 1 and poll.voters_count == 1
    with pytest.raises(MastodonAPIError) as twice:
        bob.poll_vote(status.poll.id, [0])
    assert twice.value.args[1] == 422
    with pytest.raises(MastodonAPIError):
        alice.poll_vote(status.poll.id, [0])  # not in one's own poll
    assert alice.poll(status.poll.id).options[1].votes_count == 1
    # The Question federates with its counts.
    question = as2(node, status.uri)
    assert question["type"] == "Question"
    assert [o["replies"]["totalItems"] for o in question["oneOf"]] == [0, 1, 0]


def test_multiple_choice_poll_and_hidden_totals(alice: Mastodon, bob: Mastodon, node: Node) -> None:
    status = alice.status_post(
        "Which clubs?",
        poll=alice.make_poll(["Chess", "Choir", "Robots"], expires_in=600, multiple=True,
                             hide_totals=True),
    )  # fmt: skip
    carol = client(node, "carol")
    before = carol.poll(status.poll.id)
    assert before.multiple is True
    assert [o.votes_count for o in before.options] == [None, None, None]
    after = bob.poll_vote(status.poll.id, [0, 2])
    assert after.own_votes == [0, 2]
    assert [o.votes_count for o in after.options] == [1, 0, 1]


def test_bad_polls_and_long_statuses_are_refused(node: Node) -> None:
    with raw(node, "alice") as http:
        for options in (["only one"], [f"option {i}" for i in range(100)]):
            r = http.post(
                "/api/v1/statuses",
                json={"status": "poll", "poll": {"options": options, "expires_in": 3600}},
            )
            assert r.status_code == 422, r.text
            assert r.json()["error"].startswith("Validation failed:")
        r = http.post("/api/v1/statuses", data={"status": "x" * 5001})
        assert r.status_code == 422
        assert "character limit" in r.json()["error"]
        assert http.post("/api/v1/statuses", data={"status": "  "}).status_code == 422
        r = http.post("/api/v1/statuses", data={"status": "hi", "visibility": "everyone"})
        assert r.status_code == 422
        r = http.post("/api/v1/statuses", data={"status": "later", "scheduled_at": "2099-01-01"})
        assert r.status_code == 422
        r = http.post("/api/v1/statuses", data={"status": "re", "in_reply_to_id": "12345"})
        assert r.status_code == 404
        assert http.get("/api/v1/statuses/12345").json() == {"error": "Record not found"}
        assert http.get("/api/v1/statuses/not-a-number/").status_code == 404


def test_reply_and_context(alice: Mastodon, bob: Mastodon) -> None:
    root = alice.status_post("Any ideas for a fractions lesson?")
    reply = bob.status_post("@alice pizza slices!", in_reply_to_id=root)
    deeper = alice.status_post("@bob love it", in_reply_to_id=reply)
    assert reply.in_reply_to_id == root.id
    assert reply.in_reply_to_account_id == root.account.id
    context = alice.status_context(reply)
    assert [s.id for s in context.ancestors] == [root.id]
    assert [s.id for s in context.descendants] == [deeper.id]
    assert alice.status(root).replies_count == 1
    whole = bob.status_context(root)
    assert [s.id for s in whole.descendants] == [reply.id, deeper.id]


def test_favourite_reblog_and_their_lists(node: Node, alice: Mastodon, bob: Mastodon) -> None:
    status = alice.status_post("Free worksheets for year 7")
    liked = bob.status_favourite(status)
    assert liked.favourited is True and liked.favourites_count == 1
    boost = bob.status_reblog(status)
    assert boost.reblog.id == status.id
    assert boost.account.username == "bob"
    assert boost.reblog.reblogs_count == 1 and boost.reblog.reblogged is True
    with raw(node, "bob") as http:
        check_status(http.get(f"/api/v1/statuses/{boost.id}").json())
    assert [a.username for a in alice.status_favourited_by(status)] == ["bob"]
    assert [a.username for a in alice.status_reblogged_by(status)] == ["bob"]
    assert status.id in [s.id for s in bob.favourites()]
    undone = bob.status_unreblog(status)
    assert undone.id == status.id and undone.reblogs_count == 0 and undone.reblogged is False
    unliked = bob.status_unfavourite(status)
    assert unliked.favourites_count == 0 and unliked.favourited is False


def test_bookmarks(alice: Mastodon, bob: Mastodon) -> None:
    status = alice.status_post("A reading list for the holidays")
    marked = bob.status_bookmark(status)
    assert marked.bookmarked is True
    assert alice.status(status).bookmarked is False  # bookmarks are private
    assert bob.bookmarks()[0].id == status.id
    assert bob.status_unbookmark(status).bookmarked is False
    assert status.id not in [s.id for s in bob.bookmarks()]


def test_pin_publishes_add(node: Node, alice: Mastodon, bob: Mastodon) -> None:
    status = alice.status_post("Welcome to my profile")
    assert alice.status_pin(status).pinned is True
    featured = httpx.get(
        f"{node.base_url}/users/alice/collections/featured",
        headers={"Accept": "application/activity+json"},
        timeout=10,
    ).json()
    assert status.uri in str(featured)
    with pytest.raises(MastodonAPIError) as other:
        bob.status_pin(status)
    assert other.value.args[1] == 422
    assert alice.status_unpin(status).pinned is False

    async def adds(session: Any) -> list[str]:
        from sqlmodel import select

        from storage.models import Activity

        rows = await session.exec(select(Activity.type).where(Activity.object_ap_id == status.uri))
        return list(rows.all())

    assert {"Add", "Remove"} <= set(node.with_session(adds))


def test_edit_with_history_and_source(alice: Mastodon, bob: Mastodon) -> None:
    status = alice.status_post("Homework is due Monday", spoiler_text="Year 9")
    edited = alice.status_update(status, "Homework is due Tuesday", spoiler_text="Year 9 maths")
    assert edited.edited_at is not None
    assert "Tuesday" in edited.content and edited.spoiler_text == "Year 9 maths"
    history = bob.status_history(status)
    assert ["Monday" in v.content for v in history] == [True, False]
    assert [v.spoiler_text for v in history] == ["Year 9", "Year 9 maths"]
    source = alice.status_source(status)
    assert (source.text, source.spoiler_text) == ("Homework is due Tuesday", "Year 9 maths")
    with pytest.raises(MastodonAPIError) as not_author:
        bob.status_update(status, "vandalised")
    assert not_author.value.args[1] == 403


def test_edit_media_and_poll(alice: Mastodon) -> None:
    first = alice.media_post(png(colour=(1, 2, 3)), mime_type="image/png", description="one")
    status = alice.status_post("Photos", media_ids=[first])
    second = alice.media_post(png(colour=(9, 9, 9)), mime_type="image/png", description="two")
    edited = alice.status_update(status, "Photos (more)", media_ids=[first, second])
    assert [m.description for m in edited.media_attachments] == ["one", "two"]
    assert [len(v.media_attachments) for v in alice.status_history(status)] == [1, 2]
    poll = alice.status_post("Vote", poll=alice.make_poll(["a", "b"], expires_in=3600))
    changed = alice.status_update(
        poll, "Vote again", poll=alice.make_poll(["a", "b", "c"], expires_in=3600)
    )
    assert [o.title for o in changed.poll.options] == ["a", "b", "c"]


def test_delete_returns_the_source_for_redraft(node: Node, alice: Mastodon, bob: Mastodon) -> None:
    status = alice.status_post("Oops, wrong class @bob")
    with raw(node, "bob") as http:
        assert http.delete(f"/api/v1/statuses/{status.id}").status_code == 403
    deleted = alice.status_delete(status)
    assert deleted.text == "Oops, wrong class @bob"
    assert deleted.id == status.id
    with pytest.raises(MastodonNotFoundError):
        alice.status(status)
    r = httpx.get(status.uri, headers={"Accept": "application/activity+json"}, timeout=10)
    assert r.status_code == 410


def test_redraft_keeps_media_unless_asked(node: Node, alice: Mastodon) -> None:
    media = alice.media_post(png(), mime_type="image/png", description="Sports day")
    status = alice.status_post("Sports day!", media_ids=[media])
    deleted = alice.status_delete(status)
    assert [m.id for m in deleted.media_attachments] == [media.id]
    redraft = alice.status_post(deleted.text, media_ids=[media])
    assert redraft.media_attachments[0].description == "Sports day"
    url = redraft.media_attachments[0].url
    with raw(node, "alice") as http:
        r = http.delete(f"/api/v1/statuses/{redraft.id}", params={"delete_media": "true"})
        assert r.status_code == 200
    assert httpx.get(url, timeout=10).status_code == 404
    with pytest.raises(MastodonNotFoundError):
        alice.media(media)


def test_idempotency_key(alice: Mastodon, node: Node) -> None:
    key = str(uuid.uuid4())
    first = alice.status_post("Only once, please", idempotency_key=key)
    again = alice.status_post("Only once, please", idempotency_key=key)
    assert again.id == first.id
    other = alice.status_post("Only once, please", idempotency_key=str(uuid.uuid4()))
    assert other.id != first.id
    # Keys are per account: bob's same key makes bob's own post.
    bobs = client(node, "bob").status_post("Mine", idempotency_key=key)
    assert bobs.id != first.id and bobs.account.username == "bob"


def test_scopes_and_tokens(node: Node) -> None:
    with raw(node, "alice", scopes="read") as http:
        r = http.post("/api/v1/statuses", data={"status": "no write scope"})
        assert r.status_code == 403
    r = httpx.post(
        f"{node.base_url}/api/v1/statuses",
        data={"status": "x"},
        headers={"Authorization": "Bearer nonsense"},
        timeout=10,
    )
    assert r.status_code == 401
    with raw(node, "alice", scopes="write:statuses") as http:
        r = http.post("/api/v1/statuses/", json={"status": "granular scope and a trailing /"})
        assert r.status_code == 200
        check_status(r.json())
        assert r.json()["application"] is None or isinstance(r.json()["application"], dict)
