"""``/api/v1/staffroom/communities/:id/...``: what the owner and moderators do.

All need ``write:communities`` (listing requests ``read:communities``) and
a moderator's role in a community of this node; anyone else gets 403.

* ``GET requests``; ``POST requests/:account_id/authorize|reject``: join requests.
* ``POST members/:account_id/remove``: a member leaves by force (``Reject``).
* ``POST bans`` (``account_id``, ``reason``); ``DELETE bans/:account_id``.
* ``POST invitations`` (``account_id`` or ``uri``): for by-invitation communities.
* ``POST moderators`` (``account_id``, a local account); ``DELETE moderators/:account_id``.
* ``POST statuses/:status_id/delete|pin|unpin|lock|unlock``: a post of the community.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from actors.remote import actor_by_ap_id
from api.acting import Acting, act
from api.auth import require_user
from api.communities.communities import READ, WRITE, entity, moderated_community
from api.entities.account import account_entities
from api.errors import ApiError
from api.params import Params
from api.routing import api_routes
from api.status_support import NOT_FOUND, node_of, path_id
from content.communities import manage, membership, moderation
from content.communities.manage import CommunityError
from storage.models import Actor, ContentObject


async def _moderated(session: AsyncSession, request: Request, moderator: Actor) -> Actor:
    return (await moderated_community(session, request, moderator))[0]


def _community(request: Request) -> Callable[[Acting], Awaitable[Actor]]:
    """:func:`_moderated` as :func:`api.acting.act` finds it."""

    async def find(acting: Acting) -> Actor:
        return await _moderated(acting.session, request, acting.actor)

    return find


async def _account(session: AsyncSession, raw: object) -> Actor:
    value = str(raw or "")
    found = await session.get(Actor, int(value)) if value.isdigit() and len(value) < 20 else None
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return found


async def requests(request: Request) -> Response:
    user = await require_user(request, READ)
    node = node_of(request)
    async with node.sessions() as session:
        actor = await _moderated(session, request, user.actor)
        waiting = await membership.pending(session, actor)
        return JSONResponse(await account_entities(session, node, waiting))


#: What a moderator does to an account: (session, node, community, account, params).
Change = Callable[[AsyncSession, NodeContext, Actor, Actor, Params], Awaitable[object]]


async def _on_account(request: Request, change: Change, *, in_path: bool = True) -> Response:
    """A moderator's ``change`` to the account in the path (or the ``account_id``
    parameter); answers with the community as it now is."""

    async def do(acting: Acting, community: Actor) -> Actor:
        params = await acting.params()
        raw = request.path_params.get("account_id") if in_path else params.get("account_id")
        target = await _account(acting.session, raw)
        await change(acting.session, acting.node, community, target, params)
        return community

    return await act(request, WRITE, _community(request), do, _entity, (CommunityError,))


async def _entity(acting: Acting, community: Actor) -> dict[str, Any]:
    return await entity(acting.session, acting.node, community, acting.actor)


async def authorize(request: Request) -> Response:
    return await _on_account(
        request, lambda s, node, c, target, _p: membership.approve_request(s, node, c, target)
    )


async def reject(request: Request) -> Response:
    return await _on_account(
        request, lambda s, node, c, target, _p: membership.reject_request(s, node, c, target)
    )


async def _remove(
    session: AsyncSession, node: NodeContext, community: Actor, target: Actor, _p: Params
) -> None:
    if not await membership.remove_member(session, node, community, target):
        raise ApiError(404, NOT_FOUND)


async def remove(request: Request) -> Response:
    return await _on_account(request, _remove)


async def ban(request: Request) -> Response:
    return await _on_account(
        request,
        lambda s, node, c, target, p: membership.ban(
            s, node, c, target, str(p.get("reason") or "")
        ),
        in_path=False,
    )


async def unban(request: Request) -> Response:
    return await _on_account(request, lambda s, _n, c, target, _p: membership.unban(s, c, target))


async def _add_moderator(
    session: AsyncSession, _node: NodeContext, community: Actor, target: Actor, _p: Params
) -> None:
    if not target.local:
        raise ApiError(422, "Validation failed: moderators are accounts of this node")
    await manage.add_moderator(session, community, target)


async def add_moderator(request: Request) -> Response:
    return await _on_account(request, _add_moderator, in_path=False)


async def remove_moderator(request: Request) -> Response:
    return await _on_account(
        request, lambda s, _n, c, target, _p: manage.remove_moderator(s, c, target)
    )


async def invite(request: Request) -> Response:
    """By ``account_id``, or by ``uri`` (an account not yet known here)."""

    async def do(acting: Acting, community: Actor) -> Actor:
        params = await acting.params()
        if params.get("uri"):
            target, uri = None, str(params.get("uri"))
        else:
            target = await _account(acting.session, params.get("account_id"))
            uri = target.ap_id
        await membership.invite(acting.session, community, uri)
        invited = target or await actor_by_ap_id(acting.session, uri)
        if invited is not None:
            await _approve_if_waiting(acting.session, acting.node, community, invited)
        return community

    return await act(request, WRITE, _community(request), do, _entity, (CommunityError,))


async def _approve_if_waiting(
    session: AsyncSession, node: NodeContext, actor: Actor, invited: Actor
) -> None:
    if invited.ap_id in {a.ap_id for a in await membership.pending(session, actor)}:
        await membership.approve_request(session, node, actor, invited)


async def status_action(request: Request) -> Response:
    verb = request.path_params["action"]
    if verb not in ("delete", "pin", "unpin", "lock", "unlock"):
        raise ApiError(404, NOT_FOUND)

    async def do(acting: Acting, community: Actor) -> dict[str, Any]:
        session, node, moderator = acting.session, acting.node, acting.actor
        obj = await session.get(ContentObject, path_id(request, "status_id"))
        if obj is None:
            raise ApiError(404, NOT_FOUND)
        if verb == "delete":
            await moderation.moderate_delete(session, node, community, moderator, obj)
        elif verb in ("pin", "unpin"):
            await moderation.set_pinned(session, node, community, moderator, obj, verb == "pin")
        else:
            await moderation.set_locked(session, community, moderator, obj, verb == "lock")
        return {"id": str(obj.id), "uri": obj.ap_id, "action": verb}

    return await act(request, WRITE, _community(request), do, _as_is, (CommunityError,))


async def _as_is(_acting: Acting, body: dict[str, Any]) -> dict[str, Any]:
    return body


BASE = "/api/v1/staffroom/communities/{id}"
routes = api_routes(
    (f"{BASE}/requests", requests, ["GET"]),
    (f"{BASE}/requests/{{account_id}}/authorize", authorize, ["POST"]),
    (f"{BASE}/requests/{{account_id}}/reject", reject, ["POST"]),
    (f"{BASE}/members/{{account_id}}/remove", remove, ["POST"]),
    (f"{BASE}/bans", ban, ["POST"]),
    (f"{BASE}/bans/{{account_id}}", unban, ["DELETE"]),
    (f"{BASE}/invitations", invite, ["POST"]),
    (f"{BASE}/moderators", add_moderator, ["POST"]),
    (f"{BASE}/moderators/{{account_id}}", remove_moderator, ["DELETE"]),
    (f"{BASE}/statuses/{{status_id}}/{{action}}", status_action, ["POST"]),
)
