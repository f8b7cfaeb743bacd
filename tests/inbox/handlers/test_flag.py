"""Flag: reports about our actors or posts are stored for moderators; others are not ours.

Payloads: Mastodon's Flag (sent by the instance actor, comment in
``content``), Lemmy's report (reason in ``summary``).
"""

from __future__ import annotations

from storage.models import Report
from tests.inbox.handlers.conftest import Harness, adapt


async def test_mastodon_report_of_our_account_and_posts(world: Harness) -> None:
    world.remote.add_actor("actor")
    user = await world.local("1")
    first = await world.post(user, ap_id=f"{world.base_url}/posts/380590")
    body = adapt(
        "mastodon/activity-flag.json",
        {
            "https://mastodon.example/actor": f"{world.remote.base_url}/users/actor",
            "https://mastodon.example": world.remote.base_url,
            "https://example.com": world.base_url,
        },
    )
    item = await world.receive(body)
    assert item.state == "processed"
    [report] = await world.rows(Report)
    assert report.target_id == user.id
    assert report.comment == "Please take a look at this user and their posts"
    assert report.object_ap_ids == [first.ap_id, f"{world.base_url}/posts/380591"]
    assert report.activity_ap_id == body["id"]
    body["id"] += "-again"  # a second report is a second report...
    await world.receive(body)
    item_again = await world.receive(body)  # ...but the same one twice is one
    assert item_again.state == "processed"
    assert len(await world.rows(Report)) == 2


async def test_lemmy_report_of_our_post_uses_its_summary(world: Harness) -> None:
    world.remote.add_actor("lemmy_alpha")
    author = await world.local("teacher")
    post = await world.post(author, ap_id=f"{world.base_url}/post/7")
    body = adapt(
        "lemmy/activity-community-report-page.json",
        {
            "http://ds9.lemmy.ml/u/lemmy_alpha": f"{world.remote.base_url}/users/lemmy_alpha",
            "http://ds9.lemmy.ml": world.remote.base_url,
            "http://enterprise.lemmy.ml": world.base_url,
        },
    )
    assert (await world.receive(body)).state == "processed"
    [report] = await world.rows(Report)
    assert (report.target_id, report.comment, report.object_ap_ids) == (
        author.id,
        "report this post",
        [post.ap_id],
    )


async def test_a_report_about_nothing_of_ours_is_not_stored(world: Harness) -> None:
    world.remote.add_actor("actor")
    body = adapt(
        "mastodon/activity-flag.json",
        {
            "https://mastodon.example/actor": f"{world.remote.base_url}/users/actor",
            "https://mastodon.example": world.remote.base_url,
        },
    )
    assert (await world.receive(body)).state == "processed"
    assert await world.rows(Report) == []
