"""``/api/v1/staffroom/communities``: create, find, read and change communities.

* ``POST`` (``write:communities``): ``name``, ``display_name``,
  ``description``, ``rules``, ``subjects[]``, ``level``, ``kind``,
  ``join_policy`` (open, approval, invitation), ``posting_policy``
  (members, moderators), ``visibility`` (public, members) → the community;
  the caller owns it.
* ``GET`` (token optional, ``read:communities``): the directory: the node's
  communities and the remote ones its members joined, filtered by
  ``subject``, ``level``, ``kind``, searched by ``q`` (name).
* ``GET /:id``; ``PUT``/``PATCH /:id`` (moderators): the creation fields but
  ``name`` and ``visibility``.
* ``GET /:id/members``: the members (a members-only community's: members only).

Joining and leaving are the Mastodon follow and unfollow of the community's
account (``group: true``); posting is mentioning it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from actors.graph import find_follow
from api.acting import Acting, act, nothing
from api.auth import optional_scope
from api.entities.account import account_entities
from api.entities.community import community_entity, membership_of
from api.errors import ApiError
from api.params import Params, read_params
from api.routing import api_routes
from api.status_support import NOT_FOUND, node_of, path_id
from content.communities import manage
from content.communities.access import members_visible_to
from content.communities.directory import directory, members_count
from content.communities.manage import CommunityDraft, CommunityError
from content.communities.membership import is_banned, members
from storage.models import Actor, ActorType, Community

READ, WRITE = "read:communities", "write:communities"


async def entity(
    session: AsyncSession, node: NodeContext, actor: Actor, viewer: Actor | None
) -> dict[str, Any]:
    settings = await session.get(Community, actor.id) if actor.local else None
    account = (await account_entities(session, node, [actor]))[0]
    follow = await find_follow(session, viewer.id, actor.id) if viewer is not None else None
    banned = viewer is not None and settings is not None and await is_banned(session, actor, viewer)
    return community_entity(
        actor,
        settings,
        account,
        role=await manage.role_of(session, actor, viewer) if settings is not None else None,
        membership=membership_of(follow.state if follow else None, banned),
        members_count=await members_count(session, actor, viewer),
    )


async def community_actor(session: AsyncSession, request: Request) -> Actor:
    actor = await session.get(Actor, path_id(request))
    if actor is None or actor.type != ActorType.GROUP or actor.gone:
        raise ApiError(404, NOT_FOUND)
    return actor


async def local_community(session: AsyncSession, request: Request) -> tuple[Actor, Community]:
    actor = await community_actor(session, request)
    settings = await manage.community_of(session, actor)
    if settings is None:
        raise ApiError(404, NOT_FOUND)
    return actor, settings


async def moderated_community(
    session: AsyncSession, request: Request, moderator: Actor
) -> tuple[Actor, Community]:
    """The community in the path: one of this node's, moderated by ``moderator`` (else 403)."""
    actor, settings = await local_community(session, request)
    if not await manage.is_moderator(session, actor, moderator):
        raise ApiError(403, "This action is not allowed")
    return actor, settings


def _text(params: Params, name: str) -> str | None:
    value = params.get(name)
    return value.strip() if isinstance(value, str) else None


async def create(request: Request) -> Response:
    async def do(acting: Acting, _nothing: None) -> Actor:
        params = await acting.params()
        draft = CommunityDraft(
            name=_text(params, "name") or "",
            display_name=_text(params, "display_name") or "",
            description=_text(params, "description") or "",
            rules=_text(params, "rules") or "",
            subjects=params.get_list("subjects[]") or params.get_list("subjects"),
            level=_text(params, "level") or "",
            kind=_text(params, "kind") or "",
            join_policy=_text(params, "join_policy") or "open",
            posting_policy=_text(params, "posting_policy") or "members",
            visibility=_text(params, "visibility") or "public",
        )
        config = acting.node.config
        actor, _settings = await manage.create_community(
            acting.session, config, draft, acting.actor
        )
        return actor

    return await act(request, WRITE, nothing, do, _rendered, (CommunityError,))


async def _rendered(acting: Acting, actor: Actor) -> dict[str, Any]:
    return await entity(acting.session, acting.node, actor, acting.actor)


async def index(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal is not None else None
    params = await read_params(request)
    subject, level, kind = _text(params, "subject"), _text(params, "level"), _text(params, "kind")
    query = _text(params, "q")
    node = node_of(request)
    async with node.sessions() as session:
        found = await directory(
            session, viewer, subject=subject, level=level, kind=kind, query=query, limit=80
        )
        return JSONResponse([await entity(session, node, e.actor, viewer) for e in found])


async def show(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    node = node_of(request)
    async with node.sessions() as session:
        actor = await community_actor(session, request)
        return JSONResponse(
            await entity(session, node, actor, principal.actor if principal else None)
        )


async def update(request: Request) -> Response:
    """The creation fields but ``name`` and ``visibility`` (moderators)."""

    async def find(acting: Acting) -> tuple[Actor, Community]:
        return await moderated_community(acting.session, request, acting.actor)

    async def do(acting: Acting, found: tuple[Actor, Community]) -> Actor:
        params = await acting.params()
        subjects = params.get_list("subjects[]") or params.get_list("subjects")
        await manage.update_community(
            acting.session,
            *found,
            display_name=_text(params, "display_name"),
            description=_text(params, "description"),
            rules=_text(params, "rules"),
            subjects=subjects or None,
            level=_text(params, "level"),
            kind=_text(params, "kind"),
            join_policy=_text(params, "join_policy"),
            posting_policy=_text(params, "posting_policy"),
        )
        return found[0]

    return await act(request, WRITE, find, do, _rendered, (CommunityError,))


async def list_members(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal is not None else None
    node = node_of(request)
    async with node.sessions() as session:
        actor = await community_actor(session, request)
        if not await members_visible_to(session, actor, viewer):
            raise ApiError(404, NOT_FOUND)
        return JSONResponse(await account_entities(session, node, await members(session, actor)))


routes = api_routes(
    ("/api/v1/staffroom/communities", create, ["POST"]),
    ("/api/v1/staffroom/communities", index, ["GET"]),
    ("/api/v1/staffroom/communities/{id}", show, ["GET"]),
    ("/api/v1/staffroom/communities/{id}", update, ["PUT", "PATCH"]),
    ("/api/v1/staffroom/communities/{id}/members", list_members, ["GET"]),
)
