"""A delivery's POST, made of bytes: one signed activity to one inbox.

A fan-out is thousands of identical small POSTs, and building each as
httpx's ``Request`` and ``Response`` (a parsed URL, two ``Headers``, a
stream, a body re-read for the digest) cost more CPU than the RSA signature
itself. So a delivery is written here as the request's bytes and read back
as a status and the one header we act on (``Retry-After``). It still
travels the one guarded path (:meth:`federation.guarded_transport.GuardedTransport.exchange`):
the SSRF guard at connect time, the pool, the size and time limits; the
URL is checked as :func:`federation.ssrf.check_url` checks any other
(:mod:`federation.plain_url` takes the usual shape apart without httpx).

What it leaves to the general client (:meth:`federation.client.SafeClient.post`):
an RFC 9421 signature (it needs the whole request) and following a 307/308
redirect (rare; the general loop checks and signs every hop).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import httpx

from federation.auth import HttpSignatureAuth
from federation.guarded_transport import default_port
from federation.http1 import ResponseHead, encode_request
from federation.plain_url import check_parts
from federation.pool import Origin
from federation.ssrf import AddressPredicate

#: Inbox URLs whose parse and check are remembered (a node delivers to the
#: same few thousand inboxes over and over).
_TARGETS = 4096


@dataclass(frozen=True, slots=True)
class Inbox:
    """An inbox URL, checked and taken apart for the request line and ``Host``."""

    url: str
    origin: Origin
    #: Path and query, as sent on the request line.
    target: bytes
    #: ``host[:port]``, as sent in ``Host`` and asked of the federation gate.
    netloc: str


@dataclass(frozen=True, slots=True)
class Delivered:
    """What a delivery's answer tells us: the status, and when to come back."""

    status: int
    retry_after: str | None = None

    @classmethod
    def from_head(cls, head: ResponseHead) -> Delivered:
        for name, value in head.headers:
            if name.lower() == b"retry-after":
                return cls(head.status, value.decode("latin-1"))
        return cls(head.status)

    @classmethod
    def from_response(cls, response: httpx.Response) -> Delivered:
        return cls(response.status_code, response.headers.get("retry-after"))


class Inboxes:
    """Inbox URLs checked once each (the connect-time guard still judges every connection).

    A refused URL raises every time: ``lru_cache`` keeps only what returned.
    """

    def __init__(self, *, allow_http: bool, allow_private: bool, is_forbidden: AddressPredicate):
        self._allow_http = allow_http
        self._allow_private = allow_private
        self._is_forbidden = is_forbidden
        self._cached = functools.lru_cache(maxsize=_TARGETS)(self._inbox)

    def __call__(self, url: str) -> Inbox:
        return self._cached(url)

    def _inbox(self, url: str) -> Inbox:
        parts = check_parts(
            url,
            allow_http=self._allow_http,
            allow_private_addresses=self._allow_private,
            is_forbidden=self._is_forbidden,
        )
        scheme = parts.scheme.encode("ascii")
        origin: Origin = (scheme, parts.host, parts.port or default_port(scheme))
        return Inbox(url, origin, parts.raw_path, parts.netloc.decode("ascii"))


def signed_request(
    inbox: Inbox, body: bytes, signer: HttpSignatureAuth, user_agent: bytes, content_type: bytes
) -> bytes:
    """The POST's bytes, signed now (draft-cavage: ``Date``, ``Digest``, ``Signature``)."""
    signed = signer.sign_post(inbox.target.decode("ascii"), inbox.netloc, body)
    headers = [
        (b"Host", inbox.netloc.encode("ascii")),
        (b"User-Agent", user_agent),
        (b"Content-Type", content_type),
        (b"Content-Length", b"%d" % len(body)),
    ]
    headers += [(name.encode("ascii"), value.encode("latin-1")) for name, value in signed.items()]
    return encode_request(b"POST", inbox.target, headers, body)
