"""Reports and moderation across two nodes and the Fedify peer, through Mastodon.py.

Node A (PostgreSQL when configured) has ``head`` (admin), ``mo``
(moderator), ``tess`` and ``vic`` (teachers); node B has ``bob``; ``fred``
is the Fedify peer. Proves: a Flag from the peer lands in the queue with its
posts; a local report is forwarded to the reported account's node as an
anonymous Flag; a report flood from one host is refused; a forged Flag about
another node's account is not stored; admin calls without the role or the
scope are refused and change nothing; actions are logged with their reasons;
a suspension hides the account at once, refuses its sign-in, and after the
grace period reaches node B as a ``Delete`` that hides it there too;
keyword filters (v2) through Mastodon.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError
from sqlmodel import select

from actors import node_settings
from content.moderation import suspension
from storage.models import Actor, ContentObject, InboxItem, ModerationAction, Report
from tests.support.node import rows, wait_until
from tests.support.world import Layout, Person, World, started_world

ADMIN_SCOPES = "read write follow admin:read admin:write"


LAYOUT: Layout = {
    "a": (Person("head", "admin"), Person("mo", "moderator"), "tess", "vic"),
    "b": ("bob", Person("bea", "moderator")),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # The suspension test runs the sweep itself: the nodes' own sweep (once at
    # start, then not for a day) must not send the Delete before it does.
    quiet_sweep = {"STAFFROOM_SUSPENSION_SWEEP_SECONDS": "86400"}
    with started_world(
        tmp_path_factory.mktemp("moderation"), LAYOUT, peer="fred", env=quiet_sweep
    ) as made:
        made.api = {
            "head": made.api_for("head", ADMIN_SCOPES),
            "mo": made.api_for("mo", ADMIN_SCOPES),
            "mo_plain": made.api_for("mo", "read write"),
            "tess": made.api_for("tess", ADMIN_SCOPES),
            "vic": made.api_for("vic"),
            "bob": made.api_for("bob"),
            "bea": made.api_for("bea", ADMIN_SCOPES),
        }
        yield made


def acct_id(world: World, name: str) -> str:
    return str(world.api[name].account_verify_credentials()["id"])


def _flag(world: World, suffix: str, objects: list[str], comment: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{world.fred.actor}/flags/{suffix}",
        "type": "Flag",
        "actor": world.fred.actor,
        "object": objects,
        "content": comment,
    }


def test_a_flag_from_the_peer_lands_in_the_queue_with_its_posts(world: World) -> None:
    post = world.api["tess"].status_post("Something someone dislikes")
    flag = _flag(world, "1", [world.actor_url("tess"), post["uri"]], "this is spam")
    assert world.fred.raw_post(f"{world.a.base_url}/inbox", flag)["status"] == 202
    head = world.api["head"]

    def queued() -> list[Any]:
        return [r for r in head.admin_reports() if r["comment"] == "this is spam"]

    (report,) = wait_until(queued, timeout=20)
    assert report["target_account"]["username"] == "tess"
    assert [s["id"] for s in report["statuses"]] == [post["id"]]
    assert report["account"]["domain"] == world.fred.actor.split("/")[2]
    # Assign, resolve, and the audit log says who did it.
    assert head.admin_report_assign(report["id"])["assigned_account"]["username"] == "head"
    resolved = head.admin_report_resolve(report["id"])
    assert resolved["action_taken"] is True
    assert all(r["id"] != report["id"] for r in head.admin_reports())
    actions = rows(
        world.a, select(ModerationAction).where(ModerationAction.report_id == int(report["id"]))
    )
    assert {a.action for a in actions} == {"report_assign", "report_resolve"}


def test_a_forged_flag_about_another_nodes_account_is_not_stored(world: World) -> None:
    flag = _flag(world, "forged", [world.actor_url("bob")], "not yours to judge")
    assert world.fred.raw_post(f"{world.a.base_url}/inbox", flag)["status"] == 202

    def handled() -> list[InboxItem]:
        found = rows(world.a, select(InboxItem).where(InboxItem.activity_id == flag["id"]))
        return [i for i in found if i.state != "received"]

    wait_until(handled, timeout=15)
    assert rows(world.a, select(Report).where(Report.activity_ap_id == flag["id"])) == []


def test_a_report_flood_from_one_host_is_refused(world: World) -> None:
    async def limit(session: Any) -> None:
        await node_settings.write(session, "moderation.reports_per_host_per_hour", 3)

    world.a.with_session(limit)
    try:
        ids = []
        for n in range(4):
            flag = _flag(world, f"flood-{n}", [world.actor_url("vic")], f"flood {n}")
            assert world.fred.raw_post(f"{world.a.base_url}/inbox", flag)["status"] == 202
            ids.append(flag["id"])

            def handled(activity_id: str = flag["id"]) -> list[InboxItem]:
                found = rows(world.a, select(InboxItem).where(InboxItem.activity_id == activity_id))
                return [i for i in found if i.state != "received"]

            wait_until(handled, timeout=15)
        stored = rows(world.a, select(Report).where(Report.comment.startswith("flood")))  # type: ignore[attr-defined]
        # The earlier Flag (test above) counts too: 3 an hour from this host in all.
        assert len(stored) == 2
        (last,) = rows(world.a, select(InboxItem).where(InboxItem.activity_id == ids[-1]))
        assert last.state == "rejected" and "too many reports" in (last.error or "")
    finally:

        async def reset(session: Any) -> None:
            await node_settings.write(session, "moderation.reports_per_host_per_hour", 20)

        world.a.with_session(reset)


def test_a_local_report_is_forwarded_anonymously(world: World) -> None:
    bob_post = world.api["bob"].status_post("a post tess will report")
    found = world.api["tess"].search(bob_post["uri"], resolve=True)
    (remote_status,) = found["statuses"]
    report = world.api["tess"].report(
        remote_status["account"]["id"],
        status_ids=[remote_status["id"]],
        comment="please look at this",
        forward=True,
        category="violation",
    )
    assert report["forwarded"] is True
    # Node B's moderator sees it, from A's instance actor, not from tess.
    bea = world.api["bea"]

    def arrived() -> list[Any]:
        return [r for r in bea.admin_reports() if r["comment"] == "please look at this"]

    (seen,) = wait_until(arrived, timeout=20)
    assert seen["account"]["username"] == "instance.actor"
    assert "tess" not in str(seen["account"])
    assert [s["uri"] for s in seen["statuses"]] == [bob_post["uri"]]
    # Node A's queue holds it too.
    assert any(r["comment"] == "please look at this" for r in world.api["head"].admin_reports())


def test_reports_refuse_bad_input(world: World) -> None:
    tess = world.api["tess"]
    with pytest.raises(MastodonAPIError) as refused:
        tess.report(acct_id(world, "tess"), comment="myself")
    assert refused.value.args[1] == 422
    vic_post = world.api["vic"].status_post("vic's own post")
    with pytest.raises(MastodonAPIError) as refused:
        tess.report(acct_id(world, "head"), status_ids=[vic_post["id"]])
    assert refused.value.args[1] == 422


def test_admin_calls_need_the_role_and_the_scope(world: World) -> None:
    vic_id = acct_id(world, "vic")
    before = rows(world.a, select(ModerationAction))
    for name in ("tess", "mo_plain"):
        api = world.api[name]
        for call in (
            api.admin_accounts_v2,
            api.admin_reports,
            lambda api=api: api.admin_account_moderate(vic_id, action="suspend", text="no"),
            lambda api=api: api.admin_create_domain_block("evil.example", severity="suspend"),
        ):
            with pytest.raises(MastodonAPIError) as refused:
                call()
            assert refused.value.args[1] == 403, name
    assert rows(world.a, select(ModerationAction)) == before
    assert world.api["vic"].account_verify_credentials()["username"] == "vic"


def test_actions_on_posts_and_accounts_are_logged_with_reasons(world: World) -> None:
    mo = world.api["mo"]
    post = world.api["tess"].status_post("a post a moderator will act on")
    tess_id = acct_id(world, "tess")
    mo.admin_account_moderate(tess_id, action="none", text="first warning")
    mo.admin_account_moderate(tess_id, action="silence", text="calm down")
    assert mo.admin_account(tess_id)["silenced"] is True
    # A limited account is off the public timeline.
    assert all(s["id"] != post["id"] for s in world.api["vic"].timeline_public())
    mo.admin_account_unsilence(tess_id)
    assert mo.admin_account(tess_id)["silenced"] is False
    actions = rows(
        world.a,
        select(ModerationAction).where(ModerationAction.target_actor_id == int(tess_id)),
    )
    reasons = {a.action: a.reason for a in actions}
    assert reasons["warn"] == "first warning"
    assert reasons["limit"] == "calm down"
    assert "unlimit" in reasons


def test_a_suspension_hides_refuses_sign_in_and_reaches_the_other_node(world: World) -> None:
    vic, bob, head = world.api["vic"], world.api["bob"], world.api["head"]
    post = vic.status_post("vic's last public post")
    (vic_at_b,) = bob.search(f"vic@{world.a.domain}", resolve=True)["accounts"]
    bob.account_follow(vic_at_b["id"])
    wait_until(lambda: bob.account_relationships(vic_at_b["id"])[0]["following"], timeout=20)

    async def no_grace(session: Any) -> None:
        await node_settings.write(session, "moderation.suspension_grace_seconds", 0)

    world.a.with_session(no_grace)
    vic_id = acct_id(world, "vic")
    head.admin_account_moderate(vic_id, action="suspend", text="safeguarding concern")
    # Sign-in refused: the token no longer works.
    with pytest.raises(MastodonAPIError) as refused:
        vic.account_verify_credentials()
    assert refused.value.args[1] == 403
    # Content hidden at once, on the API and to fetches.
    with pytest.raises(MastodonNotFoundError):
        world.api["tess"].status(post["id"])
    fetched = httpx.get(post["uri"], headers={"Accept": "application/activity+json"}, timeout=10)
    assert fetched.status_code == 404
    assert head.admin_account(vic_id)["suspended"] is True
    # The grace period is over: the sweep sends the Delete; node B hides vic.
    sent = world.a.with_node(lambda _session, ctx: suspension.sweep_once(ctx))
    assert sent == 1

    def gone_at_b() -> bool:
        (actor,) = rows(world.b, select(Actor).where(Actor.ap_id == world.actor_url("vic")))
        return bool(actor.gone)

    wait_until(gone_at_b, timeout=20)
    # B keeps the post only as a tombstone, if it had it at all.
    kept = rows(world.b, select(ContentObject).where(ContentObject.ap_id == post["uri"]))
    assert all(o.deleted_at is not None for o in kept)
    logged = rows(world.a, select(ModerationAction).where(ModerationAction.action == "suspend"))
    assert [a.reason for a in logged] == ["safeguarding concern"]


def test_keyword_filters_v2(world: World) -> None:
    tess = world.api["tess"]
    made = tess.create_filter_v2(
        title="No spoilers",
        context=["home", "public"],
        filter_action="warn",
        keywords_attributes=[{"keyword": "finale", "whole_word": True}],
    )
    assert made["keywords"][0]["keyword"] == "finale"
    assert [f["id"] for f in tess.filters_v2()] == [made["id"]]
    kw = tess.add_filter_keyword_v2(made["id"], "ending", whole_word=False)
    # A post it matches says so in ``filtered`` (the app hides or warns).
    post = world.api["head"].status_post("The finale was great")
    (result,) = tess.status(post["id"])["filtered"]
    assert result["keyword_matches"] == ["finale"]
    assert result["filter"]["filter_action"] == "warn"
    assert world.api["head"].status(post["id"])["filtered"] == []
    assert {k["keyword"] for k in tess.filter_keywords_v2(made["id"])} == {"finale", "ending"}
    # Nobody else sees or changes it.
    with pytest.raises(MastodonNotFoundError):
        world.api["head"].filter_v2(made["id"])
    tess.delete_filter_keyword_v2(kw["id"])
    tess.delete_filter_v2(made["id"])
    assert tess.filters_v2() == []
    with pytest.raises(MastodonAPIError):
        tess.create_filter_v2(title="", context=["home"], filter_action="warn")
