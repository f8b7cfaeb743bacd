"""HTTP for posts: the C2S outbox, an actor's collections, and objects and activities at their ids.

Thin routes: authenticate → parse → one domain call → render. Two ways to
say who is asking: a bearer token (the owner's client) and an HTTP-signed
GET (another server fetching for one of its users). Anything not public is
answered 404 to everyone outside its audience, including unsigned and
wrongly signed requests, exactly as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.context import NodeContext
from actors.http import ActivityResponse
from actors.local import local_actor_by_name
from actors.remote import actor_by_ap_id
from actors.roles import INSTANCE_ACTOR_USERNAME
from actors.tokens import account_for_token
from content import c2s, collections
from content.activity_view import ActivityView
from content.as2 import object_to_as2, tombstone_to_as2
from content.communities.access import members_visible_to
from content.communities.manage import community_of, moderators
from content.lookup import find_activity, find_object, may_read_activity
from content.moderation.state import is_suspended
from content.visibility import is_open, may_read
from federation.errors import FederationError
from federation.jsonld import canonical_context
from federation.limits import read_limited, require_activity_media_type
from federation.signatures import verify_request
from federation.strict_json import loads_object
from storage.models import Actor, ActorType

PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Accept, Authorization, Signature"}


GraphBuilder = Callable[[AsyncSession, Actor, collections.PageRequest], Awaitable[dict[str, Any]]]


class AuthError(FederationError):
    status = 401


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


def _error(status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="staffroom"'} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _not_found() -> Response:
    return _error(404, "not found")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _token_actor(session: AsyncSession, token: str, scope: str) -> Actor:
    """The actor behind a bearer token: 401 for a bad token, 403 without ``scope``."""
    found = await account_for_token(session, token)
    if found is None:
        raise AuthError("the access token is invalid")
    account, scopes = found
    if scope not in scopes:
        raise FederationError(f"the token lacks the {scope!r} scope", status=403)
    actor = await session.get(Actor, account.actor_id)
    if actor is None:
        raise AuthError("the access token is invalid")
    return actor


async def _owner(session: AsyncSession, request: Request, scope: str) -> Actor:
    """The local actor named in the path, who must be the token's own actor."""
    token = _bearer(request)
    if token is None:
        raise AuthError("a bearer token is required")
    me = await _token_actor(session, token, scope)
    actor = await local_actor_by_name(session, request.path_params["username"])
    if actor is None:
        raise FederationError("no such actor", status=404)
    if actor.id != me.id:
        raise FederationError("this is not your outbox", status=403)
    return actor


def _target(request: Request) -> str:
    """The request target as sent: signatures cover the raw, undecoded path."""
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


async def _viewer(request: Request, node: NodeContext) -> Actor | None:
    """Who is reading: a token's actor, a verified signer, or nobody (None).

    A bad token or a bad signature is simply nobody: the answer for a
    private object is then the same 404 an absent object gets.
    """
    token = _bearer(request)
    if token is not None:
        async with node.sessions() as session:
            try:
                return await _token_actor(session, token, "read")
            except FederationError:
                return None
    headers = request.headers
    signed_in_authorization = headers.get("authorization", "")[:10].lower() == "signature "
    if not ("signature" in headers or "signature-input" in headers or signed_in_authorization):
        return None
    try:
        verified = await verify_request(
            request.method,
            _target(request),
            headers,
            None,
            node.keys.resolve,
            scheme=node.config.scheme,
            authority=node.config.domain,
        )
    except (FederationError, ValueError):
        return None
    async with node.sessions() as session:
        return await actor_by_ap_id(session, verified.owner)


def _page_request(request: Request) -> collections.PageRequest:
    return collections.PageRequest.parse(dict(request.query_params))


async def _named_actor(session: AsyncSession, request: Request) -> Actor | None:
    actor = await local_actor_by_name(session, request.path_params["username"])
    if actor is None or actor.gone or actor.username.lower() == INSTANCE_ACTOR_USERNAME:
        return None  # an erased account's collections are gone with it
    return actor


async def outbox_get(request: Request) -> Response:
    node = _node(request)
    async with node.sessions() as session:
        actor = await _named_actor(session, request)
        if actor is None:
            return _not_found()
        doc = await collections.outbox(session, actor, _page_request(request), node.config)
    return ActivityResponse(doc)


async def outbox_post(request: Request) -> Response:
    node = _node(request)
    try:
        async with node.sessions() as session:
            actor = await _owner(session, request, "write")
            require_activity_media_type(request.headers.get("content-type"))
            body = await read_limited(
                request.headers, request.stream(), node.config.max_inbox_bytes
            )
            activity = await c2s.submit(session, node, actor, loads_object(body))
            await session.commit()
    except FederationError as exc:
        return _error(exc.status, exc.reason)
    return ActivityResponse(activity.body, status_code=201, headers={"Location": activity.ap_id})


