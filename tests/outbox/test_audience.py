"""Who a post is delivered to (:func:`outbox.audience.resolve`), on SQLite and PostgreSQL.

Remote actors are reached through their shared inbox, else their own, and
only on their own id's origin; gone actors get nothing; local ones are handed
over locally; one inbox is one delivery however many actors share it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from outbox.audience import Audience, resolve
from storage.engine import SessionMaker
from storage.ids import new_id
from storage.models import Actor, Follow, FollowState
from tests.support.outbox import make_author, make_remote, note

BASE = "https://school.example"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _post(session: AsyncSession, author: Actor, **addressing: list[str]) -> Audience:
    body = note(author)
    body.update(addressing)
    body["object"].update(addressing)
    return await resolve(session, author, body)


async def _follow(session: AsyncSession, follower: Actor, followee: Actor, state: str) -> None:
    session.add(
        Follow(
            id=new_id(),
            follower_id=follower.id,  # type: ignore[arg-type]
            followee_id=followee.id,  # type: ignore[arg-type]
            state=state,
            activity_ap_id=f"{follower.ap_id}/follows/{new_id()}",
        )
    )
    await session.flush()


async def test_followers_on_one_host_share_its_shared_inbox_in_one_delivery(
    sessions: SessionMaker,
) -> None:
    async with sessions() as session:
        author = await make_author(session, BASE)
        for host in ("a.example", "b.example"):
            for i in range(3):
                await make_remote(
                    session,
                    f"https://{host}/users/u{i}",
                    shared_inbox_url=f"https://{host}/inbox",
                    follows=author,
                )
        await make_remote(session, "https://c.example/users/solo", follows=author)
        audience = await _post(session, author)
    assert audience.inboxes == {
        "https://a.example/inbox",
        "https://b.example/inbox",
        "https://c.example/users/solo/inbox",
    }
    assert audience.public is True
    assert audience.local_recipients == set()


async def test_a_shared_inbox_on_another_origin_falls_back_to_the_actors_own_inbox(
    sessions: SessionMaker,
) -> None:
    """Each actor is judged alone: the honest neighbour's shared inbox vouches for no one."""
    async with sessions() as session:
        author = await make_author(session, BASE)
        await make_remote(
            session,
            "https://a.example/users/honest",
            shared_inbox_url="https://a.example/inbox",
            follows=author,
        )
        await make_remote(
            session,
            "https://evil.example/users/e",
            shared_inbox_url="https://a.example/inbox",
            follows=author,
        )
        await make_remote(
            session,
            "https://b.example:8443/users/p",  # a port makes another origin
            shared_inbox_url="https://b.example/inbox",
            follows=author,
        )
        audience = await _post(session, author)
    assert audience.inboxes == {
        "https://a.example/inbox",
        "https://evil.example/users/e/inbox",
        "https://b.example:8443/users/p/inbox",
    }


async def test_an_actor_whose_inboxes_are_both_on_another_origin_gets_no_delivery(
    sessions: SessionMaker,
) -> None:
    async with sessions() as session:
        author = await make_author(session, BASE)
        await make_remote(
            session,
            "https://legacy.example/users/l",
            inbox_url="https://victim.example/users/l/inbox",
            shared_inbox_url="https://victim.example/inbox",
            follows=author,
        )
        await make_remote(
            session,
            "https://legacy.example/users/m",
            inbox_url="http://legacy.example/users/m/inbox",  # another scheme: another origin
            follows=author,
        )
        audience = await _post(session, author)
    assert audience.inboxes == set()


async def test_hosts_and_schemes_compare_without_case_as_urlsplit_reads_them(
    sessions: SessionMaker,
) -> None:
    async with sessions() as session:
        author = await make_author(session, BASE)
        await make_remote(
            session,
            "HTTPS://Upper.Example/users/u",
            shared_inbox_url="https://upper.example/inbox",
            follows=author,
        )
        await make_remote(
            session,
            "https://lower.example/users/l",
            shared_inbox_url="https://LOWER.example/inbox",
            follows=author,
        )
        await make_remote(
            session,
            "https://lower.example.evil/users/x",  # the same text for a start, another host
            shared_inbox_url="https://lower.example/inbox",
            follows=author,
        )
        audience = await _post(session, author)
    assert audience.inboxes == {
        "https://upper.example/inbox",
        "https://LOWER.example/inbox",
        "https://lower.example.evil/users/x/inbox",
    }


