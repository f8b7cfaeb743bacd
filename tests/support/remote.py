"""A small "remote server" for tests: actors with keys we hold, served over loopback.

It lets a test play another fediverse server: publish actor documents (with
a key it controls), sign requests as those actors, count key fetches, and
serve any other document (a post, a Create) at its id with :meth:`RemoteServer.serve`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.signatures.keys import generate_rsa_keypair
from tests.support.node import free_port


@dataclass
class RemoteActor:
    name: str
    base_url: str
    private_pem: str
    public_pem: str
    # Set to serve a different owner in the key, for impersonation tests.
    owner_override: str | None = None
    # Fields merged over the document (a hostile bio, an inbox on another host...).
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.base_url}/users/{self.name}"

    @property
    def key_id(self) -> str:
        return f"{self.id}#main-key"

    def document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.name,
            "inbox": f"{self.id}/inbox",
            "outbox": f"{self.id}/outbox",
            "followers": f"{self.id}/followers",
            "featured": f"{self.id}/collections/featured",
            "endpoints": {"sharedInbox": f"{self.base_url}/inbox"},
            "publicKey": {
                "id": self.key_id,
                "owner": self.owner_override or self.id,
                "publicKeyPem": self.public_pem,
            },
            **self.overrides,
        }

    def rotate_key(self) -> None:
        self.private_pem, self.public_pem = generate_rsa_keypair()


@dataclass
class RemoteServer:
    port: int
    actors: dict[str, RemoteActor] = field(default_factory=dict)
    fetches: list[str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    # Served documents by path; an int answers with that status instead (404, 410...).
    objects: dict[str, dict[str, Any] | int] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_actor(self, name: str) -> RemoteActor:
        private_pem, public_pem = generate_rsa_keypair()
        actor = RemoteActor(name, self.base_url, private_pem, public_pem)
        self.actors[name] = actor
        return actor

    def serve(self, doc: dict[str, Any] | int, path: str | None = None) -> str:
        """Serve ``doc`` at its id (or at ``path``); returns the path."""
        if path is None:
            assert isinstance(doc, dict)
            path = urlsplit(doc["id"]).path
        self.objects[path] = doc
        return path

    def activity(self, actor: RemoteActor, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor.id}/activities/{time.time_ns()}",
            "type": kind,
            "actor": actor.id,
            "object": obj,
            **extra,
        }

    def app(self) -> Starlette:
        async def actor_doc(request: Request) -> Response:
            self.fetches.append(request.url.path)
            actor = self.actors.get(request.path_params["name"])
            if actor is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse(actor.document(), media_type="application/activity+json")

        async def document(request: Request) -> Response:
            self.fetches.append(request.url.path)
            doc = self.objects.get(request.url.path, 404)
            if isinstance(doc, int):
                return JSONResponse({"error": "unavailable"}, status_code=doc)
            return JSONResponse(doc, media_type="application/activity+json")

        async def inbox(request: Request) -> Response:
            self.received.append({"headers": dict(request.headers), "body": await request.body()})
            return Response(status_code=202)

        return Starlette(
            routes=[
                Route("/users/{name}", actor_doc),
                Route("/users/{name}/inbox", inbox, methods=["POST"]),
                Route("/inbox", inbox, methods=["POST"]),
                Route("/{path:path}", document),
            ]
        )


@contextmanager
def remote_server() -> Iterator[RemoteServer]:
    server_state = RemoteServer(port=free_port())
    config = uvicorn.Config(
        server_state.app(), host="127.0.0.1", port=server_state.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("remote test server did not start")
        time.sleep(0.02)
    try:
        yield server_state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
