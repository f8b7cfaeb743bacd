"""A person's settings over HTTP on a real node: the profile with avatar and header,
the password change, the list of sessions and authorized apps, each form refused
without its token, from another site, or with someone else's session or app."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support.node import Node

PASSWORD = "correct horse battery"
GUESSES = 30


def _token(html: str) -> str:
    found = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _client(node: Node, language: str = "en", agent: str = "pytest") -> httpx.Client:
    return httpx.Client(
        base_url=node.base_url,
        timeout=30,
        headers={"Accept-Language": language, "User-Agent": agent},
    )


def _sign_in(node: Node, who: str, password: str = PASSWORD, agent: str = "pytest") -> httpx.Client:
    client = _client(node, agent=agent)
    token = _token(client.get("/login").text)
    answer = client.post(
        "/login", data={"authenticity_token": token, "username": who, "password": password}
    )
    assert answer.status_code == 303, answer.text
    return client


def _signed_in(client: httpx.Client) -> bool:
    return 'id="logout"' in client.get("/").text


def _png(size: tuple[int, int] = (64, 64), color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def _actor(node: Node, name: str) -> Any:
    from actors.local import account_by_name

    async def work(session: Any) -> Any:
        found = await account_by_name(session, name)
        assert found is not None
        return found[1]

    return node.with_session(work)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    a = Node(tmp_path_factory.mktemp("settings-pages"))
    try:
        a.migrate()
        for name in ("alice", "bob", "pat", "quinn"):
            a.create_user(name)
        # Low enough to reach in a test (the module's sign-ins stay well under it).
        a.env["STAFFROOM_LOGIN_RATE_LIMIT"] = str(GUESSES)
        a.start()
        yield a
    finally:
        a.close()


def test_the_profile_form_changes_name_bio_fields_and_images(node: Node) -> None:
    alice = _sign_in(node, "alice")
    page = alice.get("/settings").text
    for label in ('for="display_name"', 'for="note"', 'for="field_name_0"', 'for="avatar"'):
        assert label in page
    data = {
        "authenticity_token": _token(page),
        "display_name": "Alice <script>alert(1)</script>",
        "note": "Physics teacher.\nSchool 7 <b>bold</b>",
        "field_name_0": "Subjects",
        "field_value_0": "Physics, <i>astronomy</i>",
        "field_name_1": "",
        "field_value_1": "",
    }
    files = {
        "avatar": ("me.png", _png(), "image/png"),
        "header": ("wide.png", _png((600, 200), "navy"), "image/png"),
    }
    answer = alice.post("/settings/profile", data=data, files=files)
    assert answer.status_code == 303, answer.text
    actor = _actor(node, "alice")
    assert actor.display_name == "Alice <script>alert(1)</script>"
    assert actor.fields == [{"name": "Subjects", "value": "Physics, <i>astronomy</i>"}]
    assert actor.icon_url and actor.icon_url.startswith(f"{node.base_url}/system/accounts/avatars/")
    assert actor.image_url and "/system/accounts/headers/" in actor.image_url
    avatar = alice.get(actor.icon_url)
    assert avatar.status_code == 200
    assert Image.open(io.BytesIO(avatar.content)).size == (400, 400)  # re-encoded, cropped
    with _client(node) as visitor:
        profile = visitor.get("/@alice").text
    assert "Alice &lt;script&gt;alert(1)&lt;/script&gt;" in profile
    assert "<script>alert(1)" not in profile and "<b>bold</b>" not in profile
    assert "Physics teacher." in profile and "Subjects" in profile
    assert actor.icon_url in profile
    # The form shows what was typed, to edit it again.
    again = alice.get("/settings").text
    assert "School 7 &lt;b&gt;bold&lt;/b&gt;</textarea>" in again
    assert 'value="Physics, &lt;i&gt;astronomy&lt;/i&gt;"' in again
    alice.close()


def test_bad_profile_forms_store_nothing(node: Node) -> None:
    bob = _sign_in(node, "bob")
    token = _token(bob.get("/settings").text)
    before = _actor(node, "bob")
    named = {"display_name": "Changed", "note": "changed"}
    # No token, a forged one, another site.
    assert bob.post("/settings/profile", data=named).status_code == 403
    forged = {**named, "authenticity_token": "A" * 43}
    assert bob.post("/settings/profile", data=forged).status_code == 403
    cross = bob.post(
        "/settings/profile",
        data={**named, "authenticity_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    # An avatar over 2 MB (its own limit), and a body beyond every limit.
    oversized = {"avatar": ("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 10), "image/png")}
    answer = bob.post(
        "/settings/profile", data={**named, "authenticity_token": token}, files=oversized
    )
    assert answer.status_code == 422 and "at most 2 MB" in answer.text
    huge = {
        "avatar": ("a.png", b"0" * (3 * 1024 * 1024), "image/png"),
        "header": ("b.png", b"0" * (3 * 1024 * 1024), "image/png"),
    }
    answer = bob.post("/settings/profile", data={**named, "authenticity_token": token}, files=huge)
    assert answer.status_code == 413
    # Not an image at all, and a name over the limit.
    fake = {"avatar": ("x.png", b"<svg onload=alert(1)>", "image/png")}
    answer = bob.post("/settings/profile", data={**named, "authenticity_token": token}, files=fake)
    assert answer.status_code == 422
    long_name = {"display_name": "x" * 101, "authenticity_token": token}
    assert bob.post("/settings/profile", data=long_name).status_code == 422
    after = _actor(node, "bob")
    assert (after.display_name, after.summary, after.icon_url) == (
        before.display_name,
        before.summary,
        before.icon_url,
    )
    avatars = node.dir / "data" / "media" / "accounts" / "avatars"
    assert not any(p.name.startswith(f"{before.id}-") for p in avatars.glob("*"))
    bob.close()


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    node: Node,
) -> None:
    here = _sign_in(node, "pat", agent="Here/1.0")
    there = _sign_in(node, "pat", agent="There/2.0")
    token = _token(here.get("/settings").text)
    wrong = {
        "authenticity_token": token,
        "current_password": "not it",
        "new_password": "a much better one",
        "new_password_again": "a much better one",
    }
    answer = here.post("/settings/password", data=wrong)
    assert answer.status_code == 422 and "current password is not right" in answer.text
    mismatch = {**wrong, "current_password": PASSWORD, "new_password_again": "different!"}
    assert here.post("/settings/password", data=mismatch).status_code == 422
    short = {
        **wrong,
        "current_password": PASSWORD,
        "new_password": "short",
        "new_password_again": "short",
    }
    assert here.post("/settings/password", data=short).status_code == 422
    no_token = {k: v for k, v in wrong.items() if k != "authenticity_token"}
    no_token["current_password"] = PASSWORD
    assert here.post("/settings/password", data=no_token).status_code == 403
    assert _signed_in(there)  # nothing changed yet
    good = {**wrong, "current_password": PASSWORD}
    answer = here.post("/settings/password", data=good)
    assert answer.status_code == 303
    assert _signed_in(here)  # a fresh session for the one who changed it
    assert not _signed_in(there)
    _sign_in(node, "pat", password="a much better one").close()
    with _client(node) as old:
        token = _token(old.get("/login").text)
        refused = old.post(
            "/login", data={"authenticity_token": token, "username": "pat", "password": PASSWORD}
        )
        assert refused.status_code == 422
    here.close()
    there.close()


def test_sessions_are_listed_and_ended_one_by_one(node: Node) -> None:
    laptop = _sign_in(node, "bob", agent="Laptop Browser")
    phone = _sign_in(node, "bob", agent="Phone Browser")
    alice = _sign_in(node, "alice", agent="Alice Browser")
    page = laptop.get("/settings").text
    assert "Laptop Browser" in page and "Phone Browser" in page
    assert "Alice Browser" not in page
    ids = re.findall(r'name="session" value="([0-9a-f]{64})"', page)
    assert ids  # the other sessions, each with its button (not this one)
    alice_ids = re.findall(r'name="session" value="([0-9a-f]{64})"', alice.get("/settings").text)
    # Someone else's session is not theirs to end.
    token = _token(page)
    for foreign in alice_ids:
        answer = laptop.post(
            "/settings/sessions/end", data={"authenticity_token": token, "session": foreign}
        )
        assert answer.status_code == 404
    assert _signed_in(alice)
    # Without the token, nothing ends.
    assert laptop.post("/settings/sessions/end", data={"session": ids[0]}).status_code == 403
    assert _signed_in(phone)
    for session_id in ids:
        answer = laptop.post(
            "/settings/sessions/end", data={"authenticity_token": token, "session": session_id}
        )
        assert answer.status_code == 303
    assert not _signed_in(phone) and _signed_in(laptop) and _signed_in(alice)
    # Signing out ends the session on the server, not only in the browser.
    cookie = laptop.cookies.get("staffroom_session")
    laptop.post("/logout", data={"authenticity_token": _token(laptop.get("/").text)})
    with _client(node) as replay:
        replay.cookies.set("staffroom_session", cookie or "")
        assert not _signed_in(replay)
    for client in (laptop, phone, alice):
        client.close()


def _app_token(node: Node, who: str, name: str) -> str:
    from actors.local import account_by_name
    from actors.oauth.apps import register_app
    from actors.oauth.grants import issue_token

    async def work(session: Any) -> str:
        found = await account_by_name(session, who)
        assert found is not None
        new = await register_app(
            session, name=name, redirect_uris=["urn:ietf:wg:oauth:2.0:oob"], scopes="read write"
        )
        issued = await issue_token(session, app=new.app, account=found[0], scopes="read write")
        return issued.access_token

    return node.with_session(work)


def test_authorized_apps_are_listed_and_revoked(node: Node) -> None:
    mine = _app_token(node, "alice", "Tusky <b>for</b> Alice")
    theirs = _app_token(node, "bob", "Bob's App")
    alice = _sign_in(node, "alice")
    page = alice.get("/settings").text
    assert "Tusky &lt;b&gt;for&lt;/b&gt; Alice" in page and "Bob&#39;s App" not in page
    app_id = re.search(r'name="app" value="(\d+)"', page)
    assert app_id
    bob_page = _sign_in(node, "bob")
    bob_app = re.search(r'name="app" value="(\d+)"', bob_page.get("/settings").text)
    assert bob_app
    token = _token(page)

    def works(bearer: str) -> bool:
        with _client(node) as api:
            answer = api.get(
                "/api/v1/accounts/verify_credentials",
                headers={"Authorization": f"Bearer {bearer}"},
            )
            return answer.status_code == 200

    # Another person's app, no token: refused, both tokens still work.
    foreign = {"authenticity_token": token, "app": bob_app.group(1)}
    assert alice.post("/settings/apps/revoke", data=foreign).status_code == 404
    assert alice.post("/settings/apps/revoke", data={"app": app_id.group(1)}).status_code == 403
    assert works(mine) and works(theirs)
    answer = alice.post(
        "/settings/apps/revoke", data={"authenticity_token": token, "app": app_id.group(1)}
    )
    assert answer.status_code == 303
    assert not works(mine) and works(theirs)
    assert "No app has access to your account." in alice.get("/settings").text
    alice.close()
    bob_page.close()


def test_settings_need_a_session(node: Node) -> None:
    with _client(node) as visitor:
        assert visitor.get("/settings").status_code == 401
        token = _token(visitor.get("/login").text)
        answer = visitor.post("/settings/password", data={"authenticity_token": token})
        assert answer.status_code == 401


def test_settings_in_russian(node: Node) -> None:
    alice = _sign_in(node, "alice")
    alice.headers["Accept-Language"] = "ru"
    page = alice.get("/settings").text
    for text in ("Профиль", "Пароль", "Сеансы", "Приложения"):
        assert text in page, text
    alice.close()


def test_with_no_name_the_node_calls_itself_by_its_domain(node: Node) -> None:
    with _client(node) as visitor:
        page = visitor.get("/").text
        assert f"{node.domain} runs Staffroom" in page
        assert "Staffroom runs Staffroom" not in page
    with _client(node, "ru") as visitor:
        page = visitor.get("/").text
        assert f"{node.domain} работает на Staffroom" in page
        assert "Staffroom работает на Staffroom" not in page


def test_the_library_filters_fold_behind_a_toggle(node: Node) -> None:
    with _client(node) as visitor:
        plain = visitor.get("/materials").text
        assert '<details class="filter-toggle" id="filters" >' in plain  # folded
        assert "<summary>Filters</summary>" in plain
        filtered = visitor.get("/materials", params={"subject": "biology"}).text
        assert '<details class="filter-toggle" id="filters" open>' in filtered
    with _client(node, "ru") as visitor:
        assert "<summary>Фильтры</summary>" in visitor.get("/materials").text


def test_guessing_the_current_password_is_rate_limited(node: Node) -> None:
    quinn = _sign_in(node, "quinn")
    token = _token(quinn.get("/settings").text)
    guess = {
        "authenticity_token": token,
        "new_password": "taken over now",
        "new_password_again": "taken over now",
    }
    # The bucket refills while the (slow, argon2) guesses are checked: a few more
    # than the limit may pass before the refusals start.
    statuses = []
    for n in range(GUESSES + 15):
        answer = quinn.post("/settings/password", data={**guess, "current_password": f"guess {n}"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {422}
    assert len(statuses) > GUESSES
    right = quinn.post("/settings/password", data={**guess, "current_password": PASSWORD})
    assert right.status_code == 429 and "Retry-After" in right.headers
    quinn.close()
    _sign_in(node, "quinn").close()  # the password is unchanged
