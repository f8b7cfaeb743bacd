"""A WebSocket client for the streaming API that tests can drive from plain sync code.

The connection lives in its own thread and event loop (the ``websockets``
library that uvicorn[standard] brings), collecting every frame with the
time it arrived, so a test can post something on another node, then wait
for the frame and check how late it came::

    with StreamClient(node.ws_url("/api/v1/streaming?stream=user"), token=t) as stream:
        ...
        frame = stream.wait_for(lambda f: f["event"] == "update")
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


class StreamClient:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        subprotocol_token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.subprotocols = [subprotocol_token] if subprotocol_token else None
        self.timeout = timeout
        self.frames: list[tuple[float, dict[str, Any]]] = []
        self.subprotocol: str | None = None
        self.close_code: int | None = None
        self.refused_status: int | None = None
        self.closed = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ws: ClientConnection | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> StreamClient:
        self._thread.start()
        if not self._ready.wait(self.timeout):
            raise AssertionError("the stream did not open in time")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._loop is not None and self._ws is not None and not self.closed.is_set():
            asyncio.run_coroutine_threadsafe(self._ws.close(), self._loop)
        self.closed.wait(self.timeout)
        self._thread.join(self.timeout)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            async with connect(
                self.url,
                additional_headers=self.headers,
                subprotocols=self.subprotocols,  # type: ignore[arg-type]
                open_timeout=self.timeout,
            ) as ws:
                self._ws = ws
                self.subprotocol = ws.subprotocol
                self._ready.set()
                try:
                    async for message in ws:
                        with self._lock:
                            self.frames.append((time.time(), json.loads(message)))
                except ConnectionClosed:
                    pass
                self.close_code = ws.close_code
        except InvalidStatus as refused:
            self.refused_status = refused.response.status_code
        finally:
            self.closed.set()
            self._ready.set()

    # -- talking and looking ------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        assert self._loop is not None and self._ws is not None
        future = asyncio.run_coroutine_threadsafe(self._ws.send(json.dumps(message)), self._loop)
        future.result(self.timeout)

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return [frame for _at, frame in self.frames]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> tuple[float, dict[str, Any]]:
        """The first frame matching ``predicate`` and when it arrived (epoch seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for at, frame in self.frames:
                    if predicate(frame):
                        return at, frame
            if self.closed.is_set():
                break
            time.sleep(0.02)
        raise AssertionError(f"no matching frame within {timeout}s; got {self.received()!r}")


def event_is(event: str, *, stream: str | None = None) -> Callable[[dict[str, Any]], bool]:
    def check(frame: dict[str, Any]) -> bool:
        return frame.get("event") == event and (stream is None or frame["stream"][0] == stream)

    return check


def payload(frame: dict[str, Any]) -> Any:
    """The frame's payload parsed (a status, a notification), or the bare id of a delete."""
    raw = frame["payload"]
    return raw if frame["event"] == "delete" else json.loads(raw)
