"""The safe client's request loop: check, gate, send, follow redirects, read capped.

Every fetch and the general POST go through this one loop, so that no path
skips a check: each URL (the first and every redirect hop) is checked before
a connection is sought and shown to the node's host gate, hops are counted
and capped, the whole exchange has one deadline and a body is read only up
to the cap. It is apart from :mod:`federation.client` so that the client is
its public surface and this is the machinery under it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping

import httpx

from federation.auth_flow import send
from federation.errors import FetchError, HostRefusedError
from federation.http_errors import as_fetch_errors
from federation.limited_body import ACCEPT_ENCODING, read_capped
from federation.redirects import redirect_target, redirected_headers
from federation.ssrf import AddressPredicate, check_url

#: ``host[:port]`` → why it is refused, or None.
HostGate = Callable[[str], Awaitable[str | None]]

#: URL verdicts :meth:`RequestLoop._check` remembers.
_CHECKED_URLS = 4096


class RequestLoop:
    """The loop one client runs every request through, with that client's limits."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        allow_http: bool,
        allow_private_addresses: bool,
        is_forbidden: AddressPredicate,
        connect_timeout: float,
        read_timeout: float,
        total_timeout: float,
        max_redirects: int,
        max_response_bytes: int,
        user_agent: str,
    ) -> None:
        self._transport = transport
        self._allow_http = allow_http
        self._allow_private = allow_private_addresses
        self._is_forbidden = is_forbidden
        self._total_timeout = total_timeout
        self._max_redirects = max_redirects
        self._max_response_bytes = max_response_bytes
        self._timeouts = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": read_timeout,
            "pool": connect_timeout,
        }
        self._default_headers = (
            ("User-Agent", user_agent),
            ("Accept-Encoding", ACCEPT_ENCODING),
        )
        self._checked = functools.lru_cache(maxsize=_CHECKED_URLS)(self._check_now)
        #: Asked before every request and redirect hop (``SafeClient.set_host_gate``).
        self.host_gate: HostGate | None = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        auth: httpx.Auth | None,
        content: bytes | None = None,
        before_body: Callable[[httpx.Response], None] | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """The final response (closed) and its body, within the total deadline.

        ``before_body`` may refuse the response from its head, before any of
        the body is read.
        """
        with as_fetch_errors():
            async with asyncio.timeout(self._total_timeout):
                return await self._follow(
                    method,
                    url,
                    headers=headers,
                    auth=auth,
                    content=content,
                    before_body=before_body,
                )

    async def _follow(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        auth: httpx.Auth | None,
        content: bytes | None,
        before_body: Callable[[httpx.Response], None] | None,
    ) -> tuple[httpx.Response, bytes]:
        request = self._build(method, self._check(url), headers, content)
        hops = 0
        while True:
            if self.host_gate is not None:
                refusal = await self.host_gate(request.url.netloc.decode("ascii"))
                if refusal is not None:
                    raise HostRefusedError(refusal)
            response = await send(self._transport, request, auth)
            try:
                following = redirect_target(request, response)
                if following is not None and (
                    request.method in ("GET", "HEAD") or response.status_code in (307, 308)
                ):
                    hops += 1
                    if hops > self._max_redirects:
                        raise FetchError("too many redirects")
                    # The first URL was checked above; every hop is checked here.
                    request = self._build(
                        request.method,
                        self._check(following),
                        redirected_headers(request, following),
                        content,
                    )
                    continue
                if before_body is not None:
                    before_body(response)
                body = await read_capped(response, self._max_response_bytes)
                return response, body
            finally:
                await response.aclose()

    def _build(
        self,
        method: str,
        url: httpx.URL,
        headers: Mapping[str, str] | list[tuple[str, str]] | None,
        content: bytes | None,
    ) -> httpx.Request:
        merged = list(self._default_headers)
        if headers:
            items = headers.items() if isinstance(headers, Mapping) else headers
            given = [(name, value) for name, value in items]
            names = {name.lower() for name, _ in given}
            merged = [(k, v) for k, v in merged if k.lower() not in names] + given
        extensions = {"timeout": self._timeouts}
        if content is None:
            return httpx.Request(method, url, headers=merged, extensions=extensions)
        # A body in memory: we know Host and Content-Length, so hand httpx the
        # stream and every header at once. (Given ``content=``, it would
        # rebuild the headers twice to add them, a tenth of a delivery's CPU.)
        merged.insert(0, ("Host", url.netloc.decode("ascii")))
        merged.append(("Content-Length", str(len(content))))
        request = httpx.Request(
            method, url, headers=merged, stream=httpx.ByteStream(content), extensions=extensions
        )
        request.read()
        return request

    def _check(self, url: str | httpx.URL) -> httpx.URL:
        """The URL, checked (scheme, credentials, literal addresses); verdicts are remembered.

        A node delivers to the same few thousand inboxes over and over, so the
        parse and check of each is done once (the connect-time guard still
        judges every connection). A refused URL raises every time:
        ``lru_cache`` keeps only what returned.
        """
        return self._checked(str(url))

    def _check_now(self, url: str) -> httpx.URL:
        return check_url(
            url,
            allow_http=self._allow_http,
            allow_private_addresses=self._allow_private,
            is_forbidden=self._is_forbidden,
        )
