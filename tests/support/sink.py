"""A loopback delivery sink for tests: many fake remote hosts, each with scripted behaviour.

Each host is its own port (so its own "host" to the delivery queue). A host can
answer from a script of statuses (``[500, 500]`` then the default 202), after
a delay, with extra headers (``Retry-After``); it records every arrival (host,
path, activity id, status, time) and, when given our public keys, verifies
each request's HTTP signature with :func:`federation.signatures.verify_request`
and answers 401 to a bad one, as a real server would.

All hosts run in one event loop in a background thread, so a test's own loop
(the delivery worker under test) and the sink never block each other.

Usage::

    with Sink(hosts=3, keys={key_id: (owner, public_pem)}) as sink:
        sink.script(sink.hosts[0], statuses=[500, 500])
        ...
        sink.wait_for(30)
        assert sink.by_host()[sink.hosts[0]] == [...]
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.errors import FederationError, KeyNotFoundError
from federation.signatures.keys import PublicKeyInfo
from federation.signatures.verify import verify_request
from tests.support.node import free_port, wait_until


@dataclass
class Behaviour:
    statuses: list[int] = field(default_factory=list)  # consumed one per request
    default: int = 202
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)  # sent with non-2xx answers


@dataclass(frozen=True)
class Arrival:
    host: str
    path: str
    activity_id: str | None
    status: int
    at: float  # time.monotonic() when the request arrived
    verified: bool | None
    signer: str | None


class Sink:
    def __init__(
        self,
        hosts: int = 1,
        *,
        ports: list[int] | None = None,
        keys: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.ports = ports or [free_port() for _ in range(hosts)]
        self.hosts = [f"127.0.0.1:{port}" for port in self.ports]
        self.keys = keys  # key id -> (owner, public PEM); None: do not verify
        self.behaviour: dict[str, Behaviour] = {host: Behaviour() for host in self.hosts}
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[uvicorn.Server] = []

    # -- scripting -----------------------------------------------------------

    def script(
        self,
        host: str,
        *,
        statuses: list[int] | None = None,
        default: int | None = None,
        delay: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        with self._lock:
            b = self.behaviour[host]
            if statuses is not None:
                b.statuses = list(statuses)
            if default is not None:
                b.default = default
            if delay is not None:
                b.delay = delay
            if headers is not None:
                b.headers = dict(headers)

    def url(self, host: str, path: str = "/inbox") -> str:
        return f"http://{host}{path}"

    # -- reading -------------------------------------------------------------

    def received(self, *, status: int | None = None) -> list[Arrival]:
        with self._lock:
            found = list(self.arrivals)
        return [a for a in found if status is None or a.status == status]

    def delivered(self) -> list[Arrival]:
        """Arrivals the sink accepted (2xx)."""
        return [a for a in self.received() if 200 <= a.status < 300]

    def keys_delivered(self) -> Counter[tuple[str, str, str | None]]:
        """(host, path, activity id) → how many times it was accepted."""
        return Counter((a.host, a.path, a.activity_id) for a in self.delivered())

    def wait_for(self, count: int, *, timeout: float = 20.0) -> list[Arrival]:
        def enough() -> list[Arrival] | None:
            got = self.delivered()
            return got if len(got) >= count else None

        found = wait_until(enough, timeout=timeout, interval=0.02)
        assert found is not None
        return found

    # -- the servers ---------------------------------------------------------

    def app(self) -> Starlette:
        async def resolve(key_id: str, _refresh: bool) -> PublicKeyInfo:
            assert self.keys is not None
            if key_id not in self.keys:
                raise KeyNotFoundError("unknown key")
            owner, pem = self.keys[key_id]
            return PublicKeyInfo(key_id, owner, pem)

        async def inbox(request: Request) -> Response:
            arrived = time.monotonic()
            body = await request.body()
            host = request.headers.get("host", "?")
            with self._lock:
                b = self.behaviour.get(host, Behaviour())
                status = b.statuses.pop(0) if b.statuses else b.default
                delay, extra = b.delay, dict(b.headers)
            if delay:
                await asyncio.sleep(delay)
            verified: bool | None = None
            signer: str | None = None
            if self.keys is not None:
                target = request.scope["raw_path"].decode("latin-1")
                try:
                    result = await verify_request(
                        "POST", target, request.headers, body, resolve, scheme="http"
                    )
                except FederationError:
                    verified, status = False, 401
                else:
                    verified, signer = True, result.owner
            try:
                activity_id = json.loads(body).get("id")
            except (ValueError, AttributeError):
                activity_id = None
            with self._lock:
                self.arrivals.append(
                    Arrival(host, request.url.path, activity_id, status, arrived, verified, signer)
                )
            headers = extra if not 200 <= status < 300 else {}
            return Response(status_code=status, headers=headers)

        return Starlette(routes=[Route("/{path:path}", inbox, methods=["POST"])])

    def __enter__(self) -> Sink:
        started = threading.Event()
        app = self.app()

        async def serve() -> None:
            for port in self.ports:
                config = uvicorn.Config(
                    app,
                    host="127.0.0.1",
                    port=port,
                    log_level="warning",
                    lifespan="off",
                    access_log=False,
                )
                server = uvicorn.Server(config)
                self._servers.append(server)
            tasks = [asyncio.create_task(s.serve()) for s in self._servers]
            while not all(s.started for s in self._servers):
                if any(t.done() for t in tasks):
                    break
                await asyncio.sleep(0.01)
            started.set()
            await asyncio.gather(*tasks, return_exceptions=True)

        def target() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            self._loop.close()

        self._thread = threading.Thread(target=target, daemon=True)
        self._thread.start()
        if not started.wait(timeout=20) or not all(s.started for s in self._servers):
            self.__exit__()
            raise RuntimeError("sink did not start")
        return self

    def __exit__(self, *_exc: Any) -> None:
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
