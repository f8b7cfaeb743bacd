"""The safe outgoing HTTP client every fetch and delivery goes through.

What it guarantees, and why each matters for a server that fetches URLs
strangers give it:

* **SSRF guard at connect time** (:mod:`federation.guarded_transport`). The
  network backend under httpx resolves the host itself, refuses the connection
  if any address is non-public, and then connects to the validated IP, so a DNS
  answer cannot change between the check and the connect (rebinding). TLS still
  verifies the certificate against the URL's host name.
* **Every redirect hop is checked** (scheme, credentials, literal IPs) and then
  guarded again at connect; hops are counted and capped.
* **Size and time limits** (sizes in :mod:`federation.limited_body`). Bodies
  are read while streaming and abandoned as soon as they pass
  ``max_response_bytes`` (compressed bodies are inflated with the same bound,
  so a gzip bomb stops early); connect, read and total deadlines.
* **No ambient state.** No cookies are kept, no proxy or ``.netrc`` from the
  environment is used.

It is made of httpx's parts (``Request``, ``Response``, ``Auth``, and a
transport, :class:`federation.guarded_transport.GuardedTransport`) but not
``httpx.AsyncClient``: cookies, proxies, event hooks and its redirect
machinery are all things we switch off, and going through them cost a
fan-out about a tenth of its CPU. This module keeps the public surface
(:class:`SafeClient`, :class:`ClientConfig`, :class:`FetchStatusError`, the
Accept and JSON media types) and what ``get_json`` accepts; the request loop
(redirects, deadlines, the host gate, mapping httpx errors to ours) is
:mod:`federation.request_loop`, and signing (an ``httpx.Auth`` flow) is
:mod:`federation.auth_flow`.

Errors are :class:`~federation.errors.FetchError` (or its subclasses) with a
reason that is safe to log and show.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from federation import strict_json
from federation.auth import HttpSignatureAuth
from federation.delivery_post import Delivered, Inboxes, signed_request
from federation.errors import FetchError, HostRefusedError
from federation.guarded_transport import GuardedTransport
from federation.http_errors import as_fetch_errors
from federation.limited_body import rebuild_response
from federation.redirects import moved_to
from federation.request_loop import HostGate, RequestLoop
from federation.ssrf import AddressPredicate, Resolver, is_forbidden_address, system_resolver

ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

#: Media types :meth:`SafeClient.get_json` accepts (parameters are ignored).
JSON_MEDIA_TYPES = frozenset(
    {
        "application/activity+json",
        "application/ld+json",
        "application/json",
        "application/jrd+json",
    }
)

_ACTIVITY_JSON = b"application/activity+json"


class FetchStatusError(FetchError):
    """The server answered with a status we treat as failure (for JSON fetches).

    ``http_status`` lets callers tell a deleted object (404, 410) from an outage.
    """

    def __init__(self, http_status: int) -> None:
        super().__init__(f"HTTP status {http_status}")
        self.http_status = http_status


@dataclass(frozen=True)
class ClientConfig:
    """Limits and switches of :class:`SafeClient` (part of the node's settings)."""

    allow_http: bool = False
    #: Only for tests and closed networks (several nodes on loopback).
    allow_private_addresses: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_redirects: int = 3
    max_response_bytes: int = 4 * 1024 * 1024
    user_agent: str = "Staffroom/0.1"


class SafeClient:
    """One pooled, guarded HTTP client; use as ``async with SafeClient(cfg) as c``.

    ``resolver``, ``is_forbidden`` and ``ssl_context`` are seams for tests (and
    for a custom CA); production passes only the config.
    """

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        resolver: Resolver | None = None,
        is_forbidden: AddressPredicate | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config or ClientConfig()
        self._is_forbidden = is_forbidden or is_forbidden_address
        transport = GuardedTransport(
            allow_private_addresses=self.config.allow_private_addresses,
            resolver=resolver or system_resolver,
            is_forbidden=self._is_forbidden,
            ssl_context=ssl_context,
        )
        cfg = self.config
        self._transport = transport
        self._requests = RequestLoop(
            transport,
            allow_http=cfg.allow_http,
            allow_private_addresses=cfg.allow_private_addresses,
            is_forbidden=self._is_forbidden,
            connect_timeout=cfg.connect_timeout,
            read_timeout=cfg.read_timeout,
            total_timeout=cfg.total_timeout,
            max_redirects=cfg.max_redirects,
            max_response_bytes=cfg.max_response_bytes,
            user_agent=cfg.user_agent,
        )
        self._inboxes = Inboxes(
            allow_http=cfg.allow_http,
            allow_private=cfg.allow_private_addresses,
            is_forbidden=self._is_forbidden,
        )
        self._user_agent = cfg.user_agent.encode("ascii")

    def set_host_gate(self, gate: HostGate | None) -> None:
        """Ask ``gate`` before every request and redirect hop: the node's federation
        policy (a suspended domain, allowlist mode) says why a host is refused."""
        self._requests.host_gate = gate

    async def warm_gate(self) -> None:
        """Have the gate's rules fresh before a burst of requests needs them.

        A fan-out's worker calls this beside its claim: rules that went
        stale while the node idled are then read meanwhile, not before the
        first request leaves.
        """
        gate = self._requests.host_gate
        if gate is not None:
            await gate("")

    async def __aenter__(self) -> SafeClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    # -- public API -------------------------------------------------------

    async def get_json(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        accept: str = ACTIVITY_ACCEPT,
    ) -> dict[str, Any]:
        """GET a JSON object (an AS2 document, a JRD, NodeInfo).

        Raises :class:`FetchStatusError` for a non-2xx answer, FetchError for a
        non-JSON media type, a body over the size cap, invalid JSON or a JSON
        value that is not an object.
        """
        _final_url, data = await self.get_json_with_url(url, auth=auth, accept=accept)
        return data

    async def get_json_with_url(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        accept: str = ACTIVITY_ACCEPT,
    ) -> tuple[str, dict[str, Any]]:
        """Like :meth:`get_json`, also returning the URL after redirects.

        Origin checks need it: a document is only authoritative for ids on the
        host it was finally served from.
        """
        response, body = await self._requests.request(
            "GET",
            url,
            headers={"Accept": accept},
            auth=auth,
            before_body=_require_json_success,
        )
        try:
            data = strict_json.loads(body)
        except strict_json.JsonError as exc:
            raise FetchError(f"invalid JSON in response: {exc.reason}") from None
        if not isinstance(data, dict):
            raise FetchError("JSON response is not an object")
        return str(response.url), data

    async def get(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET anything; the status is returned, not raised; the body is capped."""
        response, body = await self._requests.request("GET", url, headers=headers, auth=auth)
        return rebuild_response(response, body)

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        auth: httpx.Auth | None = None,
        content_type: str = "application/activity+json",
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST ``body`` (a delivery); the status is returned, not raised.

        Only 307/308 redirects are followed (same method, same body, signed
        again). A 301/302/303 is returned as is: following it would turn the
        delivery into a GET whose 200 could be mistaken for success.
        """
        merged = dict(headers or {})
        merged["Content-Type"] = content_type
        response, response_body = await self._requests.request(
            "POST", url, headers=merged, auth=auth, content=body
        )
        return rebuild_response(response, response_body)

    async def deliver(self, url: str, body: bytes, auth: HttpSignatureAuth) -> Delivered:
        """POST one signed activity to an inbox; the status is returned, not raised.

        The lean path of a fan-out (:mod:`federation.delivery_post`): the
        request is signed once its connection is in hand and written as
        bytes. Same guard, gate, limits and errors as :meth:`post`, which
        it hands the target of a 307/308 (and an RFC 9421 signer) to.
        """
        if auth.scheme != "draft-cavage":
            return Delivered.from_response(await self.post(url, body, auth=auth))
        inbox = self._inboxes(url)
        gate = self._requests.host_gate
        if gate is not None:
            refusal = await gate(inbox.netloc)
            if refusal is not None:
                raise HostRefusedError(refusal)
        cfg = self.config
        user_agent = self._user_agent
        with as_fetch_errors():
            head, _ = await self._transport.exchange(
                inbox.origin,
                lambda: signed_request(inbox, body, auth, user_agent, _ACTIVITY_JSON),
                deadline=asyncio.get_running_loop().time() + cfg.total_timeout,
                connect=cfg.connect_timeout,
                read=cfg.read_timeout,
                max_body=cfg.max_response_bytes,
            )
        moved = moved_to(url, head) if head.status in (307, 308) else None
        if moved is not None:
            # The general path follows from there (each hop checked, signed anew).
            return Delivered.from_response(await self.post(moved, body, auth=auth))
        return Delivered.from_head(head)


def _require_json_success(response: httpx.Response) -> None:
    """Refuse a failed or non-JSON answer from its headers, before reading the body."""
    if not 200 <= response.status_code < 300:
        raise FetchStatusError(response.status_code)
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        raise FetchError(f"unexpected content type {media_type or '(none)'!r}")
