"""Domain blocks and allowlist mode over real HTTP: node A, node B (listed), the Fedify peer.

The story, in order: the peer follows a teacher on A; its queued delivery is
dropped when A's admin suspends the peer's domain (through Mastodon.py), and
the follow is cut; the peer's inbox POSTs and signed fetches are refused;
the block is published when the admin says so. Then allowlist mode (from
the CLI): B, listed, federates both ways; the peer, unlisted after the block
is lifted, still gets a clear refusal at the inbox and for every fetch, and
nothing of it is stored; A will not fetch from it either.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from mastodon import MastodonAPIError
from sqlmodel import select

from storage.ids import new_id
from storage.models import Activity, Delivery, Follow, InboxItem
from storage.types import utcnow
from tests.support.fedify import require_fedify
from tests.support.node import rows, wait_until
from tests.support.world import Layout, Person, World, started_world

ADMIN_SCOPES = "read write follow admin:read admin:write"
AS = "application/activity+json"
# The Fedify peer's error type (the module is skipped without the peer).
PeerError: type[Exception] = sys.modules[require_fedify().__module__].PeerError


LAYOUT: Layout = {"a": (Person("head", "admin"), "tess"), "b": ("bob",)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with started_world(tmp_path_factory.mktemp("policy"), LAYOUT, peer="fred") as made:
        made.api = {
            "head": made.api_for("head", ADMIN_SCOPES),
            "tess": made.api_for("tess"),
            "bob": made.api_for("bob"),
        }
        yield made


def fred_host(world: World) -> str:
    """The peer's host, as a domain block names it."""
    return urlsplit(world.fred.actor).netloc


def _queue_for(world: World, inbox: str) -> int:
    """A delivery to ``inbox`` waiting (due in an hour, so no worker takes it yet)."""
    (activity,) = rows(world.a, select(Activity).order_by(Activity.id.desc()).limit(1))  # type: ignore[attr-defined]
    row_id = new_id()

    async def work(session: Any) -> None:
        now = utcnow()
        session.add(
            Delivery(
                id=row_id,
                activity_id=activity.id,
                inbox_url=inbox,
                host=urlsplit(inbox).netloc,
                state="pending",
                attempts=0,
                next_attempt_at=now + timedelta(hours=1),
                created_at=now,
                updated_at=now,
            )
        )

    world.a.with_session(work)
    return row_id


def test_a_domain_block_drops_queued_deliveries_and_cuts_follows(world: World) -> None:
    world.fred.follow(f"tess@{world.a.domain}")
    tess_url = f"{world.a.base_url}/users/tess"
    wait_until(lambda: rows(world.a, select(Follow).where(Follow.state == "accepted")), timeout=20)
    world.api["tess"].status_post("before the block")
    queued = _queue_for(world, world.fred.inbox)
    block = world.api["head"].admin_create_domain_block(
        fred_host(world), severity="suspend", public_comment="spam", private_comment="ticket 7"
    )
    assert block["severity"] == "suspend" and block["domain"] == fred_host(world)
    (row,) = rows(world.a, select(Delivery).where(Delivery.id == queued))
    assert row.state == "dead" and "blocked" in (row.last_error or "")
    assert rows(world.a, select(Follow)) == []
    # A new post has no delivery to the blocked node at all.
    post = world.api["tess"].status_post("after the block")
    (create,) = rows(world.a, select(Activity).where(Activity.object_ap_id == post["uri"]))
    assert rows(world.a, select(Delivery).where(Delivery.activity_id == create.id)) == []
    assert tess_url


def test_a_blocked_domain_is_refused_at_the_inbox_and_for_fetches(world: World) -> None:
    fred = world.fred
    note = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fred.actor}/notes/blocked-1/activity",
        "type": "Create",
        "actor": fred.actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": f"{fred.actor}/notes/blocked-1",
            "type": "Note",
            "attributedTo": fred.actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "content": "<p>let me in</p>",
        },
    }
    answer = fred.raw_post(f"{world.a.base_url}/inbox", note)
    assert answer["status"] == 403, answer
    assert "suspended" in str(answer)
    assert rows(world.a, select(InboxItem).where(InboxItem.activity_id == note["id"])) == []
    # Our node fetches nothing from it either.
    found = world.api["tess"].search(fred.actor, resolve=True)
    assert found["accounts"] == []


