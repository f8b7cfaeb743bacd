"""The Starlette application factory and its lifespan (engine, client, workers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import actors.routes
import api.account_routes
import api.admin
import api.communities
import api.errors
import api.events
import api.materials
import api.oauth
import api.status_routes
import api.streaming
import api.v1.conversations
import api.v1.directory
import api.v1.notifications
import content.materials.routes
import content.routes
import web.routes
from actors.config import EventConfig, MaterialConfig, NodeConfig
from actors.context import NodeContext
from actors.federation_gate import FederationGate
from actors.keys import KeyStore
from actors.local import ensure_instance_actor
from actors.remote import RemoteActors
from api.cors import ApiCorsMiddleware
from api.ratelimit import ApiRateLimitMiddleware
from api.slashes import TrailingSlashMiddleware
from federation.auth import HttpSignatureAuth
from federation.client import ClientConfig, SafeClient
from federation.errors import FederationError
from inbox.routes import InboxEndpoints
from staffroom import __version__
from staffroom.gc_tuning import tune_for_serving
from staffroom.processes import exit_with_parent
from staffroom.settings import Settings, load_settings, parse_durations
from staffroom.workers import background_workers
from storage.engine import create_engine, create_sessionmaker
from storage.id_tags import claim_process_tag
from storage.inbox_writer import InboxWriter
from storage.wakeups import RULES, queue_beacon

log = logging.getLogger(__name__)


def node_config(settings: Settings) -> NodeConfig:
    return NodeConfig(
        domain=settings.domain,
        scheme=settings.scheme,
        node_name=settings.node_name,
        node_description=settings.node_description,
        open_registrations=settings.open_registrations,
        allow_http=settings.allow_http,
        allow_private_addresses=settings.allow_private_addresses,
        max_inbox_bytes=settings.max_inbox_bytes,
        software_version=__version__,
        secret_key=settings.secret_key,
        login_rate_limit=settings.login_rate_limit,
        app_registration_rate_limit=settings.app_registration_rate_limit,
        media_dir=settings.media_dir or settings.data_dir / "media",
        materials=MaterialConfig(
            max_file_bytes=settings.material_max_file_bytes,
            max_files=settings.material_max_files,
            max_unpacked_bytes=settings.material_max_unpacked_bytes,
            max_zip_ratio=settings.material_max_zip_ratio,
            mirror_remote=settings.material_mirror_remote,
            rating_debounce_seconds=settings.material_rating_debounce_seconds,
        ),
        data_dir=settings.data_dir,
        events=EventConfig(
            reminders=parse_durations("EVENT_REMINDERS", settings.event_reminders),
            count_debounce_seconds=settings.event_count_debounce_seconds,
            poll_debounce_seconds=settings.poll_debounce_seconds,
        ),
    )


def client_config(settings: Settings) -> ClientConfig:
    return ClientConfig(
        allow_http=settings.allow_http,
        allow_private_addresses=settings.allow_private_addresses,
        user_agent=f"Staffroom/{__version__} (+{settings.base_url})",
    )


async def federation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FederationError)
    return JSONResponse({"error": exc.reason}, status_code=exc.status)


@contextlib.asynccontextmanager
async def node_context(settings: Settings) -> AsyncIterator[NodeContext]:
    """Everything a running node shares, opened and closed together."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    config = node_config(settings)
    async with sessions() as session:
        instance = await ensure_instance_actor(session, config)
        await session.commit()
    assert instance.public_key_id is not None
    assert instance.private_key_pem is not None
    signer = HttpSignatureAuth(instance.public_key_id, instance.private_key_pem)
    try:
        async with SafeClient(client_config(settings)) as client:

            async def fetch_json(url: str) -> dict[str, object]:
                return await client.get_json(url, auth=signer)

            remote = RemoteActors(sessions, fetch_json)
            keys = KeyStore(sessions, remote, config)
            writer = InboxWriter(engine)
            gate = FederationGate(sessions, changes=queue_beacon(sessions, RULES))
            client.set_host_gate(gate.refusal)
            try:
                yield NodeContext(config, sessions, client, remote, keys, writer, gate)
            finally:
                await writer.close()
    finally:
        await engine.dispose()


def create_app(settings: Settings) -> InboxEndpoints:
    """The node's ASGI app: the inboxes in front, Starlette for every other request."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with node_context(settings) as node:
            app.state.node = node
            stop = asyncio.Event()
            # Every serving process streams (it polls the event rows other processes write).
            app.state.streams = api.streaming.StreamHub(node)
            tasks = [asyncio.create_task(app.state.streams.run(stop))]
            if settings.workers:
                tasks += [
                    asyncio.create_task(work) for work in background_workers(node, stop, settings)
                ]
            try:
                yield
            finally:
                stop.set()
                await asyncio.gather(*tasks, return_exceptions=True)

    site = Starlette(
        routes=[
            *web.routes.routes,
            *actors.routes.routes,
            *content.routes.routes,
            *content.materials.routes.routes,
            *api.materials.routes,
            *api.events.routes,
            *api.communities.routes,
            *api.v1.directory.routes,
            *api.oauth.routes,
            *api.v1.notifications.routes,
            *api.v1.conversations.routes,
            *api.streaming.routes,
            *api.account_routes.routes,
            *api.admin.routes,
            *api.status_routes.routes,
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(TrailingSlashMiddleware),
            Middleware(ApiCorsMiddleware),
            Middleware(ApiRateLimitMiddleware, limit=settings.api_rate_limit),
        ],
        exception_handlers={FederationError: federation_error, **api.errors.EXCEPTION_HANDLERS},
    )
    site.router.redirect_slashes = False  # TrailingSlashMiddleware routes "/x/" as "/x"
    return InboxEndpoints(site, lambda: site.state.node)


def app_from_environment() -> InboxEndpoints:
    """The app factory each web process of a multi-process ``serve`` imports by name."""
    exit_with_parent()
    settings = load_settings()
    claim_process_tag(settings.data_dir)
    app = create_app(settings)
    tune_for_serving()
    return app
