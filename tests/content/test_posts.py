"""Local posting on both databases: addressing, mentions over real WebFinger, hashtags, CW,
replies, edits and deletes, and the activities each one publishes.

The posting node runs in-process (a real ``NodeContext`` over a fresh database);
remote mentions resolve against a second, real Staffroom node over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from actors.context import NodeContext
from actors.local import create_person
from content.posts import InvalidPostError, create_post, delete_post, update_post
from federation.constants import PUBLIC
from staffroom.app import node_context
from staffroom.settings import load_settings
from storage.models import (
    Activity,
    Actor,
    ContentObject,
    Delivery,
    Featured,
    Follow,
    FollowState,
    Role,
    Visibility,
)
from tests.support.node import Node, free_port


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """Another node on loopback, where @carol lives."""
    node = Node(tmp_path_factory.mktemp("peer"), "sqlite")
    node.migrate()
    node.create_user("carol")
    node.start()
    yield node
    node.close()


@pytest.fixture
async def node(migrated_database_url: str, tmp_path: Path) -> AsyncIterator[NodeContext]:
    settings = load_settings(
        env={
            "STAFFROOM_DOMAIN": f"127.0.0.1:{free_port()}",
            "STAFFROOM_DATA_DIR": str(tmp_path / "data"),
            "STAFFROOM_DATABASE_URL": migrated_database_url,
            "STAFFROOM_ALLOW_HTTP": "true",
            "STAFFROOM_ALLOW_PRIVATE_ADDRESSES": "true",
        }
    )
    async with node_context(settings) as context:
        yield context


async def person(node: NodeContext, name: str) -> Actor:
    async with node.sessions() as session:
        _account, actor = await create_person(
            session, node.config, name, role=Role.TEACHER, password="correct horse battery"
        )
        await session.commit()
        return actor


async def post(node: NodeContext, author: Actor, text: str, **kwargs: Any) -> ContentObject:
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    async with node.sessions() as session:
        obj = await create_post(session, node, author, content_text_or_html=text, **kwargs)
        await session.commit()
        return obj


async def activities(node: NodeContext, object_ap_id: str) -> list[Activity]:
    async with node.sessions() as session:
        rows = await session.exec(
            select(Activity).where(Activity.object_ap_id == object_ap_id).order_by(col(Activity.id))
        )
        return list(rows.all())


async def follow(node: NodeContext, follower: Actor, followee: Actor) -> None:
    async with node.sessions() as session:
        session.add(
            Follow(
                follower_id=follower.id,
                followee_id=followee.id,
                state=FollowState.ACCEPTED,
                activity_ap_id=f"{follower.ap_id}#follows/{followee.id}",
            )
        )
        await session.commit()


@pytest.mark.parametrize(
    ("visibility", "to", "cc", "public"),
    [
        (Visibility.PUBLIC, ["Public"], ["followers", "bob"], True),
        (Visibility.UNLISTED, ["followers"], ["Public", "bob"], True),
        (Visibility.FOLLOWERS, ["followers"], ["bob"], False),
        (Visibility.DIRECT, ["bob"], [], False),
    ],
)
async def test_addressing_follows_the_visibility(
    node: NodeContext, visibility: Visibility, to: list[str], cc: list[str], public: bool
) -> None:
    alice, bob = await person(node, "alice"), await person(node, "bob")
    names = {"Public": PUBLIC, "followers": alice.followers_url, "bob": bob.ap_id}
    obj = await post(node, alice, "Marking rubric for @bob", visibility=visibility)
    assert obj.ap_id == node.config.object_url("alice", obj.id or 0)
    assert (obj.to, obj.cc) == ([names[n] for n in to], [names[n] for n in cc])
    assert obj.visibility == visibility and obj.local
    (create,) = await activities(node, obj.ap_id)
    assert create.type == "Create" and create.public is public
    assert create.ap_id == node.config.activity_url("alice", create.id or 0)
    assert create.body["to"] == obj.to and create.body["cc"] == obj.cc
    embedded = create.body["object"]
    assert embedded["id"] == obj.ap_id and "@context" not in embedded
    assert embedded["attributedTo"] == alice.ap_id
    assert embedded["tag"] == [
        {"type": "Mention", "href": bob.ap_id, "name": f"@bob@{node.config.domain}"}
    ]


async def test_a_remote_mention_resolves_by_webfinger_and_is_delivered(
    node: NodeContext, peer: Node
) -> None:
    alice = await person(node, "alice")
    carol_id = f"{peer.base_url}/users/carol"
    obj = await post(
        node,
        alice,
        f"Thanks @carol@{peer.domain}! cc @ghost@{peer.domain}",
        visibility=Visibility.DIRECT,
    )
    assert obj.to == [carol_id] and obj.cc == []
    assert obj.tags == [{"type": "Mention", "href": carol_id, "name": f"@carol@{peer.domain}"}]
    assert (
        f'<span class="h-card"><a href="{peer.base_url}/@carol" class="u-url mention"'
    ) in obj.content
    assert f"@ghost@{peer.domain}" in obj.content  # no such account: stays text
    async with node.sessions() as session:
        carol = (await session.exec(select(Actor).where(Actor.ap_id == carol_id))).one()
        assert not carol.local and carol.domain == peer.domain
        (create,) = await activities(node, obj.ap_id)
        deliveries = (
            await session.exec(select(Delivery).where(Delivery.activity_id == create.id))
        ).all()
    assert [d.inbox_url for d in deliveries] == [f"{peer.base_url}/inbox"]
    # The second mention of the same account is served from the cache.
    again = await post(node, alice, f"@carol@{peer.domain} again", visibility="direct")
    assert again.to == [carol_id]


async def test_hashtags_become_tags_and_links(node: NodeContext) -> None:
    alice = await person(node, "alice")
    obj = await post(node, alice, "Titration lab #Chemistry #chemistry #STEM #1")
    base = node.config.base_url
    assert obj.tags == [
        {"type": "Hashtag", "href": f"{base}/tags/chemistry", "name": "#Chemistry"},
        {"type": "Hashtag", "href": f"{base}/tags/stem", "name": "#STEM"},
    ]
    assert f'<a href="{base}/tags/stem" class="mention hashtag"' in obj.content
    assert "#1" in obj.content and "tags/1" not in obj.content


async def test_content_warning_and_sensitive_are_kept(node: NodeContext) -> None:
    alice = await person(node, "alice")
    warned = await post(node, alice, "exam answers", summary="<b>Spoilers</b>: exam")
    assert warned.summary == "Spoilers: exam" and warned.sensitive
    (create,) = await activities(node, warned.ap_id)
    assert create.body["object"]["summary"] == "Spoilers: exam"
    assert create.body["object"]["sensitive"] is True
    flagged = await post(node, alice, "photo of the lab", sensitive=True)
    assert flagged.summary is None and flagged.sensitive
    plain = await post(node, alice, "nothing to hide")
    assert not plain.sensitive


async def test_html_input_is_sanitized(node: NodeContext) -> None:
    alice = await person(node, "alice")
    obj = await post(
        node, alice, "<p>Hi <script>alert(1)</script><b>class</b> <a href='javascript:x'>x</a></p>"
    )
    assert "script" not in obj.content and "javascript" not in obj.content
    assert "<b>class</b>" in obj.content


async def test_a_reply_inherits_the_conversation_and_addresses_the_parent_author(
    node: NodeContext,
) -> None:
    alice, bob = await person(node, "alice"), await person(node, "bob")
    await follow(node, alice, bob)
    parent = await post(node, bob, "Ideas for the science fair?", visibility="followers")
    assert parent.conversation == parent.ap_id
    reply = await post(node, alice, "Volcanoes!", in_reply_to=parent.ap_id)
    assert reply.in_reply_to == parent.ap_id
    assert reply.conversation == parent.conversation
    assert bob.ap_id in reply.cc
    async with node.sessions() as session:
        counted = await session.get(ContentObject, parent.id)
        assert counted is not None and counted.replies_count == 1
    direct = await post(node, alice, "psst", in_reply_to=parent.ap_id, visibility="direct")
    assert direct.to == [bob.ap_id]


async def test_no_reply_to_what_the_author_cannot_see(node: NodeContext) -> None:
    alice, bob = await person(node, "alice"), await person(node, "bob")
    secret = await post(node, bob, "staff room only", visibility="followers")
    with pytest.raises(InvalidPostError):
        await post(node, alice, "me too", in_reply_to=secret.ap_id)
    with pytest.raises(InvalidPostError):
        await post(node, alice, "hm", in_reply_to=f"{node.config.base_url}/users/bob/statuses/1")


async def test_invalid_posts_are_refused(node: NodeContext) -> None:
    alice = await person(node, "alice")
    for kwargs in (
        {"text": "   "},
        {"text": "x", "visibility": "everyone"},
        {"text": "x", "object_type": "Person"},
        {"text": "x" * 100_001},
    ):
        text = kwargs.pop("text")
        with pytest.raises(InvalidPostError):
            await post(node, alice, text, **kwargs)


async def test_update_publishes_an_update_with_updated(node: NodeContext) -> None:
    alice, bob = await person(node, "alice"), await person(node, "bob")
    obj = await post(node, alice, "Homework: page 12", visibility="followers")
    async with node.sessions() as session:
        row = await session.get(ContentObject, obj.id)
        assert row is not None
        await update_post(
            session, node, alice, row, content_text_or_html="Homework: page 14, ask @bob"
        )
        await session.commit()
    _create, update = await activities(node, obj.ap_id)
    assert update.type == "Update" and not update.public
    assert update.body["object"]["content"].startswith("<p>Homework: page 14")
    assert "updated" in update.body["object"]
    assert update.body["cc"] == [bob.ap_id]  # the newly mentioned joins the audience
    assert update.body["to"] == [alice.followers_url]
    async with node.sessions() as session:
        row = await session.get(ContentObject, obj.id)
        assert row is not None
        with pytest.raises(InvalidPostError):  # only the author edits
            await update_post(session, node, bob, row, content_text_or_html="mine now")


async def test_delete_leaves_a_tombstone_and_scrubs_earlier_activities(node: NodeContext) -> None:
    alice = await person(node, "alice")
    obj = await post(node, alice, "Wrong room number for the exam")
    async with node.sessions() as session:
        session.add(Featured(actor_id=alice.id, object_ap_id=obj.ap_id))
        await session.commit()
    async with node.sessions() as session:
        row = await session.get(ContentObject, obj.id)
        assert row is not None
        await delete_post(session, node, alice, row)
        await session.commit()
    create, delete = await activities(node, obj.ap_id)
    assert delete.type == "Delete" and delete.public
    assert delete.body["object"]["type"] == "Tombstone"
    assert delete.body["object"]["id"] == obj.ap_id
    assert create.body["object"] == delete.body["object"]  # the text is gone from the outbox
    async with node.sessions() as session:
        row = await session.get(ContentObject, obj.id)
        assert row is not None and row.deleted_at is not None and row.content == ""
        assert (await session.exec(select(Featured))).all() == []
        with pytest.raises(InvalidPostError):
            await delete_post(session, node, alice, row)