def test_the_block_list_is_published_only_when_the_admin_says_so(world: World) -> None:
    url = f"{world.a.base_url}/api/v1/instance/domain_blocks"
    assert httpx.get(url, timeout=10).status_code == 404
    done = world.a.staffroom("safety", "publish-domain-blocks", "on")
    assert done.returncode == 0, done.stderr
    listed = httpx.get(url, timeout=10).json()
    assert listed == [
        {
            "domain": fred_host(world),
            "digest": listed[0]["digest"],
            "severity": "suspend",
            "comment": "spam",
        }
    ]


def test_allowlist_mode_federates_only_with_listed_nodes(world: World) -> None:
    head = world.api["head"]
    (block,) = head.admin_domain_blocks()
    head.admin_delete_domain_block(block["id"])
    allowed = head.admin_create_domain_allow(world.b.domain)
    assert [a["domain"] for a in head.admin_domain_allows()] == [world.b.domain]
    done = world.a.staffroom("safety", "allowlist", "on")
    assert done.returncode == 0, done.stderr
    # B is listed: bob follows tess and gets her post.
    bob = world.api["bob"]
    (tess_at_b,) = bob.search(f"tess@{world.a.domain}", resolve=True)["accounts"]
    bob.account_follow(tess_at_b["id"])
    wait_until(lambda: bob.account_relationships(tess_at_b["id"])[0]["following"], timeout=30)
    post = world.api["tess"].status_post("for the regional network")
    wait_until(lambda: any(s["uri"] == post["uri"] for s in bob.timeline_home()), timeout=30)
    # The peer is not listed: a clear refusal at the inbox, nothing stored.
    fred = world.fred
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fred.actor}/follows/again",
        "type": "Follow",
        "actor": fred.actor,
        "object": f"{world.a.base_url}/users/tess",
    }

    def refused() -> dict[str, Any]:
        answer: dict[str, Any] = fred.raw_post(f"{world.a.base_url}/inbox", follow)
        return answer if answer["status"] == 403 else {}

    answer = wait_until(refused, timeout=10)
    assert "federates only with the nodes its admin lists" in str(answer)
    assert rows(world.a, select(InboxItem).where(InboxItem.activity_id == follow["id"])) == []
    # Every fetch refused too: signed by the peer (403) or anonymous (401).
    anonymous = httpx.get(post["uri"], headers={"Accept": AS}, timeout=10)
    assert anonymous.status_code == 401
    assert "federates only" in anonymous.json()["error"]
    with pytest.raises(PeerError):
        fred.lookup(post["uri"])
    # Our instance actor stays readable (for verifying our signatures).
    assert httpx.get(f"{world.a.base_url}/actor", headers={"Accept": AS}, timeout=10).is_success
    # Turning it off again: the peer is welcome.
    head.admin_delete_domain_allow(allowed["id"])
    assert world.a.staffroom("safety", "allowlist", "off").returncode == 0


def test_domain_policy_refuses_bad_input_and_non_moderators(world: World) -> None:
    with pytest.raises(MastodonAPIError) as bad:
        world.api["head"].admin_create_domain_block("not a domain/", severity="suspend")
    assert bad.value.args[1] == 422
    with pytest.raises(MastodonAPIError) as forbidden:
        world.api["tess"].admin_create_domain_block("evil.example", severity="suspend")
    assert forbidden.value.args[1] == 403
    assert all(b["domain"] != "evil.example" for b in world.api["head"].admin_domain_blocks())
    refused = world.a.staffroom("safety", "domain-block", "bad/domain")
    assert refused.returncode == 1 and "not a domain" in refused.stderr
