"""The moderation pages against one real node over HTTP (real database, real forms).

A teacher reports a post through the API; the moderator finds it in the
queue, assigns it, marks the post sensitive, suspends the account and
resolves the report through the pages' forms, and the audit log page shows
every action with its reason. Refusals: a teacher and a student get 403 on
every moderation page and form; a form without (or with a wrong) CSRF token
and an action without a reason are refused and change nothing. Domain
policy: block and unblock, allowlist mode on and off, each in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from actors import node_settings
from storage.models import (
    Account,
    Actor,
    ActorModeration,
    ContentObject,
    DomainPolicy,
    ModerationAction,
    Report,
)
from storage.repos.domain_rules import ALLOWLIST_MODE
from tests.support.databases import postgres_admin_url
from tests.support.node import Node

PASSWORD = "correct horse battery"
PAGES = ["/admin/reports", "/admin/audit", "/admin/domains"]
# Every client a test opens, closed when the node goes.
CLIENTS: list[httpx.Client] = []


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(
        tmp_path_factory.mktemp("modpages"),
        "postgres" if postgres_admin_url() else "sqlite",
        workers=False,
    )
    try:
        node.migrate()
        for name, role in [
            ("mo", "moderator"),
            ("tess", "teacher"),
            ("vic", "teacher"),
            ("una", "teacher"),
            ("wes", "teacher"),
            ("sam", "student"),
        ]:
            node.create_user(name, role)
        node.start()
        yield node
    finally:
        for client in CLIENTS:
            client.close()
        node.close()


def _token(html: str) -> str:
    found = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _signed_in(node: Node, who: str) -> httpx.Client:
    client = httpx.Client(base_url=node.base_url, timeout=30, headers={"Accept-Language": "en"})
    CLIENTS.append(client)
    token = _token(client.get("/login").text)
    r = client.post(
        "/login", data={"authenticity_token": token, "username": who, "password": PASSWORD}
    )
    assert r.status_code == 303, r.text
    return client


def _rows(node: Node, statement: Any) -> list[Any]:
    async def work(session: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    return node.with_session(work)


def _report(node: Node, author: str) -> tuple[int, int, str]:
    """``author`` posts; tess reports the post through the API: (report, post, author's id)."""
    api = httpx.Client(base_url=node.base_url, timeout=30)
    CLIENTS.append(api)
    vic = {"Authorization": f"Bearer {node.token(author)}"}
    status = api.post("/api/v1/statuses", headers=vic, data={"status": "rude words here"})
    assert status.status_code == 200, status.text
    tess = {"Authorization": f"Bearer {node.token('tess')}"}
    vic_id = status.json()["account"]["id"]
    report = api.post(
        "/api/v1/reports",
        headers=tess,
        data={"account_id": vic_id, "status_ids[]": status.json()["id"], "comment": "not nice"},
    )
    assert report.status_code == 200, report.text
    post = _rows(node, select(ContentObject).where(ContentObject.ap_id == status.json()["uri"]))
    assert post[0].id is not None
    return int(report.json()["id"]), int(post[0].id), vic_id


def _post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    token = _token(client.get(path).text)
    return client.post(path, data={"authenticity_token": token, **data})


def _audit(node: Node) -> list[ModerationAction]:
    return _rows(node, select(ModerationAction).order_by(ModerationAction.id))


def test_only_moderators_reach_the_pages(node: Node) -> None:
    report_id, _post_id, _una = _report(node, "una")
    for who in ("tess", "sam"):
        client = _signed_in(node, who)
        for path in [*PAGES, f"/admin/reports/{report_id}"]:
            r = client.get(path)
            assert r.status_code == 403, (who, path)
            assert "rude words" not in r.text and "not nice" not in r.text
        # A form posted with a valid token of their own is refused as well.
        token = _token(client.get("/settings").text)
        before = len(_audit(node))
        r = client.post(
            f"/admin/reports/{report_id}",
            data={"authenticity_token": token, "action": "suspend", "reason": "mine"},
        )
        assert r.status_code == 403
        r = client.post(
            "/admin/domains",
            data={"authenticity_token": token, "action": "allowlist", "enabled": "1"},
        )
        assert r.status_code == 403
        assert len(_audit(node)) == before
    assert httpx.get(f"{node.base_url}/admin/reports").status_code == 401
    report = _rows(node, select(Report).where(Report.id == report_id))[0]
    assert report.resolved_at is None and report.assigned_id is None


def test_a_moderator_works_a_report_through_the_forms(node: Node) -> None:
    report_id, post_id, vic_id = _report(node, "vic")
    mo = _signed_in(node, "mo")
    queue = mo.get("/admin/reports")
    assert queue.status_code == 200
    row = re.search(rf'<tr id="report-{report_id}">(.*?)</tr>', queue.text, re.S)
    assert row and "@tess@" in row.group(1) and "@vic@" in row.group(1)
    assert "not nice" in row.group(1)
    page = mo.get(f"/admin/reports/{report_id}")
    assert "rude words here" in page.text and 'id="report-state">Open' in page.text
    path = f"/admin/reports/{report_id}"

    # Refused, nothing changed: no token, a wrong token, no reason.
    before = len(_audit(node))
    assert mo.post(path, data={"action": "suspend", "reason": "x"}).status_code == 403
    bad = {"authenticity_token": "forged", "action": "suspend", "reason": "x"}
    assert mo.post(path, data=bad).status_code == 403
    r = _post(mo, path, {"action": "suspend", "reason": "  "})
    assert r.status_code == 422 and "reason is required" in r.text
    r = _post(mo, path, {"action": "delete_post", "post": "999999", "reason": "x"})
    assert r.status_code == 422
    assert len(_audit(node)) == before
    vic = _rows(node, select(Actor).where(Actor.username == "vic"))[0]
    assert not _rows(node, select(Account).where(Account.actor_id == vic.id))[0].disabled

    assert _post(mo, path, {"action": "assign"}).status_code == 303
    r = _post(
        mo, path, {"action": "mark_sensitive", "post": str(post_id), "reason": "graphic words"}
    )
    assert r.status_code == 303, r.text
    r = _post(mo, path, {"action": "suspend", "reason": "repeated abuse of colleagues"})
    assert r.status_code == 303, r.text
    r = _post(mo, path, {"action": "resolve", "reason": "handled"})
    assert r.status_code == 303

    report = _rows(node, select(Report).where(Report.id == report_id))[0]
    me = _rows(node, select(Actor).where(Actor.username == "mo"))[0]
    assert report.resolved_at is not None and report.resolved_by_id == me.id
    assert report.assigned_id == me.id
    assert _rows(node, select(ContentObject).where(ContentObject.id == post_id))[0].sensitive
    assert _rows(node, select(Account).where(Account.actor_id == vic.id))[0].disabled
    state = _rows(node, select(ActorModeration).where(ActorModeration.actor_id == vic.id))[0]
    assert state.suspended_at is not None
    assert str(vic.id) == vic_id

    logged = [(a.action, a.reason) for a in _audit(node) if a.report_id == report_id]
    assert logged == [
        ("report_assign", ""),
        ("mark_sensitive", "graphic words"),
        ("suspend", "repeated abuse of colleagues"),
        ("report_resolve", "handled"),
    ]
    page = mo.get(f"/admin/reports/{report_id}").text
    assert 'id="report-state">Resolved' in page and 'id="account-state">Suspended' in page
    log = mo.get("/admin/audit").text
    for text in ("Account suspended", "repeated abuse of colleagues", "Post marked sensitive"):
        assert text in log
    assert report_id not in [
        int(i) for i in re.findall(r'id="report-(\d+)"', mo.get(PAGES[0]).text)
    ]
    ru = mo.get("/admin/audit", headers={"Accept-Language": "ru"})
    assert "Журнал модерации" in ru.text and "Учётная запись заблокирована" in ru.text


def test_a_moderator_deletes_a_post_and_limits_the_account(node: Node) -> None:
    report_id, post_id, _wes = _report(node, "wes")
    mo = _signed_in(node, "mo")
    path = f"/admin/reports/{report_id}"
    r = _post(mo, path, {"action": "delete_post", "post": str(post_id), "reason": "insult"})
    assert r.status_code == 303, r.text
    post = _rows(node, select(ContentObject).where(ContentObject.id == post_id))[0]
    assert post.deleted_at is not None
    assert "rude words here" not in mo.get(path).text
    # A post already gone cannot be deleted twice (and nothing more is logged).
    before = len(_audit(node))
    r = _post(mo, path, {"action": "delete_post", "post": str(post_id), "reason": "again"})
    assert r.status_code == 422
    assert len(_audit(node)) == before
    assert _post(mo, path, {"action": "silence", "reason": "cool off"}).status_code == 303
    wes = _rows(node, select(Actor).where(Actor.username == "wes"))[0]
    state = _rows(node, select(ActorModeration).where(ActorModeration.actor_id == wes.id))[0]
    assert state.limited and state.suspended_at is None
    assert 'id="account-state">Limited' in mo.get(path).text
    assert _post(mo, path, {"action": "unsilence", "reason": "better now"}).status_code == 303
    state = _rows(node, select(ActorModeration).where(ActorModeration.actor_id == wes.id))[0]
    assert not state.limited
    # The account's own page: its state, the report, and a suspension from there.
    account = f"/admin/accounts/{wes.id}"
    page = mo.get(account).text
    assert f'href="/admin/reports/{report_id}"' in page and 'id="account-state">Active' in page
    assert _post(mo, account, {"action": "suspend", "reason": ""}).status_code == 422
    assert _post(mo, account, {"action": "suspend", "reason": "enough"}).status_code == 303
    assert 'id="account-state">Suspended' in mo.get(account).text
    for who in ("tess", "sam"):
        assert _signed_in(node, who).get(account).status_code == 403
    logged = [(a.action, a.reason) for a in _audit(node) if a.target_actor_id == wes.id]
    assert logged == [
        ("delete_post", "insult"),
        ("limit", "cool off"),
        ("unlimit", "better now"),
        ("suspend", "enough"),
    ]


def test_a_held_message_is_shown_and_actions_reach_its_sender(node: Node) -> None:
    """A message from another node to a student: the moderator reads it (markup
    sanitized) and a suspension reaches the sender, never the student."""
    from content.moderation import held

    async def hold(session: Any, ctx: Any) -> int:
        sender = Actor(
            ap_id="https://far.example/users/spam",
            username="spam",
            domain="far.example",
            inbox_url="https://far.example/users/spam/inbox",
        )
        session.add(sender)
        await session.flush()
        sam = (await session.exec(select(Actor).where(Actor.username == "sam"))).one()
        body = {
            "type": "Create",
            "object": {"content": "<p>meet me</p><script>alert(1)</script>"},
        }
        await session.commit()
        await held.hold(ctx, sender, sam, "https://far.example/notes/1", body)
        return int(sender.id)

    sender_id = node.with_node(hold)
    report = _rows(node, select(Report).where(Report.reporter_id == sender_id))[0]
    mo = _signed_in(node, "mo")
    path = f"/admin/reports/{report.id}"
    page = mo.get(path).text
    assert "meet me" in page and "<script>alert" not in page
    assert f'href="/admin/accounts/{sender_id}"' in page
    assert _post(mo, path, {"action": "suspend", "reason": "grooming"}).status_code == 303
    sam = _rows(node, select(Actor).where(Actor.username == "sam"))[0]
    assert not _rows(node, select(Account).where(Account.actor_id == sam.id))[0].disabled
    suspended = _rows(
        node,
        select(ActorModeration).where(ActorModeration.suspended_at != None),  # noqa: E711
    )
    assert sender_id in {s.actor_id for s in suspended} and sam.id not in {
        s.actor_id for s in suspended
    }


def test_domain_policy_through_the_forms(node: Node) -> None:
    mo = _signed_in(node, "mo")
    r = _post(mo, "/admin/domains", {"action": "block", "domain": "bad.example", "reason": ""})
    assert r.status_code == 422
    assert (
        mo.post("/admin/domains", data={"action": "allowlist", "enabled": "1"}).status_code == 403
    )
    assert _rows(node, select(DomainPolicy)) == []
    r = _post(
        mo,
        "/admin/domains",
        {"action": "block", "domain": "Bad.Example", "severity": "suspend", "reason": "spam"},
    )
    assert r.status_code == 303, r.text
    (row,) = _rows(node, select(DomainPolicy))
    assert (row.domain, row.severity, row.private_comment) == ("bad.example", "suspend", "spam")
    assert 'id="policy-bad.example"' in mo.get("/admin/domains").text
    assert _post(mo, "/admin/domains", {"action": "allowlist", "enabled": "1"}).status_code == 303
    assert (
        _post(mo, "/admin/domains", {"action": "allow", "domain": "good.example"}).status_code
        == 303
    )

    async def mode(session: Any) -> Any:
        return await node_settings.read(session, ALLOWLIST_MODE)

    assert node.with_session(mode) is True
    assert "On:" in mo.get("/admin/domains").text
    assert (
        _post(mo, "/admin/domains", {"action": "unblock", "domain": "bad.example"}).status_code
        == 303
    )
    assert _post(mo, "/admin/domains", {"action": "allowlist", "enabled": "0"}).status_code == 303
    assert node.with_session(mode) is False
    assert [r.domain for r in _rows(node, select(DomainPolicy))] == ["good.example"]
    actions = [a.action for a in _audit(node) if a.action.startswith(("domain", "allowlist"))]
    assert actions == [
        "domain_block",
        "allowlist_mode",
        "domain_allow",
        "domain_unblock",
        "allowlist_mode",
    ]
    assert "Domain blocked" in mo.get("/admin/audit").text