async def inbox_get(request: Request) -> Response:
    node = _node(request)
    try:
        async with node.sessions() as session:
            actor = await _owner(session, request, "read")
            doc = await collections.inbox_page(session, actor, _page_request(request), node.config)
    except FederationError as exc:
        return _error(exc.status, exc.reason)
    return ActivityResponse(doc, headers=PRIVATE)


async def followers_get(request: Request) -> Response:
    node = _node(request)
    async with node.sessions() as session:
        actor = await _named_actor(session, request)
    if actor is not None and actor.type == ActorType.GROUP:
        # A members-only community's members are for its members' eyes.
        viewer = await _viewer(request, node)
        async with node.sessions() as session:
            if not await members_visible_to(session, actor, viewer):
                return _not_found()
    return await _graph(request, collections.followers)


async def moderators_get(request: Request) -> Response:
    """A community's owner and moderators, as Lemmy publishes them (public, like Lemmy's)."""
    node = _node(request)
    async with node.sessions() as session:
        actor = await _named_actor(session, request)
        found = await community_of(session, actor)
        if actor is None or found is None:
            return _not_found()
        items = [m.ap_id for m in await moderators(session, actor)]
    doc = {
        "@context": canonical_context(),
        "id": f"{actor.ap_id}/moderators",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
    return ActivityResponse(doc)


async def following_get(request: Request) -> Response:
    return await _graph(request, collections.following)


async def _graph(request: Request, build: GraphBuilder) -> Response:
    node = _node(request)
    async with node.sessions() as session:
        actor = await _named_actor(session, request)
        if actor is None:
            return _not_found()
        doc = await build(session, actor, _page_request(request))
    return ActivityResponse(doc)


async def featured_get(request: Request) -> Response:
    node = _node(request)
    async with node.sessions() as session:
        actor = await _named_actor(session, request)
        if actor is None:
            return _not_found()
        doc = await collections.featured(session, actor, node.config)
    return ActivityResponse(doc)


def _numeric_id(request: Request) -> int | None:
    raw = request.path_params["id"]
    return int(raw) if raw.isdigit() and len(raw) < 20 else None


async def object_get(request: Request) -> Response:
    node = _node(request)
    object_id = _numeric_id(request)
    if object_id is None:
        return _not_found()
    async with node.sessions() as session:
        found = await find_object(session, node.config, request.path_params["username"], object_id)
    if found is None:
        return _not_found()
    obj, author = found
    headers = {"Vary": "Accept"}
    async with node.sessions() as session:
        if await is_suspended(session, author.id):
            return _not_found()  # a suspended account's content is hidden
    if not is_open(obj):
        viewer = await _viewer(request, node)
        async with node.sessions() as session:
            if not await may_read(session, obj, author, viewer):
                return _not_found()
        headers = PRIVATE
    if obj.deleted_at is not None:
        return ActivityResponse(tombstone_to_as2(obj), status_code=410, headers=headers)
    return ActivityResponse(object_to_as2(obj, author, node.config), headers=headers)


async def activity_get(request: Request) -> Response:
    node = _node(request)
    activity_id = _numeric_id(request)
    if activity_id is None:
        return _not_found()
    async with node.sessions() as session:
        found = await find_activity(
            session, node.config, request.path_params["username"], activity_id
        )
    if found is None:
        return _not_found()
    activity, author = found
    headers = {"Vary": "Accept"}
    viewer = None
    if not activity.public:
        viewer = await _viewer(request, node)
        async with node.sessions() as session:
            if not await may_read_activity(session, activity, author, viewer):
                return _not_found()
        headers = PRIVATE
    async with node.sessions() as session:
        (doc,) = await ActivityView(session, node.config, viewer).render_all([activity.body])
    return ActivityResponse({"@context": canonical_context(), **doc}, headers=headers)


routes = [
    Route("/users/{username}/outbox", outbox_get, methods=["GET"]),
    Route("/users/{username}/outbox", outbox_post, methods=["POST"]),
    Route("/users/{username}/inbox", inbox_get, methods=["GET"]),
    Route("/users/{username}/followers", followers_get, methods=["GET"]),
    Route("/users/{username}/following", following_get, methods=["GET"]),
    Route("/users/{username}/moderators", moderators_get, methods=["GET"]),
    Route("/users/{username}/collections/featured", featured_get, methods=["GET"]),
    Route("/users/{username}/statuses/{id}", object_get, methods=["GET"]),
    Route("/users/{username}/activities/{id}", activity_get, methods=["GET"]),
]
