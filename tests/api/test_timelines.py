"""Timelines through Mastodon.py, and the privacy rules every read path must keep.

Proves: home shows the followed accounts' posts and boosts and one's own,
newest first; public shows only public posts (local/remote filters, no
replies to others, only_media); the hashtag timeline finds tags whatever
their case; ``fetch_next`` / ``fetch_previous`` walk pages through the
``Link`` headers without gaps or repeats; and a followers-only or direct
post never reaches a stranger: not through home, public, hashtag, context,
a status GET, favourited_by, a favourite or a bookmark attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonNotFoundError

from tests.api.statuses_support import check_status, client, follow, png, raw
from tests.support.node import Node


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("timelines"), module_db_kind)
    node.migrate()
    for name in ("teacher", "colleague", "stranger", "pager"):
        node.create_user(name)
    node.start()
    follow(node, "colleague", "teacher")
    yield node
    node.close()


@pytest.fixture(scope="module")
def teacher(node: Node) -> Mastodon:
    return client(node, "teacher")


@pytest.fixture(scope="module")
def colleague(node: Node) -> Mastodon:
    return client(node, "colleague")


@pytest.fixture(scope="module")
def stranger(node: Node) -> Mastodon:
    return client(node, "stranger")


def ids(statuses: Any) -> list[Any]:
    return [s["id"] for s in statuses]


def test_home_has_followed_posts_and_boosts(
    node: Node, teacher: Mastodon, colleague: Mastodon, stranger: Mastodon
) -> None:
    own = colleague.status_post("My own note")
    theirs = teacher.status_post("Staff meeting moved to 4pm")
    unrelated = stranger.status_post("Nobody follows me")
    boost = teacher.status_reblog(unrelated)
    home = colleague.timeline_home()
    assert ids(home)[:3] == [boost.id, theirs.id, own.id]
    assert home[0].reblog.id == unrelated.id
    assert unrelated.id not in ids(home)
    with raw(node, "colleague") as http:
        for entity in http.get("/api/v1/timelines/home").json():
            check_status(entity)


def test_followers_only_and_direct_posts_stay_in_their_audience(
    node: Node, teacher: Mastodon, colleague: Mastodon, stranger: Mastodon
) -> None:
    private = teacher.status_post("Grades are in #Reports", visibility="private")
    direct = teacher.status_post("@colleague a word about #Reports", visibility="direct")
    public = teacher.status_post("Open day on Saturday #Reports")
    reply = teacher.status_post("Details to follow", in_reply_to_id=public, visibility="private")

    assert {private.id, direct.id} <= set(ids(colleague.timeline_home()))
    assert private.visibility == "private" and direct.visibility == "direct"
    assert colleague.status(private).id == private.id

    for timeline in (
        stranger.timeline_home(),
        stranger.timeline_public(),
        stranger.timeline_hashtag("reports"),
        colleague.timeline_public(),
        colleague.timeline_hashtag("reports"),
        Mastodon(api_base_url=node.base_url, version_check_mode="none").timeline_public(),
    ):
        assert private.id not in ids(timeline)
        assert direct.id not in ids(timeline)
        assert reply.id not in ids(timeline)
    assert public.id in ids(stranger.timeline_hashtag("REPORTS"))

    for hidden in (private, direct, reply):
        with pytest.raises(MastodonNotFoundError):
            stranger.status(hidden)
        with pytest.raises(MastodonNotFoundError):
            stranger.status_context(hidden)
        with pytest.raises(MastodonNotFoundError):
            stranger.status_favourite(hidden)
        with pytest.raises(MastodonNotFoundError):
            stranger.status_bookmark(hidden)
        with pytest.raises(MastodonNotFoundError):
            stranger.status_favourited_by(hidden)
        r = httpx.get(f"{node.base_url}/api/v1/statuses/{hidden.id}", timeout=10)
        assert r.status_code == 404  # anonymous too
    assert stranger.status_context(public).descendants == []
    assert [s.id for s in colleague.status_context(public).descendants] == [reply.id]
    with pytest.raises(MastodonNotFoundError):
        stranger.poll(private.id)


def test_public_timeline_filters(node: Node, teacher: Mastodon, stranger: Mastodon) -> None:
    unlisted = teacher.status_post("Quiet note", visibility="unlisted")
    picture = teacher.media_post(png(), mime_type="image/png", description="A chart")
    with_media = teacher.status_post("Results chart", media_ids=[picture])
    root = stranger.status_post("Question for everyone")
    answer = teacher.status_post("An answer", in_reply_to_id=root)
    own_thread = stranger.status_post("And a follow-up", in_reply_to_id=root)
    public = ids(stranger.timeline_public())
    assert with_media.id in public and root.id in public and own_thread.id in public
    assert unlisted.id not in public
    assert answer.id not in public  # replies to others stay in their thread
    assert ids(stranger.timeline_public(only_media=True)) == [with_media.id]
    assert with_media.id in ids(stranger.timeline_public(local=True))
    assert stranger.timeline_public(remote=True) == []


def test_paging_with_fetch_next_and_previous(node: Node) -> None:
    pager = client(node, "pager")
    posted = [pager.status_post(f"Lesson {n} #PagingTest").id for n in range(7)]
    newest_first = list(reversed(posted))
    fetches: list[Callable[[], Any]] = [
        lambda: pager.timeline_home(limit=3),
        lambda: pager.timeline_hashtag("pagingtest", limit=3),
    ]
    for fetch in fetches:
        page = fetch()
        seen = ids(page)
        while page := pager.fetch_next(page):
            seen += ids(page)
        assert [i for i in seen if i in posted] == newest_first
    first = pager.timeline_hashtag("pagingtest", limit=3)
    second = pager.fetch_next(first)
    back = pager.fetch_previous(second)
    assert ids(back) == ids(first)
    with raw(node, "pager") as http:
        r = http.get("/api/v1/timelines/tag/pagingtest", params={"limit": 2})
        assert 'rel="next"' in r.headers["link"] and 'rel="prev"' in r.headers["link"]
        newer = http.get("/api/v1/timelines/tag/pagingtest", params={"since_id": posted[4]}).json()
        assert [s["id"] for s in newer] == [str(posted[6]), str(posted[5])]


def test_timelines_need_the_right_scopes(node: Node) -> None:
    anonymous = httpx.get(f"{node.base_url}/api/v1/timelines/home", timeout=10)
    assert anonymous.status_code == 401
    with raw(node, "pager", scopes="read:accounts") as http:
        assert http.get("/api/v1/timelines/home").status_code == 403
        assert http.get("/api/v1/bookmarks").status_code == 403
    with raw(node, "pager", scopes="read:statuses") as http:
        assert http.get("/api/v1/timelines/home/").status_code == 200


def test_muted_accounts_leave_the_viewers_timelines(node: Node) -> None:
    from actors.local import local_actor_by_name
    from actors.mutes import mute

    muter, loud = client(node, "pager"), client(node, "stranger")
    noisy = loud.status_post("Very loud #Announcement")
    assert noisy.id in ids(muter.timeline_public())

    async def work(session: Any, _ctx: Any) -> None:
        actor = await local_actor_by_name(session, "pager")
        target = await local_actor_by_name(session, "stranger")
        assert actor is not None and target is not None
        await mute(session, actor, target)

    node.with_node(work)
    assert noisy.id not in ids(muter.timeline_public())
    assert noisy.id not in ids(muter.timeline_hashtag("announcement"))
    assert muter.status(noisy).id == noisy.id  # still readable directly, as in Mastodon