async def test_gone_followers_get_nothing_and_local_followers_are_handed_over_locally(
    sessions: SessionMaker,
) -> None:
    async with sessions() as session:
        author = await make_author(session, BASE)
        colleague = await make_author(session, BASE, "colleague")
        await _follow(session, colleague, author, FollowState.ACCEPTED)
        gone = await make_remote(session, "https://a.example/users/gone", follows=author)
        gone.gone = True
        await make_remote(session, "https://a.example/users/here", follows=author)
        audience = await _post(session, author)
    assert audience.local_recipients == {colleague.id}
    assert audience.inboxes == {"https://a.example/users/here/inbox"}


async def test_only_accepted_follows_count(sessions: SessionMaker) -> None:
    async with sessions() as session:
        author = await make_author(session, BASE)
        for state in (FollowState.PENDING, FollowState.REJECTED):
            asker = await make_remote(session, f"https://a.example/users/{state}")
            await _follow(session, asker, author, state)
        others = await make_author(session, BASE, "other")
        await make_remote(session, "https://b.example/users/theirs", follows=others)
        audience = await _post(session, author)
    assert audience.inboxes == set()


async def test_addressed_actors_are_resolved_by_the_same_rules(sessions: SessionMaker) -> None:
    """A direct post: no followers, no public; the author never receives her own post."""
    async with sessions() as session:
        author = await make_author(session, BASE)
        colleague = await make_author(session, BASE, "colleague")
        sharer = await make_remote(
            session, "https://a.example/users/s", shared_inbox_url="https://a.example/inbox"
        )
        elsewhere = await make_remote(
            session, "https://c.example/users/e", shared_inbox_url="https://d.example/inbox"
        )
        gone = await make_remote(session, "https://a.example/users/gone")
        gone.gone = True
        await make_remote(session, "https://b.example/users/follower", follows=author)
        addressed = [author.ap_id, colleague.ap_id, sharer.ap_id, elsewhere.ap_id, gone.ap_id]
        audience = await _post(
            session, author, to=addressed, cc=["https://unknown.example/users/nobody"]
        )
    assert audience.public is False
    assert audience.local_recipients == {colleague.id}
    assert audience.inboxes == {"https://a.example/inbox", "https://c.example/users/e/inbox"}


async def test_the_followers_are_judged_as_each_actor_row_by_its_own_document(
    sessions: SessionMaker,
) -> None:
    """Many followers, every shape at once: the audience is what judging each full
    row alone (the rule as first written, with both URLs parsed) gives."""
    shapes = [
        ("https://h{h}.example/users/u{i}", "https://h{h}.example/inbox"),
        ("https://h{h}.example/users/u{i}", None),
        ("https://h{h}.example/users/u{i}", "https://h{h}.example:444/inbox"),
        ("https://H{h}.example/users/u{i}", "https://h{h}.example/inbox"),
        ("https://h{h}.example?u{i}", "https://h{h}.example/inbox"),
        ("https://h{h}.example.org/users/u{i}", "https://h{h}.example/inbox"),
        ("http://h{h}.example/users/u{i}", "https://h{h}.example/inbox"),
    ]
    async with sessions() as session:
        author = await make_author(session, BASE)
        for h in range(4):
            for i, (ap_id, shared) in enumerate(shapes * 2):
                actor = await make_remote(
                    session,
                    ap_id.format(h=h, i=i),
                    shared_inbox_url=shared and shared.format(h=h),
                    follows=author,
                )
                actor.gone = (h + i) % 5 == 0
        audience = await _post(session, author)
        followers = (
            await session.exec(
                select(Actor)
                .join(Follow, col(Follow.follower_id) == col(Actor.id))
                .where(Follow.followee_id == author.id)
            )
        ).all()
    expected = {
        inbox
        for actor in followers
        if not actor.gone
        for inbox in [
            next(
                (
                    url
                    for url in (actor.shared_inbox_url, actor.inbox_url)
                    if url and _parsed_origin(url) == _parsed_origin(actor.ap_id)
                ),
                None,
            )
        ]
        if inbox is not None
    }
    assert len(followers) == 4 * 14
    assert audience.inboxes == expected
    assert len(expected) > 4  # shared inboxes, own inboxes, and some refused


def _parsed_origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
