"""Create: stored once, sanitized, with visibility from addressing; replies and threads.

Payloads: Mastodon (hashtag + mention + content warning, direct message,
attachment, Question, poll vote), Mobilizon Event, Lemmy Page, GoToSocial
reply, all re-hosted on the loopback server.
"""

from __future__ import annotations

from typing import Any

import pytest

from content.objects import REPLY_FETCH_DEPTH
from federation.constants import PUBLIC
from inbox.pipeline import BadActivityError
from storage.models import Block, ContentObject, Follow, FollowState, Visibility
from tests.inbox.handlers.conftest import Harness, adapt

MASTODON = "http://mastodon.example.org"
LAIN = "http://localtesting.pleroma.lol/users/lain"


def create(world: Harness, author: str, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{obj['id']}/activity",
        "type": "Create",
        "actor": author,
        "to": obj.get("to", []),
        "cc": obj.get("cc", []),
        "object": obj,
        **extra,
    }


def note(author: str, ap_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ap_id,
        "type": "Note",
        "attributedTo": author,
        "content": "<p>Lesson plan: titration</p>",
        "to": [PUBLIC],
        "cc": [f"{author}/followers"],
        "published": "2026-01-10T10:00:00Z",
        **extra,
    }


async def test_mastodon_note_with_mention_hashtag_and_content_warning(world: Harness) -> None:
    world.remote.add_actor("admin")
    lain = await world.local("lain")
    body = adapt(
        "mastodon/activity-create-note-hashtag.json",
        {MASTODON: world.remote.base_url, LAIN: lain.ap_id},
    )
    item = await world.receive(body)
    assert item.state == "processed", item.error
    stored = await world.obj(body["object"]["id"])
    assert stored is not None and not stored.local
    assert stored.visibility == Visibility.PUBLIC
    assert (stored.summary, stored.sensitive) == ("cw", True)
    assert 'class="u-url mention"' in stored.content and 'class="h-card"' in stored.content
    assert 'rel="nofollow noopener noreferrer"' in stored.content
    assert [t["type"] for t in stored.tags] == ["Mention", "Hashtag"]
    assert stored.tags[1]["name"] == "#moo"
    assert stored.conversation.startswith("tag:mastodon.example.org")
    assert item.activity_id in await world.mailbox_of(lain)  # mentioned in cc
    # The same object again (redelivery under another activity id) changes nothing.
    body["id"] += "/again"
    body["object"]["content"] = "<p>changed</p>"
    assert (await world.receive(body)).state == "processed"
    assert (await world.obj(body["object"]["id"])).content == stored.content
    assert len(await world.rows(ContentObject)) == 1


@pytest.mark.parametrize(
    ("to", "cc", "visibility"),
    [
        (["PUBLIC"], ["FOLLOWERS"], Visibility.PUBLIC),
        (["FOLLOWERS"], ["PUBLIC"], Visibility.UNLISTED),
        (["FOLLOWERS"], ["LAIN"], Visibility.FOLLOWERS),
        (["LAIN"], [], Visibility.DIRECT),
        (["as:Public"], [], Visibility.PUBLIC),
    ],
)
async def test_visibility_comes_from_addressing(
    world: Harness, to: list[str], cc: list[str], visibility: Visibility
) -> None:
    carol = world.remote.add_actor("carol")
    lain = await world.local("lain")
    names = {"PUBLIC": PUBLIC, "FOLLOWERS": f"{carol.id}/followers", "LAIN": lain.ap_id}
    obj = note(carol.id, f"{carol.id}/notes/1")
    obj["to"] = [names.get(a, a) for a in to]
    obj["cc"] = [names.get(a, a) for a in cc]
    assert (await world.receive(create(world, carol.id, obj))).state == "processed"
    assert (await world.obj(obj["id"])).visibility == visibility


async def test_mastodon_direct_message_reaches_only_its_addressee(world: Harness) -> None:
    world.remote.add_actor("admin")
    tcit = await world.local("tcit")
    bystander = await world.local("bystander")
    body = adapt(
        "mastodon/activity-create-note-private.json",
        {
            "https://framapiaf.org/users/tcit": tcit.ap_id,
            "https://framapiaf.org": world.remote.base_url,
        },
    )
    # bystander follows the sender: a direct message still does not reach them.
    admin = await world.known(world.remote.actors["admin"])
    async with world.node.sessions() as session:
        session.add(
            Follow(
                follower_id=bystander.id,
                followee_id=admin.id,
                state=FollowState.ACCEPTED,
                activity_ap_id=f"{bystander.ap_id}#f",
            )
        )
        await session.commit()
    item = await world.receive(body)
    assert (await world.obj(body["object"]["id"])).visibility == Visibility.DIRECT
    assert item.activity_id in await world.mailbox_of(tcit)
    assert await world.mailbox_of(bystander) == []


