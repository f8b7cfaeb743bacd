"""Inbox URLs of the plain shape, taken apart without httpx's parser.

A fan-out checks each inbox URL once (:class:`federation.delivery_post.Inboxes`),
and a node's first post after a start, or to more inboxes than it keeps,
checks them all: httpx's parser took 65 of the 100 microseconds, a sixth of
a delivery's CPU. Nearly every inbox URL has one plain shape
(``https://host[:port]/path``, lowercase host, no query, no escapes), which
a strict pattern takes apart in a few microseconds. Anything else (a query,
``%``, upper case, IPv6, userinfo, a default port written out) goes to
httpx's parser as before. Either way the request's bytes are written from
the parts returned here, so the check and the connection judge the same
host. ``tests/federation/test_plain_url.py`` holds the pattern to httpx's
parse for every URL it accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from federation.constants import DEFAULT_PORTS
from federation.ssrf import AddressPredicate, check_url, judge_url_parts

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN = re.compile(
    rf"(https?)://((?:{_LABEL}\.)*{_LABEL}|{_OCTET}(?:\.{_OCTET}){{3}})"
    r"(?::([1-9][0-9]{0,4}))?"
    r"(/[A-Za-z0-9._~/-]*)"
)
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


@dataclass(frozen=True, slots=True)
class UrlParts:
    """What a request needs of a checked URL: where to connect and what to send."""

    scheme: str
    host: str
    #: None when the URL names none (the scheme's default).
    port: int | None
    #: Path and query, as sent on the request line.
    raw_path: bytes
    #: ``host[:port]``, as sent in ``Host``.
    netloc: bytes


def plain_parts(url: str) -> UrlParts | None:
    """``url`` taken apart if it has the plain shape (and a port in range), else None."""
    match = _PLAIN.fullmatch(url)
    if match is None:
        return None
    scheme, host, port_text, path = match.groups()
    if "/." in path:
        return None  # dot segments, which httpx removes
    if not any("a" <= c <= "z" for c in host) and not _IPV4.fullmatch(host):
        return None  # all digits and dots, yet not an IPv4 address ("1.2.3")
    port = int(port_text) if port_text else None
    if port is not None and (port > 65535 or port == DEFAULT_PORTS[scheme]):
        return None  # httpx refuses the one and drops the other: let it say which
    netloc = f"{host}:{port}" if port is not None else host
    return UrlParts(scheme, host, port, path.encode("ascii"), netloc.encode("ascii"))


def check_parts(
    url: str,
    *,
    allow_http: bool,
    allow_private_addresses: bool,
    is_forbidden: AddressPredicate,
) -> UrlParts:
    """:func:`federation.ssrf.check_url`'s verdict on ``url``, and its parts."""
    parts = plain_parts(url)
    if parts is None:
        parsed: httpx.URL = check_url(
            url,
            allow_http=allow_http,
            allow_private_addresses=allow_private_addresses,
            is_forbidden=is_forbidden,
        )
        return UrlParts(parsed.scheme, parsed.host, parsed.port, parsed.raw_path, parsed.netloc)
    judge_url_parts(
        parts.scheme,
        b"",
        parts.host,
        parts.host.encode("ascii"),
        allow_http=allow_http,
        allow_private_addresses=allow_private_addresses,
        is_forbidden=is_forbidden,
    )
    return parts
