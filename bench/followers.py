"""Remote followers written straight into a node's database, for the benches that need many.

A fan-out's cost is set by how followers spread over servers: each host's
followers share its shared inbox, so a post to them is one request per host.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.ids import new_id
from storage.models import Actor, Follow, FollowState


async def add_followers(
    session: AsyncSession, author_id: int, hosts: Sequence[str], followers: int, scheme: str
) -> None:
    """``followers`` accepted remote followers of ``author_id``, dealt round ``hosts`` in turn.

    Each is ``{scheme}://{host}/users/t{n}`` with its own inbox and its host's
    shared inbox (``/inbox``). The caller commits.
    """
    actors, follows = [], []
    for n in range(followers):
        host = hosts[n % len(hosts)]
        ap_id = f"{scheme}://{host}/users/t{n}"
        actor_id = new_id()
        actors.append(
            Actor(
                id=actor_id,
                ap_id=ap_id,
                username=f"t{n}",
                domain=host,
                inbox_url=f"{ap_id}/inbox",
                shared_inbox_url=f"{scheme}://{host}/inbox",
            )
        )
        follows.append(
            Follow(
                id=new_id(),
                follower_id=actor_id,
                followee_id=author_id,
                state=FollowState.ACCEPTED,
                activity_ap_id=f"{ap_id}/follows/1",
            )
        )
    session.add_all(actors)
    await session.flush()  # the followers exist before their follows point at them
    session.add_all(follows)
