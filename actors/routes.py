"""Discovery and actor documents: WebFinger, host-meta, NodeInfo, actors, profiles."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors import registration
from actors.as2 import actor_to_as2, actor_tombstone, group_to_as2
from actors.context import NodeContext
from actors.http import ActivityResponse, error
from actors.local import local_actor_by_name
from actors.minors import hidden_from_other_nodes
from actors.remote import actor_by_ap_id
from actors.roles import INSTANCE_ACTOR_USERNAME
from actors.usage import usage
from federation import nodeinfo, webfinger
from federation.constants import JRD_JSON, XRD_XML
from storage.models import Actor, ActorType, Community

CORS = {"Access-Control-Allow-Origin": "*"}


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def _find_resource(node: NodeContext, raw: str | None) -> Actor | None:
    resource = webfinger.parse_resource(raw)
    async with node.sessions() as session:
        if isinstance(resource, webfinger.AcctResource):
            if resource.host != node.config.domain:
                return None
            actor = await local_actor_by_name(session, resource.username)
        else:
            actor = await actor_by_ap_id(session, resource.url)
            if actor is None:
                # The profile-page URL is an alias too.
                prefix = node.config.base_url + "/@"
                if resource.url.startswith(prefix):
                    actor = await local_actor_by_name(session, resource.url[len(prefix) :])
        if actor is None or not actor.local or actor.gone:
            return None
        if await hidden_from_other_nodes(session, actor):
            return None
        return actor


async def webfinger_endpoint(request: Request) -> Response:
    node = _node(request)
    try:
        actor = await _find_resource(node, request.query_params.get("resource"))
    except webfinger.WebFingerError as exc:
        return JSONResponse({"error": exc.reason}, status_code=400, headers=CORS)
    if actor is None:
        return JSONResponse({"error": "no such account"}, status_code=404, headers=CORS)
    aliases = [actor.ap_id] + ([actor.url] if actor.url else [])
    body = webfinger.jrd(
        f"acct:{actor.username}@{node.config.domain}",
        actor.ap_id,
        actor.url,
        aliases,
        f"{node.config.base_url}/authorize_interaction?uri={{uri}}",
    )
    return JSONResponse(body, media_type=JRD_JSON, headers=CORS)


async def host_meta(request: Request) -> Response:
    base = _node(request).config.base_url
    if "json" in request.headers.get("accept", "") or request.url.path.endswith(".json"):
        return JSONResponse(webfinger.host_meta_json(base), media_type=JRD_JSON, headers=CORS)
    return Response(webfinger.host_meta_xml(base), media_type=XRD_XML, headers=CORS)


async def nodeinfo_discovery(request: Request) -> Response:
    return JSONResponse(nodeinfo.discovery(_node(request).config.base_url), headers=CORS)


async def nodeinfo_document(request: Request) -> Response:
    node = _node(request)
    version = request.path_params["version"]
    if version not in nodeinfo.VERSIONS:
        return error(404, "unknown NodeInfo version")
    async with node.sessions() as session:
        figures = await usage(session)
        open_registrations = await registration.is_open(session, node.config)
    body = nodeinfo.document(
        version,
        software_version=node.config.software_version,
        usage=figures,
        open_registrations=open_registrations,
        node_name=node.config.node_name,
        node_description=node.config.node_description,
    )
    media = f'application/json; profile="{nodeinfo.profile_url(version)}#"'
    return JSONResponse(body, media_type=media, headers=CORS)


async def _actor_response(request: Request, actor: Actor | None) -> Response:
    node = _node(request)
    if actor is None:
        return error(404, "no such actor")
    if actor.gone and actor.local:
        # An erased account: its tombstone, as for a deleted post (Mastodon answers 410 too).
        return ActivityResponse(actor_tombstone(actor), status_code=410, headers={"Vary": "Accept"})
    # A browser gets the profile page: web.public answers it before this route.
    doc = actor_to_as2(actor, node.config)
    if actor.type == ActorType.GROUP:
        async with node.sessions() as session:
            community = await session.get(Community, actor.id)
        if community is not None:
            doc = group_to_as2(doc, actor, community)
    return ActivityResponse(doc, headers={"Vary": "Accept"})


async def actor_document(request: Request) -> Response:
    node = _node(request)
    username = request.path_params["username"]
    async with node.sessions() as session:
        actor = await local_actor_by_name(session, username)
        if actor is not None and await hidden_from_other_nodes(session, actor):
            actor = None  # nothing of a student leaves the node
    if actor is not None and actor.username.lower() == INSTANCE_ACTOR_USERNAME:
        actor = None  # the instance actor lives at /actor only
    return await _actor_response(request, actor)


async def instance_actor_document(request: Request) -> Response:
    node = _node(request)
    async with node.sessions() as session:
        actor = await local_actor_by_name(session, INSTANCE_ACTOR_USERNAME)
    return await _actor_response(request, actor)


async def health(_request: Request) -> Response:
    return JSONResponse({"ok": True})


routes = [
    Route("/.well-known/webfinger", webfinger_endpoint, methods=["GET"]),
    Route("/.well-known/host-meta", host_meta, methods=["GET"]),
    Route("/.well-known/host-meta.json", host_meta, methods=["GET"]),
    Route("/.well-known/nodeinfo", nodeinfo_discovery, methods=["GET"]),
    Route("/nodeinfo/{version}", nodeinfo_document, methods=["GET"]),
    Route("/actor", instance_actor_document, methods=["GET"]),
    Route("/users/{username}", actor_document, methods=["GET"]),
    Route("/healthz", health, methods=["GET"]),
]
