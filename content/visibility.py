"""Visibility: the addressing a visibility means, and who may read what.

Addressing follows Mastodon exactly, because every other server reads
visibility back from ``to``/``cc`` the way Mastodon writes them:

==========  ================  ==================
visibility  to                cc
==========  ================  ==================
public      Public            followers + mentions
unlisted    followers         Public + mentions
followers   followers         mentions
direct      mentions          (nothing)
==========  ================  ==================

Reading is the other half of "followers-only and direct posts never leave their
audience": every path that serves an object or an activity (fetch by id, C2S,
later the API) asks :func:`may_see`. Outsiders get the same answer as for a
missing object, so existence does not leak.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.guardians import children_of
from content.moderation.state import is_suspended
from federation.constants import PUBLIC, is_public
from storage.models import (
    Actor,
    ActorModeration,
    ActorType,
    Block,
    CommunityMember,
    ContentObject,
    Follow,
    FollowState,
    Visibility,
)
from storage.repos.peers import members_only_hosts

OPEN_VISIBILITIES = frozenset({Visibility.PUBLIC, Visibility.UNLISTED})


def addressing_for(
    visibility: Visibility, author: Actor, addressees: Iterable[str]
) -> tuple[list[str], list[str]]:
    """``(to, cc)`` for a post by ``author``; ``addressees`` are mentioned/replied-to actors."""
    followers = author.followers_url or f"{author.ap_id}/followers"
    others = [a for a in dict.fromkeys(addressees) if a != author.ap_id]
    if visibility == Visibility.PUBLIC:
        return [PUBLIC], [followers, *others]
    if visibility == Visibility.UNLISTED:
        return [followers], [PUBLIC, *others]
    if visibility in (Visibility.FOLLOWERS, Visibility.LOCAL):
        return [followers], others
    return others, []


def draft_addressing(
    visibility: Visibility, author: Actor, community: str | None, members_only: bool
) -> tuple[Visibility, list[str], list[str]]:
    """The visibility and ``(to, cc)`` of a new material or event by ``author``, perhaps
    posted to a community (its Group actor's id; the Group announces it, FEP-1b12): a
    members-only one is addressed to the community alone (direct), so that no follower
    of the author's sees it; else it goes as ``visibility`` says, the community among
    the addressees."""
    if members_only:
        visibility = Visibility.DIRECT
    to, cc = addressing_for(visibility, author, [community] if community else [])
    return visibility, to, cc


def visibility_from_addressing(
    to: Iterable[str], cc: Iterable[str], followers_url: str | None
) -> Visibility:
    """What a C2S client meant: Public in to, Public in cc, followers, else direct."""
    to_list, cc_list = list(to), list(cc)
    if any(is_public(a) for a in to_list):
        return Visibility.PUBLIC
    if any(is_public(a) for a in cc_list):
        return Visibility.UNLISTED
    if followers_url and followers_url in (*to_list, *cc_list):
        return Visibility.FOLLOWERS
    return Visibility.DIRECT


async def suspended_among(session: AsyncSession, actor_ids: Iterable[int]) -> set[int]:
    """Which of these actors are suspended, in one query.

    A page of posts asks this once for all its authors and hands each answer
    to :func:`may_read` (``suspended=``), rather than one query a post.
    """
    wanted = set(actor_ids)
    if not wanted:
        return set()
    rows = await session.exec(
        select(ActorModeration.actor_id).where(
            col(ActorModeration.actor_id).in_(wanted),
            col(ActorModeration.suspended_at).is_not(None),
        )
    )
    return set(rows.all())


def is_open(obj: ContentObject) -> bool:
    """Readable by anyone: public or unlisted (deleted or not: callers check tombstones)."""
    return obj.visibility in OPEN_VISIBILITIES


async def follows(session: AsyncSession, follower: Actor, followee: Actor) -> bool:
    row = (
        await session.exec(
            select(Follow.id).where(
                Follow.follower_id == follower.id,
                Follow.followee_id == followee.id,
                Follow.state == FollowState.ACCEPTED,
            )
        )
    ).first()
    return row is not None


async def _blocked(session: AsyncSession, author: Actor, viewer: Actor) -> bool:
    row = (
        await session.exec(
            select(Block.id).where(Block.actor_id == author.id, Block.target_id == viewer.id)
        )
    ).first()
    return row is not None


async def may_see(
    session: AsyncSession,
    *,
    author: Actor,
    addressed: Iterable[str],
    viewer: Actor | None,
    followers_only: bool = False,
) -> bool:
    """May ``viewer`` read something ``author`` addressed to ``addressed`` (not publicly)?

    The author always may; an addressed actor may; an accepted follower may
    when the followers collection is addressed (or ``followers_only`` says it
    was). A pending or rejected follow is not enough, and an actor the author
    blocks sees nothing.
    """
    if viewer is None or viewer.id is None:
        return False
    if viewer.id == author.id:
        return True
    if await _blocked(session, author, viewer):
        return False
    audience = set(addressed)
    if viewer.ap_id in audience:
        return True
    to_followers = followers_only or (author.followers_url in audience)
    if to_followers and await follows(session, viewer, author):
        return True
    return await member_of_addressed_community(session, viewer, audience)


async def member_of_addressed_community(
    session: AsyncSession, viewer: Actor, audience: set[str]
) -> bool:
    """Is ``viewer`` a member (or moderator) of a community the post addresses?

    A post to a community (FEP-1b12) addresses the ``Group`` or its members
    collection; every accepted member may read it, on the community's node
    and on the member's own (where the Follow row says they were accepted).
    A remote member reads it only from a server known to keep such posts
    for members (``peer_software``): a Mastodon member's signed fetch would
    hand the post to a server that shows it as it likes.
    """
    if not viewer.local and viewer.domain not in await members_only_hosts(session, [viewer.domain]):
        return False
    addressed = or_(col(Actor.ap_id).in_(audience), col(Actor.followers_url).in_(audience))
    followed = (
        select(Follow.id)
        .join(Actor, col(Actor.id) == Follow.followee_id)
        .where(
            Follow.follower_id == viewer.id,
            Follow.state == FollowState.ACCEPTED,
            Actor.type == ActorType.GROUP,
            addressed,
        )
    )
    if (await session.exec(followed)).first() is not None:
        return True
    moderates = (
        select(CommunityMember.id)
        .join(Actor, col(Actor.id) == CommunityMember.community_id)
        .where(CommunityMember.actor_id == viewer.id, addressed)
    )
    return (await session.exec(moderates)).first() is not None


async def _guardian_reads(
    session: AsyncSession, author: Actor, addressed: Iterable[str], viewer: Actor
) -> bool:
    """A parent reads (only reads) what their linked child wrote or was sent."""
    if not viewer.local or viewer.id is None:
        return False
    children = await children_of(session, viewer.id)
    if not children:
        return False
    audience = set(addressed)
    return any(child.id == author.id or child.ap_id in audience for child in children)


async def may_read(
    session: AsyncSession,
    obj: ContentObject,
    author: Actor,
    viewer: Actor | None,
    *,
    guardian: bool = True,
    suspended: bool | None = None,
) -> bool:
    """May ``viewer`` (None: anonymous) read ``obj``?

    ``guardian=False`` asks whether the viewer may *act* on it (reply, like,
    boost, vote): a parent reads their child's posts but never acts on them.
    ``suspended`` is the answer to "is the author suspended?" when the caller
    already has it (a page asks :func:`suspended_among` once for its authors);
    None asks the database.

    A ``local`` post is for this node's people only: a remote viewer (a
    signed fetch from another node) is never allowed one, whoever it is.
    """
    if suspended is None:
        suspended = await is_suspended(session, author.id)
    if suspended:
        return False  # a suspended account's content is hidden from everyone
    if is_open(obj):
        return True
    local_only = obj.visibility == Visibility.LOCAL
    if local_only and (viewer is None or not viewer.local):
        return False
    addressed = [*obj.to, *obj.cc]
    if await may_see(
        session,
        author=author,
        addressed=addressed,
        viewer=viewer,
        followers_only=obj.visibility in (Visibility.FOLLOWERS, Visibility.LOCAL),
    ):
        return True
    return (
        guardian
        and viewer is not None
        and await _guardian_reads(session, author, addressed, viewer)
    )