async def test_public_posts_reach_local_followers_unless_they_block(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    fan = await world.local("fan")
    blocker = await world.local("blocker")
    stranger = await world.local("stranger")
    remote_carol = await world.known(carol)
    async with world.node.sessions() as session:
        for follower in (fan, blocker):
            session.add(
                Follow(
                    follower_id=follower.id,
                    followee_id=remote_carol.id,
                    state=FollowState.ACCEPTED,
                    activity_ap_id=f"{follower.ap_id}#f",
                )
            )
        session.add(Block(actor_id=blocker.id, target_id=remote_carol.id))
        await session.commit()
    item = await world.receive(create(world, carol.id, note(carol.id, f"{carol.id}/notes/9")))
    assert item.activity_id in await world.mailbox_of(fan)
    assert await world.mailbox_of(blocker) == []
    assert await world.mailbox_of(stranger) == []


async def test_hostile_html_is_stripped(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    html = (
        '<p onclick="x()">Hi<script>alert(1)</script><style>p{}</style>'
        '<img src="x" onerror="alert(1)"><a href="javascript:alert(1)">x</a>'
        '<a href="https://ok.example/" class="mention hashtag evil" target="_blank">#tag</a>'
        "<iframe src='https://evil.example'></iframe></p>"
    )
    obj = note(carol.id, f"{carol.id}/notes/2", content=html, summary="<b>CW</b> &amp; more")
    await world.receive(create(world, carol.id, obj))
    stored = await world.obj(obj["id"])
    assert stored.content == (
        '<p>Hi<a rel="nofollow noopener noreferrer">x</a>'
        '<a href="https://ok.example/" class="mention hashtag" rel="nofollow noopener noreferrer">'
        "#tag</a></p>"
    )
    assert stored.summary == "CW & more"


async def test_mastodon_question_keeps_its_options(world: Harness) -> None:
    world.remote.add_actor("rinpatch")
    body = adapt(
        "mastodon/activity-create-question.json",
        {"https://mastodon.sdf.org": world.remote.base_url},
    )
    assert (await world.receive(body)).state == "processed"
    poll = await world.obj(body["object"]["id"])
    assert poll.type == "Question"
    assert poll.language == "en"
    assert [(o["name"], o["votes"]) for o in poll.extra["oneOf"]] == [
        ("Dunno", 0),
        ("Everyone knows that!", 1),
        ("25 char limit is dumb", 0),
        ("I can't even fit a funny", 1),
    ]
    assert poll.extra["endTime"] == "2019-05-11T09:03:36Z"


async def test_a_poll_vote_is_not_a_post(world: Harness) -> None:
    world.remote.add_actor("rinpatch")
    rin = await world.local("rin")
    question = await world.post(
        rin, type="Question", extra={"oneOf": [{"name": "suya..", "votes": 0}]}
    )
    body = adapt(
        "mastodon/activity-create-note-poll-vote.json",
        {
            "https://testing.uguu.ltd/objects/9d300947-2dcb-445d-8978-9a3b4b84fa14": question.ap_id,
            "https://testing.uguu.ltd/users/rin": rin.ap_id,
            "https://mastodon.sdf.org": world.remote.base_url,
        },
    )
    assert (await world.receive(body)).state == "processed"
    assert len(await world.rows(ContentObject)) == 1
    assert (await world.obj(question.ap_id)).replies_count == 0


async def test_mobilizon_event(world: Harness) -> None:
    world.remote.add_actor("metacartes")
    body = adapt(
        "mobilizon/activity-create-event.json",
        {
            "https://mobilizon.fr/@metacartes": f"{world.remote.base_url}/users/metacartes",
            "https://mobilizon.fr": world.remote.base_url,
        },
    )
    assert (await world.receive(body)).state == "processed"
    event = await world.obj(body["object"]["id"])
    assert (event.type, event.name) == ("Event", "My first event")
    assert event.extra["startTime"] == "2018-02-12T14:08:20Z"
    assert event.extra["location"]["address"]["addressLocality"] == "Lyon"
    assert event.extra["category"] == "TODO remove me"
    assert [a["url"] for a in event.attachments] == ["https://something.org", "https://google.com"]


async def test_lemmy_page_with_language_and_link(world: Harness) -> None:
    world.remote.add_actor("lemmy_alpha")
    body = adapt(
        "lemmy/activity-create-or-update-create-page.json",
        {
            "http://ds9.lemmy.ml/u/lemmy_alpha": f"{world.remote.base_url}/users/lemmy_alpha",
            "http://ds9.lemmy.ml": world.remote.base_url,
        },
    )
    assert (await world.receive(body)).state == "processed"
    page = await world.obj(body["object"]["id"])
    assert (page.type, page.name, page.language) == ("Page", "test post", "ko")
    assert page.content == "<p>test body</p>"
    assert page.visibility == Visibility.PUBLIC
    assert page.attachments == [
        {"type": "Link", "url": "https://lemmy.ml/pictrs/image/xl8W7FZfk9.jpg"}
    ]


async def test_mastodon_attachment_is_kept(world: Harness) -> None:
    world.remote.add_actor("admin")
    body = adapt("mastodon/activity-create-note-attachment.json", {MASTODON: world.remote.base_url})
    assert (await world.receive(body)).state == "processed"
    stored = await world.obj(body["object"]["id"])
    [attachment] = stored.attachments
    assert attachment["type"] == "Document" and attachment["mediaType"] == "image/jpeg"
    assert '<span class="invisible">http://</span>' in stored.content


async def test_gotosocial_reply_to_our_post_counts_on_the_parent(world: Harness) -> None:
    world.remote.add_actor("testuser")
    teacher = await world.local("teacher")
    parent = await world.post(teacher)
    body = adapt(
        "gotosocial/activity-create-note-reply-interactionpolicy.json",
        {
            "{{LOCAL_POST_URL}}": parent.ap_id,
            "https://gotosocial.example.com": world.remote.base_url,
        },
    )
    item = await world.receive(body)
    assert item.state == "processed", item.error
    reply = await world.obj(body["object"]["id"])
    assert reply.in_reply_to == parent.ap_id
    assert reply.tags == [
        {"type": "Mention", "name": "@someone@example.com", "href": "https://example.com/?author=0"}
    ]
    assert (await world.obj(parent.ap_id)).replies_count == 1
    assert item.activity_id in await world.mailbox_of(teacher)


async def test_a_reply_fetches_its_missing_thread_to_the_depth_limit(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    dave = world.remote.add_actor("dave")
    chain = REPLY_FETCH_DEPTH + 2
    for n in range(chain):
        parent = {"inReplyTo": f"{dave.id}/notes/{n - 1}"} if n else {}
        world.remote.serve(note(dave.id, f"{dave.id}/notes/{n}", **parent))
    reply = note(carol.id, f"{carol.id}/notes/reply", inReplyTo=f"{dave.id}/notes/{chain - 1}")
    item = await world.receive(create(world, carol.id, reply))
    assert item.state == "processed", item.error
    fetched = {o.ap_id for o in await world.rows(ContentObject)} - {reply["id"]}
    assert fetched == {f"{dave.id}/notes/{n}" for n in range(chain - REPLY_FETCH_DEPTH, chain)}
    assert (await world.obj(f"{dave.id}/notes/{chain - 1}")).replies_count == 1
    assert (await world.actor(dave.id)) is not None


async def test_a_reply_to_an_unreachable_parent_is_still_stored(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    world.remote.serve(404, path="/missing")
    reply = note(carol.id, f"{carol.id}/notes/r", inReplyTo=f"{world.remote.base_url}/missing")
    assert (await world.receive(create(world, carol.id, reply))).state == "processed"
    assert (await world.obj(reply["id"])).in_reply_to == f"{world.remote.base_url}/missing"


async def test_an_object_attributed_to_someone_else_is_refused(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    dave = world.remote.add_actor("dave")
    obj = note(dave.id, f"{carol.id}/notes/forged")
    with pytest.raises(BadActivityError):  # the edge refuses it...
        await world.receive(create(world, carol.id, obj))
    item = await world.receive(create(world, carol.id, obj), edge=False)  # ...and so would we
    assert item.state == "rejected"
    assert await world.rows(ContentObject) == []


async def test_a_create_naming_its_object_by_id_fetches_it(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    obj = note(carol.id, f"{carol.id}/notes/by-id")
    world.remote.serve(obj)
    body = create(world, carol.id, obj)
    body["object"] = obj["id"]
    assert (await world.receive(body)).state == "processed"
    assert (await world.obj(obj["id"])).content == "<p>Lesson plan: titration</p>"


async def test_a_deleted_object_is_not_revived_by_a_late_create(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    obj = note(carol.id, f"{carol.id}/notes/late")
    await world.receive(create(world, carol.id, obj))
    delete = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{obj['id']}#delete",
        "type": "Delete",
        "actor": carol.id,
        "object": {"id": obj["id"], "type": "Tombstone"},
    }
    await world.receive(delete)
    late = create(world, carol.id, obj)
    late["id"] += "/retry"
    assert (await world.receive(late)).state == "processed"
    stored = await world.obj(obj["id"])
    assert stored.deleted_at is not None and stored.content == ""


async def test_objects_we_do_not_store_are_ignored(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    chat = {**note(carol.id, f"{carol.id}/chat/1"), "type": "ChatMessage"}
    assert (await world.receive(create(world, carol.id, chat))).state == "processed"
    assert await world.rows(ContentObject) == []
