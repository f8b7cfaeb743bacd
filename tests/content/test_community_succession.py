"""An erased owner's community passes to the next in line (both databases), and so
does a suspended owner's when the grace period ends.

The erasure job runs as the worker runs it; what is checked is what people
get: who ``owner_of`` names (the manage page's "Owner"), the role the API
gives each person, and the new owner's notification, from the community.
The order: the longest-standing local moderator, else the longest-standing
local member who is not a student, else the node's longest-standing admin;
never someone erased, disabled, suspended or on another node.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from actors.context import NodeContext
from actors.local import account_by_name
from content.account_data import erasure, worker
from content.communities.manage import CommunityDraft, create_community, owner_of, role_of
from content.moderation import actions, suspension
from content.notifications import COMMUNITY_OWNER
from storage.ids import new_id
from storage.models import (
    AccountJob,
    Actor,
    CommunityMember,
    Follow,
    FollowState,
    JobState,
    Notification,
    Role,
)
from storage.types import utcnow
from tests.support.inprocess import PASSWORD, in_process_node, person

LONG_AGO = utcnow() - timedelta(days=400)


@pytest.fixture
async def node(migrated_database_url: str, tmp_path: Path) -> AsyncIterator[NodeContext]:
    async with in_process_node(migrated_database_url, tmp_path / "data") as context:
        yield context


async def community(node: NodeContext, owner: Actor, name: str) -> Actor:
    async with node.sessions() as session:
        group, _settings = await create_community(
            session, node.config, CommunityDraft(name=name), owner
        )
        await session.commit()
        return group


async def joined(node: NodeContext, group: Actor, who: Actor, days_ago: int) -> None:
    async with node.sessions() as session:
        assert who.id is not None and group.id is not None
        session.add(
            Follow(
                follower_id=who.id,
                followee_id=group.id,
                state=FollowState.ACCEPTED,
                activity_ap_id=f"{who.ap_id}#join-{group.id}",
                created_at=utcnow() - timedelta(days=days_ago),
            )
        )
        await session.commit()


async def appointed(node: NodeContext, group: Actor, who: Actor, days_ago: int) -> None:
    async with node.sessions() as session:
        assert who.id is not None and group.id is not None
        session.add(
            CommunityMember(
                community_id=group.id,
                actor_id=who.id,
                created_at=utcnow() - timedelta(days=days_ago),
            )
        )
        await session.commit()


async def remote_person(node: NodeContext, name: str) -> Actor:
    async with node.sessions() as session:
        actor = Actor(
            id=new_id(),
            ap_id=f"https://far.example/users/{name}",
            username=name,
            domain="far.example",
            inbox_url=f"https://far.example/users/{name}/inbox",
        )
        session.add(actor)
        await session.commit()
        return actor


async def erase(node: NodeContext, name: str) -> None:
    """Erase ``name`` as the worker does (any other queued job runs too)."""
    async with node.sessions() as session:
        found = await account_by_name(session, name)
        assert found is not None
        job = await erasure.request(session, *found, password=PASSWORD)
        await session.commit()
    await worker.run_until_idle(node)
    async with node.sessions() as session:
        done = await session.get(AccountJob, job.id)
        assert done is not None and done.state == JobState.DONE, done and done.error


async def owner(node: NodeContext, group: Actor) -> str | None:
    async with node.sessions() as session:
        found = await owner_of(session, group)
        return None if found is None else found.username


async def told(node: NodeContext, who: Actor) -> list[int]:
    """The communities ``who`` was told are theirs now."""
    async with node.sessions() as session:
        rows = await session.exec(
            select(Notification.from_actor_id).where(
                Notification.recipient_id == who.id, Notification.type == COMMUNITY_OWNER
            )
        )
        return list(rows.all())


async def test_the_longest_standing_local_moderator_takes_over(node: NodeContext) -> None:
    alice, carl, dora = [await person(node, n) for n in ("alice", "carl", "dora")]
    ben = await person(node, "ben")
    chem = await community(node, alice, "chem")
    await joined(node, chem, ben, days_ago=300)  # a member longer, but not a moderator
    await appointed(node, chem, await remote_person(node, "rémi"), days_ago=200)  # not ours
    await appointed(node, chem, carl, days_ago=100)
    await appointed(node, chem, dora, days_ago=50)
    await erase(node, "alice")

    assert await owner(node, chem) == "carl"
    async with node.sessions() as session:
        assert await role_of(session, chem, carl) == "owner"  # the API's "role"
        assert await role_of(session, chem, dora) == "moderator"
        assert await role_of(session, chem, alice) is None
        roles = (await session.exec(select(CommunityMember))).all()
        assert sorted(r.role for r in roles if r.community_id == chem.id) == [
            "moderator",
            "moderator",
            "owner",
        ]
    assert await told(node, carl) == [chem.id]
    assert await told(node, dora) == [] and await told(node, ben) == []


async def test_else_the_longest_standing_member_but_never_a_student(node: NodeContext) -> None:
    alice = await person(node, "alice")
    sam = await person(node, "sam", Role.STUDENT)
    una, vera, ben, pat = [await person(node, n) for n in ("una", "vera", "ben", "pat")]
    head = await person(node, "head", Role.ADMIN)
    art = await community(node, alice, "art")
    await joined(node, art, sam, days_ago=400)
    await joined(node, art, await remote_person(node, "rémi"), days_ago=390)
    await joined(node, art, una, days_ago=380)  # suspended
    await joined(node, art, vera, days_ago=370)  # being erased herself
    await joined(node, art, ben, days_ago=30)
    await joined(node, art, pat, days_ago=20)
    async with node.sessions() as session:
        moderator = await session.get(Actor, head.id)
        assert moderator is not None
        await actions.suspend(session, moderator, una, "spam")
        found = await account_by_name(session, "vera")
        assert found is not None
        await erasure.request(session, *found, password=PASSWORD)  # queued behind alice's
        await session.commit()
    await erase(node, "alice")

    assert await owner(node, art) == "ben"
    assert await told(node, ben) == [art.id]
    assert await told(node, sam) == [] and await told(node, head) == []


async def test_a_community_nobody_is_left_in_goes_to_the_nodes_first_admin(
    node: NodeContext,
) -> None:
    """Decided: an empty community is not closed with its owner; the school's
    admin (the longest-standing live one) owns it and may hand it on or close it."""
    alice = await person(node, "alice")
    deputy = await person(node, "deputy", Role.ADMIN)
    head = await person(node, "head", Role.ADMIN)  # made later, but an admin for longer:
    async with node.sessions() as session:
        found = await account_by_name(session, "head")
        assert found is not None
        found[0].created_at = LONG_AGO
        session.add(found[0])
        await session.commit()
    empty = await community(node, alice, "empty")
    other = await community(node, alice, "other")
    await erase(node, "alice")

    assert await owner(node, empty) == "head" and await owner(node, other) == "head"
    assert sorted(await told(node, head)) == sorted([empty.id, other.id])
    assert await told(node, deputy) == []


async def test_an_erased_moderator_or_member_changes_no_ownership(node: NodeContext) -> None:
    alice, carl = await person(node, "alice"), await person(node, "carl")
    chem = await community(node, alice, "chem")
    await appointed(node, chem, carl, days_ago=10)
    await erase(node, "carl")
    assert await owner(node, chem) == "alice"
    assert await told(node, alice) == []


async def test_a_suspended_owners_grace_period_end_hands_the_community_on(
    node: NodeContext,
) -> None:
    alice, carl = await person(node, "alice"), await person(node, "carl")
    head = await person(node, "head", Role.ADMIN)
    chem = await community(node, alice, "chem")
    await appointed(node, chem, carl, days_ago=10)
    async with node.sessions() as session:
        moderator = await session.get(Actor, head.id)
        assert moderator is not None
        state = await actions.suspend(session, moderator, alice, "spam")
        await session.commit()
    assert await owner(node, chem) == "alice"  # suspended, not yet deleted: may come back
    async with node.sessions() as session:
        state.delete_after = utcnow() - timedelta(seconds=1)  # the grace period is over
        session.add(state)
        await session.commit()
    assert await suspension.sweep_once(node) == 1
    assert await owner(node, chem) == "carl"
    assert await told(node, carl) == [chem.id]
