"""The admin's account pages on a real node: making an account (its password shown
once, changed at first sign-in), invite links with a role, an expiry and uses
(redeemed in the browser's form), role changes, and the open or invite-only
switch that /signup and NodeInfo both follow; staff below admin get 403."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.support.node import Node

PASSWORD = "correct horse battery"


def _token(html: str) -> str:
    found = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _client(node: Node, language: str = "en") -> httpx.Client:
    return httpx.Client(base_url=node.base_url, timeout=30, headers={"Accept-Language": language})


def _sign_in(node: Node, who: str, password: str = PASSWORD) -> httpx.Client:
    client = _client(node)
    token = _token(client.get("/login").text)
    answer = client.post(
        "/login", data={"authenticity_token": token, "username": who, "password": password}
    )
    assert answer.status_code == 303, answer.text
    return client


def _account(node: Node, name: str) -> Any:
    from actors.local import account_by_name

    async def work(session: Any) -> Any:
        found = await account_by_name(session, name)
        return None if found is None else found[0]

    return node.with_session(work)


def _actor_id(node: Node, name: str) -> int:
    from actors.local import account_by_name

    async def work(session: Any) -> int:
        found = await account_by_name(session, name)
        assert found is not None
        return int(found[1].id)

    return node.with_session(work)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    a = Node(tmp_path_factory.mktemp("admin-pages"))
    try:
        a.migrate()
        a.create_user("alice", "admin")
        a.create_user("tess")
        a.create_user("mo", "moderator")
        a.start()
        yield a
    finally:
        a.close()


def test_only_admins_reach_the_page_and_its_forms(node: Node) -> None:
    for who in ("tess", "mo"):
        client = _sign_in(node, who)
        assert client.get("/admin").status_code == 403
        token = _token(client.get("/settings").text)
        target = str(_actor_id(node, "tess"))
        for path, data in (
            ("/admin/accounts/new", {"username": "sneaky", "role": "admin"}),
            ("/admin/invites", {"role": "teacher", "valid_days": "7", "max_uses": "1"}),
            ("/admin/accounts/role", {"account": target, "role": "admin"}),
            ("/admin", {"registrations": "open", "node.name": "Mine"}),
        ):
            answer = client.post(path, data={**data, "authenticity_token": token})
            assert answer.status_code == 403, (who, path)
        client.close()
    assert _account(node, "sneaky") is None
    assert _account(node, "tess").role == "teacher"


def test_an_admin_makes_an_account_whose_password_is_changed_first(node: Node) -> None:
    alice = _sign_in(node, "alice")
    page = alice.get("/admin").text
    for control in ('for="new-username"', 'for="invite-role"', 'for="invite-days"'):
        assert control in page
    token = _token(page)
    assert (
        alice.post("/admin/accounts/new", data={"username": "nina", "role": "teacher"}).status_code
        == 403
    )
    made = alice.post(
        "/admin/accounts/new",
        data={
            "authenticity_token": token,
            "username": "nina",
            "display_name": "Nina <i>N</i>",
            "role": "teacher",
        },
    )
    assert made.status_code == 201
    password = re.search(r'id="created-password">([^<]+)<', made.text)
    assert password
    assert "Nina &lt;i&gt;N&lt;/i&gt;" in made.text
    again = alice.post(
        "/admin/accounts/new",
        data={"authenticity_token": token, "username": "nina", "role": "teacher"},
    )
    assert again.status_code == 422 and "already taken" in again.text
    bad = alice.post(
        "/admin/accounts/new",
        data={"authenticity_token": token, "username": "no spaces!", "role": "teacher"},
    )
    assert bad.status_code == 422
    with _client(node) as nina:
        token = _token(nina.get("/login").text)
        answer = nina.post(
            "/login",
            data={"authenticity_token": token, "username": "nina", "password": password.group(1)},
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/settings#password"
    alice.close()


def test_invite_links_carry_a_role_an_expiry_and_uses(node: Node) -> None:
    alice = _sign_in(node, "alice")
    token = _token(alice.get("/admin").text)
    answer = alice.post(
        "/admin/invites",
        data={"authenticity_token": token, "role": "student", "valid_days": "7", "max_uses": "1"},
    )
    assert answer.status_code == 201
    link = re.search(r'id="invite-link">([^<]+)<', answer.text)
    assert link and link.group(1).startswith(f"{node.base_url}/invite/")
    path = link.group(1).removeprefix(node.base_url)
    # An invite may not carry the admin role.
    assert (
        alice.post(
            "/admin/invites",
            data={"authenticity_token": token, "role": "admin", "valid_days": "7", "max_uses": "1"},
        ).status_code
        == 422
    )
    with _client(node) as visitor:
        page = visitor.get(path)
        assert page.status_code == 200 and "Student" in page.text
        form = {
            "authenticity_token": _token(page.text),
            "username": "sam",
            "display_name": "Sam",
            "password": "a good password",
            "password_again": "a good password",
            "role": "admin",  # ignored: the invite's role is what counts
        }
        assert visitor.post(path, data={**form, "password_again": "other"}).status_code == 422
        answer = visitor.post(path, data=form)
        assert answer.status_code == 303
        assert 'id="logout"' in visitor.get("/").text
    assert _account(node, "sam").role == "student"
    with _client(node) as late:
        used = late.get(path)
        assert used.status_code == 404 and "not valid" in used.text
        token2 = _token(late.get("/login").text)
        form["username"], form["authenticity_token"] = "sam2", token2
        assert late.post(path, data=form).status_code == 404
    assert _account(node, "sam2") is None
    # Revoked and expired invites are dead links too.
    links = []
    for _ in range(2):
        made = alice.post(
            "/admin/invites",
            data={
                "authenticity_token": token,
                "role": "parent",
                "valid_days": "1",
                "max_uses": "5",
            },
        )
        found = re.search(r'id="invite-link">[^<]+/invite/([^<]+)<', made.text)
        assert found
        links.append(found.group(1))
    page = alice.get("/admin").text
    ids = re.findall(r'name="invite" value="(\d+)"', page)
    assert len(ids) == 2  # the used one has no button
    answer = alice.post(
        "/admin/invites/revoke", data={"authenticity_token": token, "invite": max(ids)}
    )
    assert answer.status_code == 303
    _expire_all(node)
    with _client(node) as visitor:
        for code in links:
            assert visitor.get(f"/invite/{code}").status_code == 404
    assert "Revoked" in alice.get("/admin").text
    alice.close()


def _expire_all(node: Node) -> None:
    from sqlmodel import select

    from storage.models import Invite
    from storage.types import utcnow

    async def work(session: Any) -> None:
        for invite in (await session.exec(select(Invite))).all():
            invite.expires_at = utcnow() - timedelta(minutes=1)
            session.add(invite)

    node.with_session(work)


def test_an_admin_changes_roles_but_not_her_own(node: Node) -> None:
    alice = _sign_in(node, "alice")
    page = alice.get("/admin").text
    token = _token(page)
    tess = str(_actor_id(node, "tess"))
    assert f'for="role-{tess}"' in page and f'href="/admin/accounts/{tess}"' in page
    answer = alice.post(
        "/admin/accounts/role",
        data={"authenticity_token": token, "account": tess, "role": "moderator"},
    )
    assert answer.status_code == 303
    assert _account(node, "tess").role == "moderator"
    mine = str(_actor_id(node, "alice"))
    answer = alice.post(
        "/admin/accounts/role",
        data={"authenticity_token": token, "account": mine, "role": "teacher"},
    )
    assert answer.status_code == 403
    assert _account(node, "alice").role == "admin"
    bogus = alice.post(
        "/admin/accounts/role", data={"authenticity_token": token, "account": tess, "role": "god"}
    )
    assert bogus.status_code == 422
    assert _audited(node, int(tess)) == [("change_role", {"from": "teacher", "to": "moderator"})]
    alice.close()


def _audited(node: Node, target: int) -> list[tuple[str, Any]]:
    from content.moderation import audit

    async def work(session: Any) -> list[tuple[str, Any]]:
        return [(e.action, e.extra) for e in await audit.entries(session, target_id=target)]

    return node.with_session(work)


def test_the_registration_switch_opens_signup_and_nodeinfo(node: Node) -> None:
    def advertised() -> bool:
        with _client(node) as http:
            return bool(http.get("/nodeinfo/2.1").json()["openRegistrations"])

    with _client(node) as visitor:
        closed = visitor.get("/signup")
        assert closed.status_code == 403 and "invite only" in closed.text
    assert advertised() is False
    alice = _sign_in(node, "alice")
    page = alice.get("/admin").text
    settings = {
        "authenticity_token": _token(page),
        "node.name": "School 7",
        "node.description": "",
        "node.rules": "",
        "node.default_language": "en",
        "node.time_zone": "UTC",
        "registrations": "open",
    }
    assert alice.post("/admin", data=settings).status_code == 303
    assert advertised() is True
    with _client(node) as visitor:
        form = visitor.get("/signup")
        assert form.status_code == 200
        answer = visitor.post(
            "/signup",
            data={
                "authenticity_token": _token(form.text),
                "username": "olga",
                "display_name": "Olga",
                "password": "olga's password",
                "password_again": "olga's password",
            },
        )
        assert answer.status_code == 303
    assert _account(node, "olga").role == "teacher"
    assert alice.post("/admin", data={**settings, "registrations": "invite"}).status_code == 303
    assert advertised() is False
    with _client(node) as visitor:
        assert visitor.get("/signup").status_code == 403
    alice.close()


def test_the_admin_page_in_russian(node: Node) -> None:
    alice = _sign_in(node, "alice")
    alice.headers["Accept-Language"] = "ru"
    page = alice.get("/admin").text
    for text in ("Ссылки-приглашения", "Создать учётную запись"):
        assert text in page, text
    alice.close()


def test_a_suspended_accounts_posts_leave_its_profile(node: Node) -> None:
    from actors.local import account_by_name
    from content.compose import Draft, post_status
    from content.limits import COMPOSE_LIMITS

    node.create_user("vera")

    async def post(session: Any, ctx: Any) -> None:
        found = await account_by_name(session, "vera")
        assert found is not None
        await post_status(
            session, ctx, found[1], Draft(text="Vera wrote an open note"), COMPOSE_LIMITS
        )

    node.with_node(post)
    with _client(node) as visitor:
        assert "Vera wrote an open note" in visitor.get("/@vera").text
    alice = _sign_in(node, "alice")
    vera = _actor_id(node, "vera")
    page = alice.get(f"/admin/accounts/{vera}").text
    answer = alice.post(
        f"/admin/accounts/{vera}",
        data={"authenticity_token": _token(page), "action": "suspend", "reason": "spam"},
    )
    assert answer.status_code == 303, answer.text
    with _client(node) as visitor:
        assert "Vera wrote an open note" not in visitor.get("/@vera").text
    alice.close()


def test_a_parent_invite_names_the_child(node: Node) -> None:
    from sqlmodel import select

    from storage.models.safety import GuardianLink

    alice = _sign_in(node, "alice")
    page = alice.get("/admin").text
    sam = _actor_id(node, "sam")  # the student who joined by invite above
    assert f'<option value="{sam}">' in page
    token = _token(page)
    wrong = alice.post(
        "/admin/invites",
        data={
            "authenticity_token": token,
            "role": "teacher",
            "valid_days": "7",
            "max_uses": "1",
            "student": str(sam),
        },
    )
    assert wrong.status_code == 422
    made = alice.post(
        "/admin/invites",
        data={
            "authenticity_token": token,
            "role": "parent",
            "valid_days": "7",
            "max_uses": "1",
            "student": str(sam),
        },
    )
    link = re.search(r'id="invite-link">[^<]+(/invite/[^<]+)<', made.text)
    assert made.status_code == 201 and link
    with _client(node) as visitor:
        form = visitor.get(link.group(1)).text
        answer = visitor.post(
            link.group(1),
            data={
                "authenticity_token": _token(form),
                "username": "pam",
                "password": "pam's password",
                "password_again": "pam's password",
            },
        )
        assert answer.status_code == 303
    pam = _actor_id(node, "pam")

    async def links(session: Any) -> list[tuple[int, int]]:
        rows = await session.exec(select(GuardianLink))
        return [(r.parent_id, r.student_id) for r in rows.all()]

    assert (pam, sam) in node.with_session(links)
    alice.close()
