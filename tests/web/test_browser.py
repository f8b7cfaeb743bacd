"""The pages in a real browser: Debian's chromium driven by Playwright, checked by axe-core.

Two nodes on loopback (A: PostgreSQL when configured, B: SQLite) and one
browser for the module. The story, in order: alice signs in on A; bob on B
finds ``@alice@A`` and follows her; alice posts with an image, alt text and a
content warning, and bob sees it on B; alice publishes a material (a PDF,
uploaded through the form's script) and bob finds it by a word in B's
library and reviews it there; bob switches to Russian and reads "1 отзыв";
a followers-only post stays off every page for a visitor and a non-follower;
carol joins a community and posts to it from its page; alice opens the
moderation pages; carol edits her profile with an avatar; alice edits her
material and her event from their pages and makes an invite link, which dan
uses in another browser; everyone signs out. Every page visited has no serious or critical axe-core
violation, and the main pages are saved as screenshots at phone and desktop
widths in ``build/screenshots``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import material_files as files
from tests.support.databases import postgres_admin_url
from tests.support.node import Node, wait_until

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PASSWORD = "correct horse battery"
SERIOUS = {"serious", "critical"}

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (make chromium installs it)"
    ),
    # A browser on a busy two-core machine: starting two nodes and chromium, and
    # axe-core on a page, can take longer than the suite's default per test.
    pytest.mark.timeout(300),
]


class World:
    def __init__(self, a: Node, b: Node, browser: Any) -> None:
        self.a, self.b, self.browser = a, b, browser
        self.pages: dict[str, Any] = {}
        self.seen: dict[str, str] = {}
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()

    def page(self, who: str) -> Any:
        if who not in self.pages:
            context = self.browser.new_context(
                locale="en-US", viewport={"width": 1280, "height": 900}
            )
            self.pages[who] = context.new_page()
        return self.pages[who]

    def check(self, page: Any, name: str | None = None) -> None:
        """No serious or critical axe-core violation; a screenshot at two widths when named."""
        results = self.axe.run(page)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v.get("impact") in SERIOUS
        ]
        assert not bad, (page.url, bad)
        if name:
            SHOTS.mkdir(parents=True, exist_ok=True)
            for label, width in (("phone", 390), ("desktop", 1280)):
                page.set_viewport_size({"width": width, "height": 900})
                # Nothing wider than a phone's screen: no sideways scrolling of the page.
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, (page.url, label, wide)
                page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from playwright.sync_api import sync_playwright

    # Once per run (a browser story is minutes): A on PostgreSQL when configured.
    base = tmp_path_factory.mktemp("browser")
    a, b = Node(base / "a", "postgres" if postgres_admin_url() else "sqlite"), Node(base / "b")
    try:
        for node in (a, b):
            node.migrate()
        a.create_user("alice", "admin", display_name="Alice Moreau")
        a.create_user("carol")
        b.create_user("bob", display_name="Bob <b>Bold</b>")
        for node in (a, b):
            node.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                yield World(a, b, browser)
            finally:
                browser.close()
    finally:
        for node in (a, b):
            node.close()


def sign_in(world: World, who: str, node: Node) -> Any:
    page = world.page(who)
    page.goto(f"{node.base_url}/login")
    world.check(page, "login" if who == "alice" else None)
    page.fill("#username", who)
    page.fill("#password", PASSWORD)
    page.click("form#login button[type=submit]")
    page.wait_for_selector("#logout")
    return page


def test_sign_in_and_follow_a_teacher_on_another_node(world: World) -> None:
    alice = sign_in(world, "alice", world.a)
    assert alice.url == f"{world.a.base_url}/"
    world.check(alice, "front")
    bob = sign_in(world, "bob", world.b)
    bob.goto(f"{world.b.base_url}/search?q=@alice@{world.a.domain}")
    assert "Alice Moreau" in bob.inner_text("h1")
    world.check(bob)
    bob.click("form#follow button")
    bob.wait_for_url(re.compile(r"/home$"))

    wait_until(lambda: _follows_accepted(world.b) == 1, timeout=30, interval=0.3)
    bob.goto(f"{world.b.base_url}/search?q=@alice@{world.a.domain}")
    world.check(bob)
    # A name with markup is shown as the text it is.
    bob.goto(f"{world.b.base_url}/@bob")
    assert bob.inner_text("h1") == "Bob <b>Bold</b>"
    world.check(bob, "profile")


def _follows_accepted(node: Node) -> int:
    from sqlmodel import func, select

    from storage.models import Follow, FollowState

    async def count(session: Any) -> int:
        query = select(func.count()).where(Follow.state == FollowState.ACCEPTED)
        return int((await session.exec(query)).one())

    return node.with_session(count)


def test_post_with_image_and_warning_shows_on_the_other_node(world: World) -> None:
    alice = world.page("alice")
    alice.goto(f"{world.a.base_url}/compose")
    world.check(alice, "compose")
    alice.fill("#spoiler_text", "Quiz answers inside")
    alice.fill("#status", "Photosynthesis quiz <script>alert(1)</script> #biology")
    alice.set_input_files(
        "#image", {"name": "leaf.png", "mimeType": "image/png", "buffer": files.png()}
    )
    alice.fill("#image_description", "A green leaf under a lamp")
    alice.click("form#compose button[type=submit]")
    alice.wait_for_url(re.compile(r"/@alice/\d+$"))
    world.seen["post"] = alice.url
    assert "Quiz answers inside" in alice.inner_text("#focus details.cw summary")
    alice.click("#focus details.cw summary")
    assert alice.get_attribute("#focus .media img", "alt") == "A green leaf under a lamp"
    # The script never becomes an element (the sanitizer drops it from the post).
    assert "<script" not in alice.inner_html("#focus .content")
    assert "Photosynthesis quiz" in alice.inner_text("#focus .content")
    assert alice.evaluate("document.querySelectorAll('main script').length") == 0
    world.check(alice, "post")

    bob = world.page("bob")

    def arrived() -> bool:
        bob.goto(f"{world.b.base_url}/home")
        return "Quiz answers inside" in bob.content()

    wait_until(arrived, timeout=30, interval=0.5)
    bob.click("#posts details.cw summary")
    assert bob.get_attribute("#posts .media img", "alt") == "A green leaf under a lamp"
    world.check(bob, "home")


def test_material_found_on_the_other_node_and_reviewed_there(world: World) -> None:
    alice = world.page("alice")
    alice.goto(f"{world.a.base_url}/materials/new")
    world.check(alice, "material-form")
    alice.fill("#title", "Фотосинтез: рабочий лист")
    alice.fill("#description", "Листья, **свет** и вода.")
    alice.set_input_files(
        "#files", {"name": "leaf.pdf", "mimeType": "application/pdf", "buffer": files.pdf()}
    )
    alice.select_option("#subjects", "biology")
    alice.select_option("#grades", "6")
    alice.click("form#material-form button[type=submit]")
    alice.wait_for_url(re.compile(r"/materials/\d+$"), timeout=30_000)
    assert alice.inner_text("h1") == "Фотосинтез: рабочий лист"
    assert "leaf.pdf" in alice.inner_text("#files")
    head = alice.content().split("</head>", 1)[0]
    assert 'property="og:title" content="Фотосинтез: рабочий лист"' in head
    assert 'rel="alternate" type="application/activity+json"' in head
    world.check(alice, "material")
    world.seen["material"] = alice.url

    bob = world.page("bob")

    def found() -> bool:
        bob.goto(f"{world.b.base_url}/materials?q=фотосинтез")
        return bob.locator("#results .material a").count() > 0

    wait_until(found, timeout=30, interval=0.5)
    world.check(bob, "library")
    bob.click("#results .material a")
    bob.wait_for_url(re.compile(r"/materials/\d+$"))
    bob.check("form#review input[name=rating][value='5']")
    bob.fill("#review-text", "Clear and short <em>thanks</em>")
    bob.click("form#review button[type=submit]")
    bob.wait_for_selector("#reviews article.review")
    assert "Clear and short thanks" in bob.inner_text("#reviews article.review")
    assert bob.inner_text("#reviews-heading") == "1 review"
    world.check(bob)
    world.seen["material_on_b"] = bob.url


def test_switching_to_russian_shows_russian_plurals(world: World) -> None:
    bob = world.page("bob")
    bob.goto(world.seen["material_on_b"])
    bob.click("#language-switch button[value=ru]")
    bob.wait_for_load_state()
    assert bob.get_attribute("html", "lang") == "ru"
    assert bob.inner_text("#reviews-heading") == "1 отзыв"
    assert "Библиотека" in bob.inner_text("header.site nav")
    bob.goto(f"{world.b.base_url}/materials")
    assert bob.inner_text("#results-heading") == "1 материал на этой странице"
    world.check(bob, "library-ru")
    # The choice is the account's: a new browser signed in as bob gets Russian too.
    bob.click("#language-switch button[value=en]")
    bob.wait_for_load_state()
    assert bob.get_attribute("html", "lang") == "en"


def test_a_followers_only_post_is_absent_for_visitors_and_non_followers(world: World) -> None:
    token = world.a.token("alice")
    secret = httpx.post(
        f"{world.a.base_url}/api/v1/statuses",
        data={"status": "Only for my followers: staff meeting moved", "visibility": "private"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    url = secret["url"] or secret["uri"]
    visitor = world.browser.new_context(locale="en-US").new_page()
    for path in ("/", "/@alice", "/public/local", "/public/federated"):
        visitor.goto(world.a.base_url + path)
        assert "staff meeting moved" not in visitor.content(), path
    response = visitor.goto(url)
    assert response.status == 404
    carol = sign_in(world, "carol", world.a)
    assert carol.goto(url).status == 404
    carol.goto(f"{world.a.base_url}/@alice")
    assert "staff meeting moved" not in carol.content()
    bob = world.page("bob")

    def delivered() -> bool:
        bob.goto(f"{world.b.base_url}/home")
        return "staff meeting moved" in bob.content()

    wait_until(delivered, timeout=30, interval=0.5)
    visitor.context.close()


def test_join_an_event_and_download_its_ics(world: World) -> None:
    from datetime import UTC, datetime, timedelta

    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0)
    made = httpx.post(
        f"{world.a.base_url}/api/v1/staffroom/events",
        data={
            "title": "Open lesson: photosynthesis",
            "description": "Bring a leaf.",
            "start_time": start.strftime("%Y-%m-%dT%H:%M"),
            "end_time": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/Moscow",
            "place[name]": "School 12, room 3",
        },
        headers={"Authorization": f"Bearer {world.a.token('alice')}"},
        timeout=30,
    )
    assert made.status_code == 200, made.text
    carol = world.page("carol")
    carol.goto(f"{world.a.base_url}/events")
    world.check(carol, "events")
    assert "Open lesson: photosynthesis" in carol.inner_text("#calendar") or (
        "Open lesson: photosynthesis" in carol.inner_text("#upcoming")
    )
    carol.click("#upcoming a")
    carol.wait_for_url(re.compile(r"/events/\d+$"))
    world.seen["event"] = carol.url
    head = carol.content().split("</head>", 1)[0]
    assert 'rel="alternate" type="application/activity+json"' in head
    carol.click("form#join button")
    carol.wait_for_selector("#participation")
    assert "You take part" in carol.inner_text("#participation")
    assert carol.inner_text("#participants").startswith("1 person")
    world.check(carol, "event")
    with carol.expect_download() as download:
        carol.click("#ics")
    body = Path(download.value.path()).read_text()
    assert "BEGIN:VCALENDAR" in body and "Open lesson: photosynthesis" in body
    # The front page now has a material, an event and posts: the README's picture.
    carol.goto(f"{world.a.base_url}/")
    assert "Open lesson: photosynthesis" in carol.inner_text("main")
    world.check(carol, "front-full")


def test_a_community_is_created_and_managed_and_a_calendar_address_made(world: World) -> None:
    alice = world.page("alice")
    alice.goto(f"{world.a.base_url}/communities/new")
    world.check(alice, "community-new")
    alice.fill("#name", "botany")
    alice.fill("#display_name", "Botany teachers")
    alice.select_option("#join_policy", "approval")
    alice.click("form#community-new button[type=submit]")
    alice.wait_for_url(re.compile(r"/@botany$"))
    alice.click("#manage")
    alice.wait_for_url(re.compile(r"/communities/botany/manage$"))
    assert "No one is waiting." in alice.inner_text("#requests")
    world.check(alice, "community-manage")
    alice.goto(f"{world.a.base_url}/events")
    alice.click("form#feed-create button")
    alice.wait_for_selector("#feed-url")
    assert "/calendars/" in alice.input_value("#feed-url")
    world.check(alice, "events-feed")


def test_admin_pages_with_the_federation_charts(world: World) -> None:
    alice = world.page("alice")
    alice.goto(f"{world.a.base_url}/admin")
    world.check(alice, "admin")
    alice.fill("#node-name", "School 12 <Staffroom>")
    alice.fill("#node-description", "Teachers of School 12 share lessons here.")
    alice.click("form#node-settings button[type=submit]")
    alice.wait_for_selector("#saved")
    assert alice.inner_text("a.brand") == "School 12 <Staffroom>"
    alice.goto(f"{world.a.base_url}/admin/federation")
    assert alice.locator("#chart-sent rect").count() == 24
    assert int(alice.inner_text("#queue dd >> nth=1").replace(",", "")) >= 1  # sent to B
    world.check(alice, "federation")
    carol = world.page("carol")
    assert carol.goto(f"{world.a.base_url}/admin").status == 403
    assert carol.goto(f"{world.a.base_url}/admin/federation").status == 403


def test_community_pages_join_and_post(world: World) -> None:
    from actors.local import account_by_name
    from content.communities.manage import CommunityDraft, create_community

    async def make(session: Any, ctx: Any) -> None:
        found = await account_by_name(session, "alice")
        assert found is not None
        draft = CommunityDraft(
            name="biology",
            display_name="Biology teachers",
            description="Labs, field trips and olympiad problems.",
            rules="Cite your sources.",
        )
        await create_community(session, ctx.config, draft, found[1])

    world.a.with_node(make)
    carol = world.page("carol")
    carol.goto(f"{world.a.base_url}/communities")
    world.check(carol, "communities")
    carol.click("a[href='/@biology']")
    carol.wait_for_url(re.compile(r"/@biology$"))
    world.check(carol)
    carol.click("form#join button")
    carol.wait_for_selector("form#leave")

    def member() -> bool:
        carol.goto(f"{world.a.base_url}/@biology")
        return carol.locator("form#community-compose").count() == 1

    wait_until(member, timeout=30, interval=0.5)
    carol.fill("#community-status", "Who has a spare microscope for Friday?")
    carol.click("form#community-compose button[type=submit]")
    carol.wait_for_url(re.compile(r"/@biology"))

    def announced() -> bool:
        carol.goto(f"{world.a.base_url}/@biology")
        return "spare microscope" in carol.inner_text("main")

    wait_until(announced, timeout=30, interval=0.5)
    world.check(carol, "community")


def test_moderation_pages(world: World) -> None:
    carol_id = _actor_id(world.a, "carol")
    alice = world.page("alice")
    for path, shot in (
        ("/admin/reports", "moderation-queue"),
        ("/admin/reports?resolved=1", None),
        ("/admin/audit", None),
        ("/admin/domains", None),
        (f"/admin/accounts/{carol_id}", "moderation-account"),
    ):
        assert alice.goto(f"{world.a.base_url}{path}").status == 200, path
        world.check(alice, shot)
    carol = world.page("carol")
    assert carol.goto(f"{world.a.base_url}/admin/reports").status == 403


def test_settings_editing_and_admin_accounts(world: World) -> None:
    carol = world.page("carol")
    carol.goto(f"{world.a.base_url}/settings")
    world.check(carol, "settings")
    carol.fill("#display_name", "Carol Ivanova")
    carol.fill("#note", "Chemistry, grades 8 to 11.")
    carol.fill("#field_name_0", "School")
    carol.fill("#field_value_0", "No. 12")
    carol.set_input_files(
        "#avatar", {"name": "me.png", "mimeType": "image/png", "buffer": files.png(120, 120)}
    )
    carol.click("form#profile-form button[type=submit]")
    carol.wait_for_selector("#saved")
    assert carol.locator("#session-list li").count() >= 1
    carol.goto(f"{world.a.base_url}/@carol")
    assert "Carol Ivanova" in carol.inner_text("h1")
    # The author edits her material and the event from their pages.
    alice = world.page("alice")
    alice.goto(world.seen["material"] + "/edit")
    world.check(alice, "material-edit")
    alice.fill("#title", "Фотосинтез: рабочий лист (2)")
    alice.click("form#material-form button[type=submit]")
    alice.wait_for_url(re.compile(r"/materials/\d+$"), timeout=30_000)
    assert alice.inner_text("h1") == "Фотосинтез: рабочий лист (2)"
    alice.goto(world.seen["event"] + "/edit")
    world.check(alice, "event-edit")
    alice.fill("#place_name", "School 12, room 5")
    alice.click("form#event-form button[type=submit]")
    alice.wait_for_url(re.compile(r"/events/\d+$"))
    assert "room 5" in alice.inner_text("main")
    assert carol.goto(world.seen["event"] + "/edit").status == 403
    alice.goto(f"{world.a.base_url}/events/new")
    world.check(alice)
    # An invite link made on the admin's page, opened in another browser.
    alice.goto(f"{world.a.base_url}/admin")
    alice.select_option("#invite-role", "parent")
    alice.click("form#new-invite button[type=submit]")
    link = alice.inner_text("#invite-link")
    world.check(alice, "admin-accounts")
    dan = world.page("dan")
    dan.goto(link)
    world.check(dan, "join")
    dan.fill("#username", "dan")
    dan.fill("#display_name", "Dan, Sam's dad")
    dan.fill("#password", PASSWORD)
    dan.fill("#password_again", PASSWORD)
    dan.click("form#join-form button[type=submit]")
    dan.wait_for_selector("#logout")
    assert _role(world.a, "dan") == "parent"
    closed = dan.context.new_page()
    assert closed.goto(f"{world.a.base_url}/signup").status == 403
    world.check(closed)
    closed.close()


def _actor_id(node: Node, name: str) -> int:
    from actors.local import account_by_name

    async def work(session: Any) -> int:
        found = await account_by_name(session, name)
        assert found is not None
        return int(found[1].id)

    return node.with_session(work)


def _role(node: Node, name: str) -> str:
    from actors.local import account_by_name

    async def work(session: Any) -> str:
        found = await account_by_name(session, name)
        assert found is not None
        return str(found[0].role)

    return node.with_session(work)


def test_your_data_page_prepares_an_archive_and_shows_its_progress(world: World) -> None:
    alice = world.page("alice")
    alice.goto(f"{world.a.base_url}/settings/data")
    world.check(alice)
    alice.click("form#export button[type=submit]")
    alice.wait_for_selector("#started")
    deadline = time.monotonic() + 60
    while alice.locator('#jobs tr[data-state="done"]').count() == 0:
        assert time.monotonic() < deadline, alice.content()
        time.sleep(0.5)
        alice.goto(f"{world.a.base_url}/settings/data")
    assert alice.inner_text("#jobs .percent") == "100%"
    world.check(alice)


def test_interact_from_your_server(world: World) -> None:
    visitor = world.browser.new_context(locale="en-US").new_page()
    visitor.goto(world.seen["post"])
    visitor.click("details.interact summary")
    visitor.fill("#interact-handle", f"@bob@{world.b.domain}")
    visitor.click("form#interact button")
    # B's subscribe template leads to B's sign-in, then to the post on B.
    visitor.wait_for_url(re.compile(re.escape(world.b.base_url) + r"/login"))
    visitor.fill("#username", "bob")
    visitor.fill("#password", PASSWORD)
    visitor.click("form#login button[type=submit]")
    visitor.wait_for_url(re.compile(re.escape(world.b.base_url) + r"/statuses/\d+$"))
    assert "Quiz answers inside" in visitor.content()
    visitor.context.close()


def _token(html: str) -> str:
    found = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _client(node: Node) -> httpx.Client:
    return httpx.Client(base_url=node.base_url, timeout=30, headers={"Accept-Language": "en"})


def _signed_in_client(node: Node, who: str) -> httpx.Client:
    client = _client(node)
    token = _token(client.get("/login").text)
    r = client.post(
        "/login", data={"authenticity_token": token, "username": who, "password": PASSWORD}
    )
    assert r.status_code == 303, r.text
    return client


def _count_posts(node: Node) -> int:
    from sqlmodel import func, select

    from storage.models import ContentObject

    async def count(session: Any) -> int:
        return int((await session.exec(select(func.count()).select_from(ContentObject))).one())

    return node.with_session(count)


def test_forms_refuse_missing_stale_and_cross_site_tokens(world: World) -> None:
    client = _signed_in_client(world.a, "carol")
    token = _token(client.get("/compose").text)
    before = _count_posts(world.a)
    post = {"status": "should never be stored", "visibility": "public"}
    missing = client.post("/compose", data=post)
    assert missing.status_code == 403 and "expired" in missing.text
    with _client(world.a) as other:
        stale = _token(other.get("/login").text)  # a token for another browser's cookie
    assert client.post("/compose", data={**post, "authenticity_token": stale}).status_code == 403
    cross = client.post(
        "/compose",
        data={**post, "authenticity_token": token},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403 and "did not come from this site" in cross.text
    assert _count_posts(world.a) == before
    # The same form with its token goes through.
    ok = client.post("/compose", data={**post, "authenticity_token": token})
    assert ok.status_code == 303
    assert _count_posts(world.a) == before + 1
    client.close()


def test_oversized_uploads_are_refused_and_nothing_is_kept(world: World) -> None:
    client = _signed_in_client(world.a, "carol")
    before = _count_posts(world.a)
    # Over an image's limit: refused with the domain's message, nothing kept; over
    # the whole form's limit (four images' worth) refused before the body is read.
    token = _token(client.get("/compose").text)
    huge = b"\x89PNG\r\n\x1a\n" + b"0" * (17 * 1024 * 1024)
    r = client.post(
        "/compose",
        data={"authenticity_token": token, "status": "big picture"},
        files={"image": ("big.png", huge, "image/png")},
    )
    assert r.status_code == 422 and "larger than 16 MB" in r.text
    r = client.post(
        "/compose",
        data={"authenticity_token": token, "status": "big pictures"},
        files=[
            (name, ("big.png", huge, "image/png"))
            for name in ("image", "image_2", "image_3", "image_4")
        ],
    )
    assert r.status_code == 413 and "larger than this node accepts" in r.text
    # A material file over its own limit: the domain's clear refusal, on the form again.
    token = _token(client.get("/materials/new").text)
    big = b"%PDF-1.4\n" + b"0" * (51 * 1024 * 1024)
    r = client.post(
        "/materials/new",
        data={"authenticity_token": token, "title": "Too big"},
        files={"files": ("big.pdf", big, "application/pdf")},
    )
    assert r.status_code == 422 and 'id="form-error"' in r.text
    assert 'value="Too big"' in r.text  # what was typed is kept on the form
    assert _count_posts(world.a) == before
    client.close()


def test_next_never_leads_off_the_site(world: World) -> None:
    client = _client(world.a)
    token = _token(client.get("/login").text)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = client.post(
            "/login",
            data={
                "authenticity_token": token,
                "username": "carol",
                "password": PASSWORD,
                "next": target,
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/", target
        client.cookies.delete("staffroom_session")
        token = _token(client.get("/login").text)
    client.close()


def test_markup_in_fields_is_shown_as_text(world: World) -> None:
    client = _signed_in_client(world.a, "carol")
    token = _token(client.get("/settings").text)
    name = '<img src=x onerror=alert(1)>"Carol"'
    r = client.post(
        "/settings",
        data={
            "authenticity_token": token,
            "display_name": name,
            "language": "",
            "time_zone": "",
            "default_visibility": "public",
        },
    )
    assert r.status_code == 303
    with _client(world.a) as visitor:
        page = visitor.get("/@carol").text
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;Carol&#34;" in page
    assert "<img src=x" not in page
    bad = client.post(
        "/settings",
        data={"authenticity_token": token, "display_name": "x", "time_zone": "../../etc/passwd"},
    )
    assert bad.status_code == 422
    client.close()


def test_sign_out(world: World) -> None:
    for who, page in list(world.pages.items()):
        page.click("#logout button")
        page.wait_for_selector("#sign-in")
        assert page.locator("#logout").count() == 0, who
