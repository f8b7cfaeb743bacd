"""The read paths ask "is the author suspended?" once a page, not once a post.

Over both databases: a page of 20 items from 20 authors (and a 21st author,
suspended, whose posts and boosted posts must be absent) costs the same
number of statements as a page of 5, and reads ``actor_moderation`` once,
for the home and public timelines (the API's and the web pages'), an
account's posts (the API's account statuses and the web profile), a thread
both ways, and the web's post views for a signed-in viewer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from content import threads, timelines
from content.account_posts import StatusFilters, account_statuses
from storage.engine import SessionMaker
from storage.ids import new_id
from storage.models import (
    Actor,
    ActorModeration,
    Announce,
    ContentObject,
    Follow,
    FollowState,
    Like,
    Visibility,
)
from storage.types import utcnow
from tests.support.statements import before_each_statement
from web.views import Paging, post_views

AUTHORS = 20
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class World:
    viewer: Actor
    booster: Actor
    authors: list[Actor]
    suspended: Actor
    posts: list[ContentObject]  # one a visible author, oldest first
    hidden_posts: list[ContentObject]  # the suspended author's


class Statements:
    """Counts every statement, and those reading ``actor_moderation``."""

    def __init__(self) -> None:
        self.total = 0
        self.moderation = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.total += 1
        if "actor_moderation" in statement:
            self.moderation += 1


def _actor(name: str, *, local: bool = False) -> Actor:
    host = "school.example" if local else "other.example"
    return Actor(
        id=new_id(),
        ap_id=f"https://{host}/users/{name}",
        username=name,
        domain=host,
        local=local,
        inbox_url=f"https://{host}/users/{name}/inbox",
        followers_url=f"https://{host}/users/{name}/followers",
    )


def _post(author: Actor, n: int, parent: ContentObject | None = None) -> ContentObject:
    object_id = new_id()
    ap_id = f"{author.ap_id}/statuses/{object_id}"
    assert author.id is not None
    return ContentObject(
        id=object_id,
        ap_id=ap_id,
        author_id=author.id,
        local=author.local,
        visibility=Visibility.PUBLIC,
        content=f"<p>post {n}</p>",
        to=[PUBLIC],
        cc=[author.followers_url or ""],
        in_reply_to=None if parent is None else parent.ap_id,
        conversation=ap_id if parent is None else parent.conversation,
    )


async def _world(sessions: SessionMaker, *, thread: bool = False) -> World:
    """20 authors with a post each and a suspended one with three, interleaved;
    with ``thread``, every post replies to the one before (a 23-post chain)."""
    async with sessions() as session:
        viewer = _actor("viewer", local=True)
        booster = _actor("booster", local=True)
        authors = [_actor(f"author{n}", local=n % 2 == 0) for n in range(AUTHORS)]
        suspended = _actor("suspended")
        everyone = [viewer, booster, *authors, suspended]
        session.add_all(everyone)
        await session.flush()
        session.add(ActorModeration(actor_id=suspended.id, suspended_at=utcnow()))
        for followee in [*authors, suspended]:
            assert viewer.id is not None and followee.id is not None
            session.add(
                Follow(
                    follower_id=viewer.id,
                    followee_id=followee.id,
                    state=FollowState.ACCEPTED,
                    activity_ap_id=f"{viewer.ap_id}#follows/{followee.id}",
                )
            )
        posts: list[ContentObject] = []
        hidden: list[ContentObject] = []
        parent: ContentObject | None = None
        for n, author in enumerate(authors):
            if n % 7 == 3:  # the suspended author's posts sit among the others
                parent = _post(suspended, 100 + n, parent if thread else None)
                hidden.append(parent)
                session.add(parent)
            parent = _post(author, n, parent if thread else None)
            posts.append(parent)
            session.add(parent)
        await session.flush()
        # The booster boosts every post, the suspended author's too.
        for obj in sorted([*posts, *hidden], key=lambda o: o.id or 0):
            assert booster.id is not None and obj.id is not None
            session.add(
                Announce(actor_id=booster.id, object_id=obj.id, activity_ap_id=f"b{obj.id}")
            )
            session.add(Like(actor_id=viewer.id, object_id=obj.id, activity_ap_id=f"l{obj.id}"))
            await session.flush()
        await session.commit()
    return World(viewer, booster, authors, suspended, posts, hidden)


async def _counting(
    sessions: SessionMaker, read: Callable[[Any], Awaitable[list[Any]]]
) -> tuple[list[Any], Statements]:
    async with sessions() as session:
        counter = Statements()
        with before_each_statement(session.get_bind(), counter):
            found = await read(session)
        return found, counter


def _authors_of(items: list[Any], world: World) -> set[int]:
    by_id = {o.id: o for o in [*world.posts, *world.hidden_posts]}
    return {by_id[i.object_id if isinstance(i, Announce) else i.id].author_id for i in items}


async def test_home_timeline_asks_once_a_page(sessions: SessionMaker) -> None:
    world = await _world(sessions)

    async def home(limit: int) -> tuple[list[Any], Statements]:
        return await _counting(
            sessions, lambda s: timelines.home(s, world.viewer, Paging(limit=limit))
        )

    few, small = await home(5)
    page, large = await home(20)
    items = [e.item for e in page]
    assert len(items) == 20 and len(few) == 5
    assert world.suspended.id not in _authors_of(items, world)
    assert _authors_of(items, world) == {a.id for a in world.authors}
    assert large.moderation == small.moderation == 1
    assert large.total == small.total, (small.total, large.total)


async def test_public_timeline_asks_once_a_page(sessions: SessionMaker) -> None:
    world = await _world(sessions)
    for viewer in (None, world.viewer):

        async def public(limit: int, v: Actor | None = viewer) -> tuple[list[Any], Statements]:
            return await _counting(sessions, lambda s: timelines.public(s, v, Paging(limit=limit)))

        few, small = await public(5)
        page, large = await public(20)
        items = [e.item for e in page]
        assert len(items) == 20 and len(few) == 5
        assert _authors_of(items, world) == {a.id for a in world.authors}
        # The query leaves limited and suspended authors out itself (a subquery of
        # actor_moderation); the keeper asks once more, for the whole batch.
        assert large.moderation == small.moderation == 2
        assert large.total == small.total, (small.total, large.total)


async def test_account_posts_ask_once_a_page(sessions: SessionMaker) -> None:
    """The booster's profile: 23 boosts of 21 authors' posts, 3 of them hidden."""
    world = await _world(sessions)

    async def boosts(limit: int) -> tuple[list[Any], Statements]:
        return await _counting(
            sessions,
            lambda s: account_statuses(
                s, world.booster, world.viewer, Paging(limit=limit), StatusFilters()
            ),
        )

    few, small = await boosts(5)
    page, large = await boosts(20)
    assert len(page) == 20 and len(few) == 5
    assert all(isinstance(item, Announce) for item in page)
    assert _authors_of(page, world) == {a.id for a in world.authors}
    assert large.moderation == small.moderation == 1
    assert large.total == small.total, (small.total, large.total)


async def test_a_thread_asks_once_each_way(sessions: SessionMaker) -> None:
    world = await _world(sessions, thread=True)
    root, last = world.posts[0], world.posts[-1]

    below, down = await _counting(sessions, lambda s: threads.descendants(s, root, world.viewer))
    above, up = await _counting(sessions, lambda s: threads.ancestors(s, last, world.viewer))
    assert [o.id for o in below] == [o.id for o in world.posts[1:]]
    assert [o.id for o in above] == [o.id for o in world.posts[:-1]]
    assert down.moderation == up.moderation == 1
    # The walks read one level a query; nothing else grows with the thread.
    levels = len(world.posts) + len(world.hidden_posts)
    assert down.total <= levels + 3, down.total
    assert up.total <= levels + 3, up.total


async def test_web_post_views_cost_a_fixed_number_of_queries(sessions: SessionMaker) -> None:
    world = await _world(sessions)
    async with sessions() as session:
        boosts = await account_statuses(
            session, world.booster, world.viewer, Paging(limit=20), StatusFilters()
        )
    items = [*boosts, *world.posts]

    async def views(count: int) -> tuple[list[Any], Statements]:
        async def read(session: Any) -> list[Any]:
            fresh = [await session.merge(item, load=False) for item in items[:count]]
            return await post_views(session, fresh, world.viewer)

        return await _counting(sessions, read)

    few, small = await views(4)
    shown, large = await views(40)
    assert len(few) == 4 and len(shown) == 40
    assert all(v.liked for v in shown)
    assert [v.boosted_by.id for v in shown[:20] if v.boosted_by] == [world.booster.id] * 20
    assert large.total == small.total, (small.total, large.total)
