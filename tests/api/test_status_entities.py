"""``api.entities.status`` in-process, over both databases: shapes and query counts.

Proves: a page of statuses costs a fixed number of queries however long it
is (no query per post); a remote post's attachments, mentions, emojis and
poll render from its AS2 fields; visibility names map to Mastodon's
(``followers`` → ``private``); hidden poll totals; a boost renders as a
reblog wrapping the post.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from actors.config import NodeConfig
from actors.local import create_person
from api.entities.poll import poll_entity
from api.entities.status import status_entities, status_entity
from storage.engine import SessionMaker
from storage.ids import new_id
from storage.models import (
    Actor,
    Announce,
    Bookmark,
    ContentObject,
    Like,
    MediaAttachment,
    Role,
    Visibility,
)
from tests.api.statuses_support import check_status
from tests.support.statements import before_each_statement

CONFIG = NodeConfig(
    domain="school.example",
    scheme="https",
    node_name="Staffroom",
    node_description="",
    open_registrations=False,
    allow_http=False,
    allow_private_addresses=False,
    max_inbox_bytes=1 << 20,
    software_version="test",
)
NODE: Any = SimpleNamespace(config=CONFIG)


def _remote_actor() -> Actor:
    return Actor(
        id=new_id(),
        ap_id="https://other.example/users/rémi",
        username="rémi",
        domain="other.example",
        inbox_url="https://other.example/users/rémi/inbox",
        url="https://other.example/@rémi",
    )


def _post(author: Actor, n: int, **fields: Any) -> ContentObject:
    assert author.id is not None
    object_id = new_id()
    return ContentObject(
        id=object_id,
        ap_id=f"https://school.example/users/{author.username}/statuses/{object_id}",
        author_id=author.id,
        local=author.local,
        content=f"<p>post {n}</p>",
        **fields,
    )


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


async def _render_counting(
    sessions: SessionMaker, items: list[Any], viewer: Actor
) -> tuple[list[dict[str, Any]], int]:
    async with sessions() as session:
        engine = session.get_bind()
        counter = Counter()
        with before_each_statement(engine, counter):
            fresh = [await session.merge(item) for item in items]
            counter.count = 0
            entities = await status_entities(session, NODE, fresh, viewer)
        return entities, counter.count


async def test_a_page_costs_a_fixed_number_of_queries(sessions: SessionMaker) -> None:
    async with sessions() as session:
        _account, alice = await create_person(
            session, CONFIG, "alice", role=Role.TEACHER, password="correct horse battery"
        )
        _account, bob = await create_person(
            session, CONFIG, "bob", role=Role.TEACHER, password="correct horse battery"
        )
        remote = _remote_actor()
        session.add(remote)
        await session.flush()
        posts = []
        for n in range(20):
            author = (alice, bob, remote)[n % 3]
            obj = _post(author, n, type="Question" if n % 5 == 0 else "Note")
            if n % 5 == 0:
                obj.extra = {"oneOf": [{"name": "a", "votes": 1}, {"name": "b", "votes": 0}]}
            session.add(obj)
            posts.append(obj)
        await session.flush()
        for obj in posts[:10]:
            assert obj.id is not None and bob.id is not None and alice.id is not None
            session.add(Like(actor_id=bob.id, object_id=obj.id, activity_ap_id=f"l{obj.id}"))
            session.add(Bookmark(actor_id=bob.id, object_id=obj.id))
            session.add(
                MediaAttachment(
                    actor_id=alice.id,
                    object_id=obj.id,
                    content_type="image/png",
                    file_name=f"attachments/{obj.id}.png",
                )
            )
        assert alice.id is not None and posts[1].id is not None
        boost = Announce(actor_id=alice.id, object_id=posts[1].id, activity_ap_id="b1")
        session.add(boost)
        await session.commit()
    small, few = await _render_counting(sessions, posts[:2], bob)
    page, many = await _render_counting(sessions, [boost, *posts], bob)
    assert len(small) == 2 and len(page) == 21
    assert many == few, (few, many)
    assert many <= 16
    for entity in page:
        check_status(entity)
    assert page[0]["reblog"]["id"] == str(posts[1].id)
    assert page[0]["account"]["username"] == "alice"
    assert page[1]["favourited"] is True and page[1]["bookmarked"] is True
    assert page[1]["poll"]["own_votes"] == []
    assert page[-1]["favourited"] is False


async def test_remote_post_fields(sessions: SessionMaker) -> None:
    async with sessions() as session:
        _account, alice = await create_person(
            session, CONFIG, "alice", role=Role.TEACHER, password="correct horse battery"
        )
        remote = _remote_actor()
        session.add(remote)
        await session.flush()
        obj = _post(
            remote,
            1,
            visibility=Visibility.FOLLOWERS,
            summary="CW",
            language="fr",
            tags=[
                {"type": "Mention", "name": "@alice@school.example", "href": alice.ap_id},
                {"type": "Mention", "name": "@ghost@nowhere.example", "href": "https://x/y"},
                {"type": "Hashtag", "name": "#Sciences", "href": "https://other.example/tags/x"},
                {"type": "Emoji", "name": ":blob:", "icon": "https://other.example/blob.png"},
            ],
            attachments=[
                {
                    "type": "Document",
                    "mediaType": "video/mp4",
                    "url": "https://other.example/v.mp4",
                    "name": "A clip",
                    "width": 640,
                    "height": 360,
                },
                {"type": "Link", "url": "https://other.example/page"},
            ],
            updated_at=datetime.now(UTC),
        )
        session.add(obj)
        await session.flush()
        entity = await status_entity(session, NODE, obj, alice)
    check_status(entity)
    assert entity["visibility"] == "private"
    assert entity["spoiler_text"] == "CW" and entity["language"] == "fr"
    assert entity["edited_at"] is not None
    assert [m["acct"] for m in entity["mentions"]] == ["alice"]
    assert entity["tags"] == [{"name": "Sciences", "url": "https://school.example/tags/sciences"}]
    assert entity["emojis"][0]["shortcode"] == "blob"
    [video] = entity["media_attachments"]
    assert video["type"] == "video" and video["remote_url"] == "https://other.example/v.mp4"
    assert video["description"] == "A clip"
    assert video["meta"]["original"]["size"] == "640x360"
    assert entity["account"]["acct"] == "rémi@other.example"


def test_poll_entity_hides_totals_until_voted_or_ended() -> None:
    end = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    obj = ContentObject(
        id=1,
        ap_id="https://school.example/q",
        author_id=1,
        type="Question",
        extra={
            "anyOf": [{"name": "x", "votes": 2}, {"name": "y", "votes": 1}],
            "endTime": end,
            "votersCount": 2,
            "hideTotals": True,
        },
    )
    hidden = poll_entity(obj, own_votes=[])
    assert hidden is not None
    assert [o["votes_count"] for o in hidden["options"]] == [None, None]
    assert hidden["multiple"] is True and hidden["voters_count"] == 2
    assert hidden["expires_at"].endswith(".000Z") and hidden["expired"] is False
    shown = poll_entity(obj, own_votes=[1])
    assert shown is not None and [o["votes_count"] for o in shown["options"]] == [2, 1]
    assert poll_entity(ContentObject(id=2, ap_id="n", author_id=1)) is None
