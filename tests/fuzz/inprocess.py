"""A real node in this process for the fuzz suite: real database, real ASGI app, one event loop.

Hypothesis runs hundreds of examples; a node subprocess per example would be
far too slow, so the inbox layer and the Starlette routes run in-process on
one event loop kept for the module, over a migrated SQLite database, with the
hostile actor's key stored as a row (its server does not exist: any fetch
the handlers try fails at once, as a dead peer's would).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import func
from sqlmodel import select
from starlette.applications import Starlette

import content.routes
from actors.context import NodeContext
from actors.local import create_person
from actors.roles import parse_role
from actors.tokens import issue_token
from federation.errors import FederationError
from federation.signatures import generate_rsa_keypair
from inbox.routes import InboxEndpoints
from staffroom.app import federation_error, node_config, node_context
from staffroom.settings import load_settings
from storage import migrate
from storage.engine import create_engine
from storage.models import Activity, Actor, InboxItem

T = TypeVar("T")
DOMAIN = "school.example"
ACTOR = "http://127.0.0.1:9/users/eve"  # the discard port: every fetch is refused at once


class InProcessNode:
    def __init__(self, tmp: Path) -> None:
        self.settings = load_settings(
            env={
                "STAFFROOM_DOMAIN": DOMAIN,
                "STAFFROOM_DATA_DIR": str(tmp),
                "STAFFROOM_ALLOW_HTTP": "true",
                "STAFFROOM_ALLOW_PRIVATE_ADDRESSES": "true",
            }
        )
        self.loop = asyncio.new_event_loop()
        self.private_pem, self.public_pem = generate_rsa_keypair()
        self.key_id = ACTOR + "#main-key"
        self._context: AbstractAsyncContextManager[NodeContext] | None = None
        self.node: NodeContext | None = None
        self.client: httpx.AsyncClient | None = None
        self.token = ""

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        return self.loop.run_until_complete(work())

    def start(self) -> InProcessNode:
        self.run(self._start)
        return self

    async def _start(self) -> None:
        engine = create_engine(self.settings.database_url)
        await migrate.upgrade(engine)
        await engine.dispose()
        self._context = node_context(self.settings)
        node = self.node = await self._context.__aenter__()
        async with node.sessions() as session:
            account, _actor = await create_person(
                session, node_config(self.settings), "bob", role=parse_role("teacher"),
                password="correct horse battery",
            )  # fmt: skip
            self.token = await issue_token(session, account, "read write", description="fuzz")
            session.add(
                Actor(
                    ap_id=ACTOR, type="Person", username="eve", domain="127.0.0.1:9",
                    inbox_url=ACTOR + "/inbox", shared_inbox_url="http://127.0.0.1:9/inbox",
                    followers_url=ACTOR + "/followers", public_key_id=self.key_id,
                    public_key_pem=self.public_pem,
                )
            )  # fmt: skip
            await session.commit()
        site = Starlette(
            routes=content.routes.routes,
            exception_handlers={FederationError: federation_error},
        )
        site.state.node = node
        app = InboxEndpoints(site, lambda: node)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url=f"http://{DOMAIN}",
        )

    def count(self, model: type[Any]) -> int:
        async def query() -> int:
            assert self.node is not None
            async with self.node.sessions() as session:
                return int((await session.exec(select(func.count()).select_from(model))).one())

        return self.run(query)

    def inbox_rows(self) -> int:
        return self.count(InboxItem)

    def activity_rows(self) -> int:
        return self.count(Activity)

    def close(self) -> None:
        async def stop() -> None:
            if self.client is not None:
                await self.client.aclose()
            if self._context is not None:
                await self._context.__aexit__(None, None, None)

        self.run(stop)
        self.loop.close()
