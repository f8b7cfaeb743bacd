"""Polls finished: votes from another node and the Fedify peer, totals agreed by Update(Question),
the end announced with Mastodon's ``poll`` notification, and votes after the end refused.

Node A (PostgreSQL when configured) with alice and carol, node B (SQLite)
with bob and dora, fred on the Fedify peer. alice's poll gets votes from
carol (A), bob (B) and fred (dora and carol follow alice with ``notify``
first and get Mastodon's ``status`` notification for her new post, bob
without it does not); A recounts and, after the debounce, sends one
``Update(Question)`` to its audience and the remote voters, so the totals
agree on all three. Mastodon's shortest poll lasts five minutes: the test
moves the poll's end into the past in A's database (time passing, nothing
else); A's worker then closes it, tells the other nodes, and alice, carol
and bob get a ``poll`` notification through Mastodon.py; a vote after the
end is refused here (422) and at A (the inbox item is rejected, the totals
stay).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError
from sqlmodel import func, select

from content.as2 import iso
from staffroom.settings import load_settings
from storage.models import ContentObject, InboxItem, InboxState, PollState
from tests.support.databases import postgres_admin_url
from tests.support.fedify import missing_reason, started_peer
from tests.support.node import Node, wait_until

AS = "application/activity+json"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if missing_reason() is not None:
        pytest.skip(missing_reason() or "")
    base: Path = tmp_path_factory.mktemp("polls")
    a = Node(base / "a", "postgres" if postgres_admin_url() else "sqlite")
    b = Node(base / "b", "sqlite")
    for node in (a, b):
        node.env["STAFFROOM_POLL_DEBOUNCE_SECONDS"] = "1"
        node.settings = load_settings(env=node.env)
    try:
        for node, names in ((a, ("alice", "carol")), (b, ("bob", "dora"))):
            node.migrate()
            for name in names:
                node.create_user(name)
            node.start()
        clients = {
            name: Mastodon(access_token=node.token(name), api_base_url=node.base_url)
            for node, names in ((a, ("alice", "carol")), (b, ("bob", "dora")))
            for name in names
        }
        with started_peer(base / "fedify", "fred") as fred:
            yield {"a": a, "b": b, "fred": fred, "clients": clients}
    finally:
        a.close()
        b.close()


def _remote_copy(client: Mastodon, uri: str) -> Any:
    found = client.search_v2(uri, resolve=True)["statuses"]
    assert found, uri
    return found[0]


def _totals(poll: Any) -> list[int]:
    return [option["votes_count"] for option in poll["options"]]


def test_subscribers_get_a_status_notification(world: dict[str, Any]) -> None:
    clients = world["clients"]
    for name in ("dora", "carol"):
        found = clients[name].search_v2(f"alice@{world['a'].domain}", resolve=True)["accounts"]
        relation = clients[name].account_follow(found[0]["id"], notify=True)
        wait_until(
            lambda name=name, found=found: clients[name].account_relationships(found[0]["id"])[0][
                "following"
            ],
            timeout=30,
        )
        assert clients[name].account_relationships(found[0]["id"])[0]["notifying"] is True
        assert relation["notifying"] is True
    bob = clients["bob"]
    found = bob.search_v2(f"alice@{world['a'].domain}", resolve=True)["accounts"]
    bob.account_follow(found[0]["id"])  # no notify: no status notifications
    wait_until(lambda: bob.account_relationships(found[0]["id"])[0]["following"], timeout=30)
    post = clients["alice"].status_post("New worksheets are up")
    for name in ("dora", "carol"):
        wait_until(
            lambda name=name: any(
                n["type"] == "status" and n["status"]["uri"] == post["uri"]
                for n in clients[name].notifications()
            ),
            timeout=30,
        )
    # bob's copy arrived with dora's (one delivery to B's shared inbox)
    assert not any(n["type"] == "status" for n in bob.notifications())


def test_votes_from_b_and_fedify_agree_everywhere(world: dict[str, Any]) -> None:
    clients, fred = world["clients"], world["fred"]
    alice = clients["alice"]
    status = alice.status_post(
        "Which day for the methodology seminar?",
        poll=alice.make_poll(["Tuesday", "Thursday", "Saturday"], expires_in=3600),
    )
    world["status"] = status
    clients["carol"].poll_vote(status["poll"]["id"], [0])
    copy = _remote_copy(clients["bob"], status["uri"])
    world["copy"] = copy
    clients["bob"].poll_vote(copy["poll"]["id"], [1])
    fred.vote(status["uri"], ["Thursday"])
    wait_until(lambda: _totals(alice.poll(status["poll"]["id"])) == [1, 2, 0], timeout=30)
    wait_until(lambda: _totals(clients["dora"].poll(copy["poll"]["id"])) == [1, 2, 0], timeout=30)

    def fred_has_totals() -> bool:
        for item in fred.received(type="Update"):
            obj = item["activity"].get("object") or {}
            options = obj.get("oneOf") or []
            counts = [o.get("replies", {}).get("totalItems") for o in options]
            if obj.get("id") == status["uri"] and counts == [1, 2, 0]:
                return True
        return False

    wait_until(fred_has_totals, timeout=30)
    question = httpx.get(status["uri"], headers={"Accept": AS}, timeout=10).json()
    assert [o["replies"]["totalItems"] for o in question["oneOf"]] == [1, 2, 0]
    assert question["votersCount"] == 3


def _end_now(node: Node, uri: str) -> None:
    """Time passes: the poll's end moves a second into the past."""

    async def work(session: Any) -> None:
        obj = (await session.exec(select(ContentObject).where(ContentObject.ap_id == uri))).one()
        past = datetime.now(UTC) - timedelta(seconds=1)
        obj.extra = {**obj.extra, "endTime": iso(past)}
        session.add(obj)
        state = await session.get(PollState, obj.id)
        state.ends_at = past
        session.add(state)

    node.with_session(work)


def test_the_end_notifies_author_and_voters_on_both_nodes(world: dict[str, Any]) -> None:
    clients, status = world["clients"], world["status"]
    _end_now(world["a"], status["uri"])

    def poll_notified(name: str) -> bool:
        return any(
            n["type"] == "poll" and n["status"]["uri"] == status["uri"]
            for n in clients[name].notifications()
        )

    for name in ("alice", "carol", "bob"):
        wait_until(lambda name=name: poll_notified(name), timeout=30)
    assert not poll_notified("dora")  # she never voted
    assert clients["alice"].poll(status["poll"]["id"])["expired"] is True
    wait_until(lambda: clients["dora"].poll(world["copy"]["poll"]["id"])["expired"], timeout=30)


def test_a_vote_after_the_end_is_refused_here_and_at_the_origin(world: dict[str, Any]) -> None:
    clients, status, a = world["clients"], world["status"], world["a"]
    with pytest.raises(MastodonAPIError, match="ended"):
        clients["dora"].poll_vote(world["copy"]["poll"]["id"], [2])

    def rejected() -> int:
        async def work(session: Any) -> int:
            query = (
                select(func.count())
                .select_from(InboxItem)
                .where(InboxItem.state == InboxState.REJECTED)
            )
            return int((await session.exec(query)).one())

        return a.with_node(lambda session, _ctx: work(session))

    before = rejected()
    world["fred"].vote(status["uri"], ["Saturday"])
    wait_until(lambda: rejected() > before, timeout=30)
    assert _totals(clients["alice"].poll(status["poll"]["id"])) == [1, 2, 0]
