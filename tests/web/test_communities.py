"""The communities' pages on a real node: the directory, a community's page at its
actor's URLs, joining through the form (CSRF-checked), and a members-only
community whose posts and members a visitor and a non-member never see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.support.databases import postgres_admin_url
from tests.support.node import Node, wait_until

PASSWORD = "correct horse battery"
SECRET = "Staff meeting moved to room 12"


def _token(html: str) -> str:
    found = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _png() -> bytes:
    from tests.support.material_files import png

    return png()


def _client(node: Node, language: str = "en") -> httpx.Client:
    return httpx.Client(base_url=node.base_url, timeout=30, headers={"Accept-Language": language})


@contextmanager
def _signed_in(node: Node, who: str) -> Iterator[httpx.Client]:
    with _client(node) as client:
        token = _token(client.get("/login").text)
        answer = client.post(
            "/login", data={"authenticity_token": token, "username": who, "password": PASSWORD}
        )
        assert answer.status_code == 303, answer.text
        yield client


def _create(node: Node, owner: str, **fields: Any) -> None:
    from actors.local import account_by_name
    from content.communities.manage import CommunityDraft, create_community

    async def work(session: Any, ctx: Any) -> None:
        found = await account_by_name(session, owner)
        assert found is not None
        await create_community(session, ctx.config, CommunityDraft(**fields), found[1])

    node.with_node(work)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    # PostgreSQL when configured (the lists' queries differ most there), else SQLite.
    kind = "postgres" if postgres_admin_url() else "sqlite"
    a = Node(tmp_path_factory.mktemp("community-pages"), kind)
    try:
        a.migrate()
        for name in ("alice", "bob", "eve"):
            a.create_user(name)
        _create(
            a,
            "alice",
            name="maths",
            display_name="Maths teachers <b>of</b> the region",
            description="Problems, olympiads and lessons.",
            rules="Be kind; cite your sources.",
            level="regional",
            kind="subject_association",
        )
        _create(a, "alice", name="staff", display_name="School 7 staff", visibility="members")
        a.start()
        yield a
    finally:
        a.close()


def test_the_directory_lists_communities_and_filters_them(node: Node) -> None:
    with _client(node) as http:
        page = http.get("/communities")
        assert page.status_code == 200
        assert "/@maths" in page.text and "/@staff" in page.text
        assert "Maths teachers &lt;b&gt;of&lt;/b&gt; the region" in page.text  # escaped
        assert "Members only" in page.text
        kind = http.get("/communities", params={"kind": "subject_association"}).text
        assert "/@maths" in kind and "/@staff" not in kind
        named = http.get("/communities", params={"q": "staff"}).text
        assert "/@staff" in named and "/@maths" not in named
        front = http.get("/").text
        assert 'href="/communities"' in front and "/@maths" in front
    with _client(node, "ru") as http:
        russian = http.get("/communities").text
        assert "Сообщества" in russian and "Только для участников" in russian


def test_a_community_page_answers_at_its_actor_urls(node: Node) -> None:
    with _client(node) as http:
        page = http.get("/@maths")
        assert page.status_code == 200
        text = page.text
        for expected in (
            "Problems, olympiads and lessons.",
            "Be kind; cite your sources.",
            "Regional",
            "Subject association",
            "0 members",
            'property="og:title"',
        ):
            assert expected in text, expected
        assert re.search(r'id="moderators">.*alice', text)
        alternate = f'type="application/activity+json" href="{node.base_url}/users/maths"'
        assert alternate in text and 'rel="alternate"' in text
        browser = http.get("/users/maths", headers={"Accept": "text/html"})
        assert browser.status_code == 200 and "Be kind; cite your sources." in browser.text
        document = http.get("/users/maths", headers={"Accept": "application/activity+json"})
        assert document.json()["type"] == "Group"
        assert http.get("/c/maths").headers["location"] == "/@maths"
        missing = http.get("/@nobody-here")
        assert missing.status_code == 404 and "no such person or community" in missing.text
    with _client(node, "ru") as http:
        russian = http.get("/@maths").text
        assert "Региональный" in russian and "Правила" in russian


def test_joining_needs_the_form_token_and_makes_a_member(node: Node) -> None:
    with _signed_in(node, "bob") as bob:
        page = bob.get("/@staff").text
        assert 'id="join"' in page and SECRET not in page
        assert bob.post("/communities/staff/join", data={"x": "1"}).status_code == 403
        stale = {"authenticity_token": "x" * 40}
        assert bob.post("/communities/staff/join", data=stale).status_code == 403
        cross = bob.post(
            "/communities/staff/join",
            data={"authenticity_token": _token(page)},
            headers={"Origin": "https://evil.example"},
        )
        assert cross.status_code == 403
        assert "You are a member." not in bob.get("/@staff").text
        joined = bob.post("/communities/staff/join", data={"authenticity_token": _token(page)})
        assert joined.status_code == 303 and joined.headers["location"] == "/@staff"
        member = wait_until(lambda: "You are a member." in bob.get("/@staff").text, timeout=30)
        assert member
        assert re.search(r'id="members">.*bob', bob.get("/@staff").text, re.S)


def test_a_members_only_community_hides_posts_and_members(node: Node) -> None:
    token = node.token("bob")
    posted = httpx.post(
        f"{node.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {token}"},
        data={"status": f"@staff@{node.domain} {SECRET}", "visibility": "direct"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    with _signed_in(node, "bob") as bob:
        wait_until(lambda: SECRET in bob.get("/@staff").text, timeout=30)
    with _signed_in(node, "eve") as eve, _client(node) as stranger:
        for http in (eve, stranger):
            for url in ("/@staff", "/users/staff", "/communities"):
                text = http.get(url, headers={"Accept": "text/html"}).text
                assert SECRET not in text, url
                assert "member-count" not in text and 'id="members"' not in text, url
                assert ">bob<" not in text, url
            page = http.get("/@staff").text
            assert "for its members only" in page
    with _signed_in(node, "alice") as alice:  # the owner moderates: a member's view
        page = alice.get("/@staff").text
        assert SECRET in page and "You moderate this community." in page


def test_members_post_to_a_community_from_its_page(node: Node) -> None:
    note = "Timetable for the olympiad week"
    with _signed_in(node, "bob") as bob:
        page = bob.get("/@staff").text
        assert 'id="community-compose"' in page and 'name="community" value="staff"' in page
        token = _token(page)
        # No token: refused, nothing posted; a community that does not exist: 404.
        assert bob.post("/compose", data={"community": "staff", "status": note}).status_code == 403
        missing = bob.post(
            "/compose", data={"authenticity_token": token, "community": "nope", "status": note}
        )
        assert missing.status_code == 404
        posted = bob.post(
            "/compose",
            data={
                "authenticity_token": token,
                "community": "staff",
                "status": note,
                "visibility": "public",  # ignored: a members-only community's post is not
                "image_description": "The week's grid",
            },
            files={"image": ("grid.png", _png(), "image/png")},
        )
        assert posted.status_code == 303 and posted.headers["location"].startswith("/@staff")
        wait_until(lambda: note in bob.get("/@staff").text, timeout=30)
        assert 'alt="The week&#39;s grid"' in bob.get("/@staff").text
    with _signed_in(node, "eve") as eve, _client(node) as stranger:
        for http in (eve, stranger):
            page = http.get("/@staff").text
            assert note not in page and 'id="community-compose"' not in page
            assert note not in http.get("/@bob").text and note not in http.get("/public/local").text
    # A public community: the moderator's post is everyone's to read there.
    with _signed_in(node, "alice") as alice:
        page = alice.get("/@maths").text
        assert 'id="community-compose"' in page
        answer = alice.post(
            "/compose",
            data={"authenticity_token": _token(page), "community": "maths", "status": "Olympiad"},
        )
        assert answer.status_code == 303
    with _client(node) as stranger:
        wait_until(lambda: "Olympiad" in stranger.get("/@maths").text, timeout=30)
        assert "Olympiad" in stranger.get("/@alice").text  # public, from her own profile too


def test_leaving_through_the_form_ends_the_access(node: Node) -> None:
    with _signed_in(node, "bob") as bob:
        page = bob.get("/@staff").text
        assert 'id="leave"' in page and SECRET in page
        left = bob.post("/communities/staff/leave", data={"authenticity_token": _token(page)})
        assert left.status_code == 303
        wait_until(lambda: 'id="join"' in bob.get("/@staff").text, timeout=30)
        assert SECRET not in bob.get("/@staff").text


def _ics_titles(body: bytes) -> list[str]:
    from icalendar import Calendar

    return [str(e.get("summary")) for e in Calendar.from_ical(body).walk("VEVENT")]


def test_a_secret_calendar_address_serves_the_joined_events_without_a_token(node: Node) -> None:
    """Issue 13: calendar apps cannot send a bearer token, so the address is the credential."""
    api = "/api/v1/staffroom/events"
    alice = {"Authorization": f"Bearer {node.token('alice')}"}
    bob = {"Authorization": f"Bearer {node.token('bob')}"}
    with _client(node) as http:
        event = http.post(
            api,
            headers=alice,
            json={
                "title": "Olympiad training",
                "start_time": "2032-04-01T15:00:00",
                "end_time": "2032-04-01T17:00:00",
                "timezone": "Europe/Samara",
            },
        ).json()
        assert http.post(f"{api}/{event['id']}/join", headers=bob).status_code == 200
        assert http.get(f"{api}/feed", headers=bob).json()["url"] is None
        url = http.post(f"{api}/feed", headers=bob).json()["url"]
        assert url.startswith(f"{node.base_url}/calendars/") and url.endswith("/joined.ics")
        served = httpx.get(url)  # no token, no cookie: what a calendar app sends
        assert served.status_code == 200 and served.headers["content-type"].startswith(
            "text/calendar"
        )
        assert _ics_titles(served.content) == ["Olympiad training"]
        # Regenerated: the old address stops at once; revoked: none works.
        newer = http.post(f"{api}/feed", headers=bob).json()["url"]
        assert newer != url and httpx.get(url).status_code == 404
        assert httpx.get(newer).status_code == 200
        assert http.delete(f"{api}/feed", headers=bob).json()["url"] is None
        assert httpx.get(newer).status_code == 404
        for wrong in ("x", "a" * 43, "../../api/v1/instance"):
            assert http.get(f"/calendars/{wrong}/joined.ics").status_code == 404
        assert http.post(f"{api}/feed").status_code == 401
    with _signed_in(node, "alice") as page_client:
        page = page_client.get("/events").text
        assert 'id="feed-create"' in page and 'id="feed-url"' not in page
        refused = page_client.post("/events/feed", data={"action": "regenerate"})
        assert refused.status_code == 403  # no CSRF token
        made = page_client.post("/events/feed", data={"authenticity_token": _token(page)})
        assert made.status_code == 303
        page = page_client.get("/events").text
        found = re.search(r'id="feed-url" value="([^"]+)"', page)
        assert found is not None
        # alice organizes the event but did not join it: her calendar is her own.
        assert _ics_titles(httpx.get(found.group(1)).content) == []
        revoke = {"authenticity_token": _token(page), "action": "revoke"}
        assert page_client.post("/events/feed", data=revoke).status_code == 303
        assert httpx.get(found.group(1)).status_code == 404
        assert 'id="feed-create"' in page_client.get("/events").text


def _form_token(client: httpx.Client, path: str) -> str:
    return _token(client.get(path).text)


def test_a_community_is_created_and_moderated_from_the_pages(node: Node) -> None:
    """Issue 11 on the web: create, settings, join requests, members, posts; moderators only."""
    with _signed_in(node, "alice") as alice:
        assert 'id="new-community"' in alice.get("/communities").text
        form = alice.get("/communities/new").text
        for field in ("name", "display_name", "description", "rules", "subjects", "level"):
            assert f'<label for="{field}">' in form and f'id="{field}"' in form
        draft = {"name": "club", "display_name": "Drama club", "join_policy": "approval"}
        assert alice.post("/communities/new", data=draft).status_code == 403  # no CSRF token
        bad = alice.post(
            "/communities/new",
            data={**draft, "level": "galactic", "authenticity_token": _token(form)},
        )
        assert bad.status_code == 422 and 'id="error"' in bad.text
        made = alice.post("/communities/new", data={**draft, "authenticity_token": _token(form)})
        assert made.status_code == 303 and made.headers["location"] == "/@club"
        assert 'id="manage"' in alice.get("/@club").text
    with _signed_in(node, "bob") as bob:
        joined = bob.post(
            "/communities/club/join", data={"authenticity_token": _form_token(bob, "/@club")}
        )
        assert joined.status_code == 303
    with _signed_in(node, "eve") as eve:
        assert eve.get("/communities/club/manage").status_code == 403
        token = _form_token(eve, "/@club")
        assert (
            eve.post("/communities/club/manage", data={"authenticity_token": token}).status_code
            == 403
        )
    with _signed_in(node, "alice") as alice:
        page = wait_until(
            lambda: (
                (text := alice.get("/communities/club/manage").text) and ">bob<" in text and text
            ),
            timeout=30,
        )
        bob_id = re.search(r'id="request-(\d+)"', page).group(1)  # type: ignore[union-attr]
        approved = alice.post(
            f"/communities/club/members/{bob_id}/approve", data={"authenticity_token": _token(page)}
        )
        assert approved.status_code == 303
        page = alice.get("/communities/club/manage").text
        assert f'id="member-{bob_id}"' in page and f'id="request-{bob_id}"' not in page
        saved = alice.post(
            "/communities/club/manage",
            data={
                "authenticity_token": _token(page),
                "display_name": "Drama club of School 7",
                "rules": "Rehearsals on Fridays.",
                "join_policy": "approval",
                "posting_policy": "members",
            },
        )
        assert saved.status_code == 303 and "saved=1" in saved.headers["location"]
        assert "Drama club of School 7" in alice.get("/@club").text
    bob_api = {"Authorization": f"Bearer {node.token('bob')}"}
    with _client(node) as http:
        posted = http.post(
            "/api/v1/statuses",
            headers=bob_api,
            data={"status": "@club Auditions for the winter play on Monday"},
        )
        assert posted.status_code == 200, posted.text
    with _signed_in(node, "alice") as alice:
        page = wait_until(
            lambda: (
                (text := alice.get("/communities/club/manage").text)
                and "Auditions" in text
                and text
            ),
            timeout=30,
        )
        post_id = re.search(r'id="post-(\d+)"', page).group(1)  # type: ignore[union-attr]
        for action, shown in (("pin", "Pinned"), ("lock", "Locked")):
            done = alice.post(
                f"/communities/club/posts/{post_id}/{action}",
                data={"authenticity_token": _token(page)},
            )
            assert done.status_code == 303
            page = alice.get("/communities/club/manage").text
            assert shown in page
        removed = alice.post(
            f"/communities/club/posts/{post_id}/delete", data={"authenticity_token": _token(page)}
        )
        assert removed.status_code == 303
        page = alice.get("/communities/club/manage").text
        assert "Auditions" not in page
        banned = alice.post(
            f"/communities/club/members/{bob_id}/ban",
            data={"authenticity_token": _token(page), "reason": "spam"},
        )
        assert banned.status_code == 303
        assert f'id="member-{bob_id}"' not in alice.get("/communities/club/manage").text
    with _signed_in(node, "bob") as bob:
        assert "You may not join this community." in bob.get("/@club").text
