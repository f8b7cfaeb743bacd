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

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.remote import actor_by_ap_id
from api.auth import CurrentUser, require_user
from api.communities.communities import READ, WRITE, entity, local_community
from api.entities.account import account_entities
from api.errors import ApiError
from api.params import read_params
from api.routing import api_routes
from api.status_support import NOT_FOUND, node_of, path_id, refused
from content.communities import manage, membership, moderation
from content.communities.manage import CommunityError
from storage.models import Actor, ContentObject


async def _moderated(
    session: AsyncSession, request: Request, user: CurrentUser
) -> tuple[Actor, object]:
    actor, settings = await local_community(session, request)
    if not await manage.is_moderator(session, actor, user.actor):
        raise ApiError(403, "This action is not allowed")
    return actor, settings


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
        actor, _ = await _moderated(session, request, user)
        waiting = await membership.pending(session, actor)
        return JSONResponse(await account_entities(session, node, waiting))


async def _act(request: Request, verb: str) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        actor, _ = await _moderated(session, request, user)
        try:
            if verb in ("authorize", "reject", "remove", "unban", "moderator-"):
                target = await _account(session, request.path_params.get("account_id"))
            elif verb == "invite" and params.get("uri"):
                target = None
            else:
                target = await _account(session, params.get("account_id"))
            if verb == "authorize":
                assert target is not None
                await membership.approve_request(session, node, actor, target)
            elif verb == "reject":
                assert target is not None
                await membership.reject_request(session, node, actor, target)
            elif verb == "remove":
                assert target is not None
                if not await membership.remove_member(session, node, actor, target):
                    raise ApiError(404, NOT_FOUND)
            elif verb == "ban":
                assert target is not None
                reason = str(params.get("reason") or "")
                await membership.ban(session, node, actor, target, reason)
            elif verb == "unban":
                assert target is not None
                await membership.unban(session, actor, target)
            elif verb == "invite":
                uri = target.ap_id if target is not None else str(params.get("uri"))
                await membership.invite(session, actor, uri)
                invited = target or await actor_by_ap_id(session, uri)
                if invited is not None:
                    await _approve_if_waiting(session, node, actor, invited)
            elif verb == "moderator+":
                assert target is not None and target.local
                await manage.add_moderator(session, actor, target)
            elif verb == "moderator-":
                assert target is not None
                await manage.remove_moderator(session, actor, target)
        except CommunityError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await entity(session, node, actor, user.actor))


async def _approve_if_waiting(
    session: AsyncSession, node: object, actor: Actor, invited: Actor
) -> None:
    if invited.ap_id in {a.ap_id for a in await membership.pending(session, actor)}:
        await membership.approve_request(session, node, actor, invited)  # type: ignore[arg-type]


async def authorize(request: Request) -> Response:
    return await _act(request, "authorize")


async def reject(request: Request) -> Response:
    return await _act(request, "reject")


async def remove(request: Request) -> Response:
    return await _act(request, "remove")


async def ban(request: Request) -> Response:
    return await _act(request, "ban")


async def unban(request: Request) -> Response:
    return await _act(request, "unban")


async def invite(request: Request) -> Response:
    return await _act(request, "invite")


async def add_moderator(request: Request) -> Response:
    return await _act(request, "moderator+")


async def remove_moderator(request: Request) -> Response:
    return await _act(request, "moderator-")


async def _status(request: Request, verb: str) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        actor, _ = await _moderated(session, request, user)
        obj = await session.get(ContentObject, path_id(request, "status_id"))
        if obj is None:
            raise ApiError(404, NOT_FOUND)
        try:
            if verb == "delete":
                await moderation.moderate_delete(session, node, actor, user.actor, obj)
            elif verb in ("pin", "unpin"):
                await moderation.set_pinned(session, node, actor, user.actor, obj, verb == "pin")
            else:
                await moderation.set_locked(session, actor, user.actor, obj, verb == "lock")
        except CommunityError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse({"id": str(obj.id), "uri": obj.ap_id, "action": verb})


async def status_action(request: Request) -> Response:
    verb = request.path_params["action"]
    if verb not in ("delete", "pin", "unpin", "lock", "unlock"):
        raise ApiError(404, NOT_FOUND)
    return await _status(request, verb)


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
