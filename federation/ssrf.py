"""The SSRF guard: which URLs and which IP addresses an outgoing request may reach.

A federated server fetches URLs that strangers hand it (actor ids, key ids,
inbox URLs, attachment links). Without a guard, ``https://evil.example/`` can
resolve to ``127.0.0.1`` or ``169.254.169.254`` and turn our fetcher into a
probe of the school's own network. Two checks, both needed:

* :func:`check_url` runs before a request is built: scheme, host, userinfo, and
  literal IP addresses (refused with zero connection attempts).
* :func:`resolve_checked` runs at connect time, inside the client's network
  backend: it resolves the host once, refuses if *any* address is forbidden,
  and hands back the validated addresses so that the connection goes to
  exactly those (no second lookup, hence no DNS rebinding window).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence

import httpx

from federation.errors import FetchError, UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Resolves ``(host, port)`` to numeric addresses; injectable for tests.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

#: Decides whether an address is off limits; injectable for tests.
AddressPredicate = Callable[[IPAddress], bool]

# Ranges that are never a fediverse server on the public internet. Python's
# ``is_private``/``is_global`` flags changed between patch releases, so the
# table is explicit and the flags are only a second net (see below).
_FORBIDDEN_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", includes the unspecified address
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT (shared address space)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata endpoints
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes 255.255.255.255 (broadcast)
    )
)

_FORBIDDEN_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # unspecified, loopback and deprecated IPv4-compatible addresses
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "100::/64",  # discard-only
        "2001:2::/48",  # benchmarking
        "2001:10::/28",  # ORCHID (deprecated)
        "2001:20::/28",  # ORCHIDv2
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs (RFC 9602)
        "fc00::/7",  # unique-local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_HOST_NAME = re.compile(rb"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?")

_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


def _parse_ip(ip: IPAddress | str) -> IPAddress:
    if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return ip
    return ipaddress.ip_address(ip)


def is_forbidden_address(ip: IPAddress | str) -> bool:
    """True if ``ip`` is not a public unicast address we may connect to.

    IPv6 forms that carry an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64)
    are judged by the IPv4 address they lead to. A string that is not an IP
    address raises ``ValueError``.
    """
    addr = _parse_ip(ip)
    if isinstance(addr, ipaddress.IPv4Address):
        return _is_forbidden_v4(addr)
    if addr.ipv4_mapped is not None:
        return _is_forbidden_v4(addr.ipv4_mapped)
    if addr in _NAT64_WELL_KNOWN:
        return _is_forbidden_v4(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    if addr.sixtofour is not None:
        return _is_forbidden_v4(addr.sixtofour)
    if addr.teredo is not None:
        server, client = addr.teredo
        return _is_forbidden_v4(server) or _is_forbidden_v4(client)
    if any(addr in net for net in _FORBIDDEN_V6):
        return True
    return bool(
        addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or addr.is_site_local
    )


def _is_forbidden_v4(addr: ipaddress.IPv4Address) -> bool:
    if any(addr in net for net in _FORBIDDEN_V4):
        return True
    return bool(
        addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


def check_url(
    url: str | httpx.URL,
    *,
    allow_http: bool,
    allow_private_addresses: bool = False,
    is_forbidden: AddressPredicate = is_forbidden_address,
) -> httpx.URL:
    """Refuse a URL we must not request, before any connection is made.

    The URL is parsed with httpx's parser, the same one the request will use,
    so that no parser differential (``http://a\\@b/``) slips past. A literal IP
    host is judged here; a host name is judged when it resolves (see
    :func:`resolve_checked`). Returns the parsed URL.
    """
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UnsafeURLError("invalid URL") from None
    judge_url_parts(
        parsed.scheme,
        parsed.userinfo,
        parsed.host,
        parsed.raw_host,
        allow_http=allow_http,
        allow_private_addresses=allow_private_addresses,
        is_forbidden=is_forbidden,
    )
    return parsed


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address, or None for a name.

    An IPv4 address ends in a decimal digit and an IPv6 one has a colon; any
    other host is a name, told without the two failed parses (and the
    exception) that :func:`ipaddress.ip_address` costs a name.
    """
    if ":" not in host and host[-1:] not in _DECIMAL_DIGITS:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


_DECIMAL_DIGITS = frozenset("0123456789")


def judge_url_parts(
    scheme: str,
    userinfo: bytes,
    host: str,
    raw_host: bytes,
    *,
    allow_http: bool,
    allow_private_addresses: bool,
    is_forbidden: AddressPredicate,
) -> None:
    """:func:`check_url`'s verdict on a URL already taken apart; raises if refused."""
    if scheme != "https" and not (scheme == "http" and allow_http):
        allowed = "https or http" if allow_http else "https"
        raise UnsafeURLError(f"URL scheme {scheme or '(none)'!r} not allowed (only {allowed})")
    if userinfo:
        raise UnsafeURLError("URL must not contain credentials (user:password@)")
    if not host:
        raise UnsafeURLError("URL has no host")
    literal = literal_address(host)
    if literal is None:
        # A name must be plain DNS syntax (IDNs arrive here as punycode): no
        # percent-escapes, spaces or other bytes a resolver might read oddly.
        if not _HOST_NAME.fullmatch(raw_host):
            raise UnsafeURLError("invalid host name")
        return
    if not allow_private_addresses and is_forbidden(literal):
        raise UnsafeURLError(f"address {host} is not a public address")


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's ``getaddrinfo``; numeric addresses, in order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


def check_literal(
    host: str, *, allow_private_addresses: bool, is_forbidden: AddressPredicate
) -> bool:
    """Whether ``host`` is a literal IP address (refused if forbidden); False for a name.

    A literal needs no lookup, so the connect-time guard judges it here, at
    no cost, and a name goes on to :func:`resolve_checked`.
    """
    literal = literal_address(host)
    if literal is None:
        return False
    if not allow_private_addresses and is_forbidden(literal):
        raise UnsafeURLError(f"host {host} resolves to a non-public address")
    return True


async def resolve_checked(
    host: str,
    port: int,
    *,
    allow_private_addresses: bool,
    resolver: Resolver = system_resolver,
    is_forbidden: AddressPredicate = is_forbidden_address,
) -> list[IPAddress]:
    """Resolve ``host`` and refuse it if ANY of its addresses is forbidden.

    Refusing on any (not all) forbidden address matters: a name that resolves
    to one public and one private address would otherwise let the connection
    attempt order decide. The caller must connect only to the returned
    addresses.
    """
    # A literal address needs no lookup (and a test resolver may not know it).
    if check_literal(
        host, allow_private_addresses=allow_private_addresses, is_forbidden=is_forbidden
    ):
        return [ipaddress.ip_address(host)]
    try:
        raw: Sequence[str] = await resolver(host, port)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"could not resolve host {host}") from None
    if not raw:
        raise FetchError(f"could not resolve host {host}")
    addresses: list[IPAddress] = []
    for item in raw:
        try:
            addresses.append(ipaddress.ip_address(item))
        except ValueError:
            # Fail closed: a resolver answer we cannot judge is not connected to.
            raise UnsafeURLError(f"host {host} resolved to an unusable address") from None
    if not allow_private_addresses:
        for addr in addresses:
            if is_forbidden(addr):
                raise UnsafeURLError(f"host {host} resolves to a non-public address")
    return addresses
