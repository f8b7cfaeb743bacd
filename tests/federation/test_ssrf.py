"""The SSRF guard's address table and URL checks (no network)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.errors import FetchError, UnsafeURLError
from federation.ssrf import (
    Resolver,
    check_url,
    is_forbidden_address,
    literal_address,
    resolve_checked,
)

FORBIDDEN = [
    # IPv4
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "this network 0/8"),
    ("10.0.0.1", "private 10/8"),
    ("10.255.255.255", "private 10/8, top"),
    ("100.64.0.1", "CGNAT 100.64/10"),
    ("100.127.255.254", "CGNAT 100.64/10, top"),
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback 127/8"),
    ("169.254.169.254", "link-local, cloud metadata"),
    ("172.16.0.1", "private 172.16/12"),
    ("172.31.255.255", "private 172.16/12, top"),
    ("192.0.0.8", "IETF protocol assignments"),
    ("192.0.2.10", "TEST-NET-1"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("192.168.1.1", "private 192.168/16"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.7", "TEST-NET-2"),
    ("203.0.113.9", "TEST-NET-3"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast SSDP"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    # IPv6
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("::7f00:1", "IPv4-compatible (deprecated)"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::ffff:169.254.169.254", "IPv4-mapped metadata"),
    ("::ffff:0:a00:1", "IPv4-translated"),
    ("64:ff9b::7f00:1", "NAT64 of loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 of metadata"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("2002:7f00:1::1", "6to4 of loopback"),
    ("2002:c0a8:101::1", "6to4 of 192.168.1.1"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo, client 10.0.0.1"),
    ("100::1", "discard-only"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation (RFC 9637)"),
    ("fc00::1", "unique-local fc00::/7"),
    ("fd12:3456::1", "unique-local fd00::/8"),
    ("fe80::1", "link-local"),
    ("fe80::1%1", "link-local with scope"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff05::2", "multicast site"),
]

ALLOWED = [
    ("1.1.1.1", "public v4"),
    ("8.8.8.8", "public v4"),
    ("93.184.215.14", "public v4"),
    ("100.63.255.255", "just below CGNAT"),
    ("100.128.0.0", "just above CGNAT"),
    ("172.15.255.255", "just below 172.16/12"),
    ("172.32.0.0", "just above 172.16/12"),
    ("192.0.3.1", "next to TEST-NET-1"),
    ("223.255.255.255", "just below multicast"),
    ("2606:4700:4700::1111", "public v6"),
    ("2a00:1450:4001:80b::200e", "public v6"),
    ("::ffff:1.1.1.1", "IPv4-mapped public"),
    ("64:ff9b::101:101", "NAT64 of public 1.1.1.1"),
    ("2002:101:101::1", "6to4 of public 1.1.1.1"),
]


@pytest.mark.parametrize(("ip", "why"), FORBIDDEN, ids=[f"{ip} {why}" for ip, why in FORBIDDEN])
def test_forbidden_addresses(ip: str, why: str) -> None:
    assert is_forbidden_address(ip), why
    assert is_forbidden_address(ipaddress.ip_address(ip)), why


@pytest.mark.parametrize(("ip", "why"), ALLOWED, ids=[f"{ip} {why}" for ip, why in ALLOWED])
def test_allowed_addresses(ip: str, why: str) -> None:
    assert not is_forbidden_address(ip), why


def test_not_an_address_raises() -> None:
    with pytest.raises(ValueError, match="does not appear to be"):
        is_forbidden_address("example.com")


@pytest.mark.parametrize(
    ("url", "allow_http", "message"),
    [
        ("ftp://example.com/x", True, "scheme"),
        ("file:///etc/passwd", True, "scheme"),
        ("gopher://example.com/", True, "scheme"),
        ("http://example.com/", False, "scheme"),
        ("//example.com/", False, "scheme"),
        ("https://user:secret@example.com/", False, "credentials"),
        ("https://user@example.com/", False, "credentials"),
        ("https://example.com\\@127.0.0.1/", False, "credentials"),
        ("https:///path-only", False, "no host"),
        ("https://127.0.0.1/", False, "not a public address"),
        ("https://[::1]/", False, "not a public address"),
        ("https://[::ffff:7f00:1]/", False, "not a public address"),
        ("http://169.254.169.254/latest/meta-data/", True, "not a public address"),
        ("https://10.0.0.5:8443/inbox", False, "not a public address"),
        ("https://exa mple.com/", False, "invalid host"),
        ("https://ex%41mple.com/", False, "invalid host"),
        ("https://-leading.example/", False, "invalid host"),
    ],
)
def test_check_url_refusals(url: str, allow_http: bool, message: str) -> None:
    with pytest.raises(UnsafeURLError, match=message):
        check_url(url, allow_http=allow_http)


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("https://mastodon.social/users/Gargron", False),
        ("https://example.com:8443/inbox", False),
        ("http://example.com/actor", True),
        ("https://1.1.1.1/", False),
        ("https://[2606:4700:4700::1111]/", False),
        ("https://bücher.example/", False),
        ("https://example.com./x", False),
        # Names are judged when they resolve, not here.
        ("https://localhost/", False),
    ],
)
def test_check_url_accepts(url: str, allow_http: bool) -> None:
    assert check_url(url, allow_http=allow_http).host


def test_check_url_private_allowed_when_configured() -> None:
    check_url("http://127.0.0.1:8001/actor", allow_http=True, allow_private_addresses=True)


def _resolver(answers: list[str]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        return answers

    return resolve


@pytest.mark.asyncio
async def test_resolution_refuses_if_any_address_is_forbidden() -> None:
    with pytest.raises(UnsafeURLError):
        await resolve_checked(
            "mixed.example",
            443,
            allow_private_addresses=False,
            resolver=_resolver(["93.184.215.14", "10.0.0.1"]),
        )
    ok = await resolve_checked(
        "mixed.example",
        443,
        allow_private_addresses=True,
        resolver=_resolver(["93.184.215.14", "10.0.0.1"]),
    )
    assert [str(a) for a in ok] == ["93.184.215.14", "10.0.0.1"]


@pytest.mark.asyncio
async def test_resolution_failures() -> None:
    async def fail(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "no such name")

    with pytest.raises(FetchError, match="could not resolve"):
        await resolve_checked("nx.example", 443, allow_private_addresses=False, resolver=fail)
    with pytest.raises(FetchError, match="could not resolve"):
        await resolve_checked(
            "empty.example", 443, allow_private_addresses=False, resolver=_resolver([])
        )
    with pytest.raises(UnsafeURLError):
        await resolve_checked(
            "odd.example", 443, allow_private_addresses=False, resolver=_resolver(["not-an-ip"])
        )


@pytest.mark.asyncio
async def test_literal_address_is_not_looked_up() -> None:
    async def boom(host: str, port: int) -> list[str]:
        raise AssertionError("resolver called for a literal address")

    addresses = await resolve_checked("1.1.1.1", 443, allow_private_addresses=False, resolver=boom)
    assert [str(a) for a in addresses] == ["1.1.1.1"]


# -- literal_address: telling an address from a name without ipaddress's failed parses --

_ADDRESS_PIECES = st.sampled_from(
    ["1", "127", "0", "255", "256", "01", ".", ":", "::", "a", "f", "g", "x", "%", "eth0", " "]
)


@settings(deadline=None)  # the suite runs beside other work; time is not what this checks
@given(st.lists(_ADDRESS_PIECES, max_size=9).map("".join) | st.text(max_size=12))
def test_literal_address_agrees_with_ipaddress(host: str) -> None:
    try:
        expected: object = ipaddress.ip_address(host)
    except ValueError:
        expected = None
    assert literal_address(host) == expected


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "::1", "fe80::1%eth0", "::ffff:10.0.0.1", "2001:db8::a", "8.8.8.8"],
)
def test_literal_address_parses_every_kind_of_literal(host: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(host)


@pytest.mark.parametrize("host", ["example.org", "host1", "1.2.3.4.", "0x7f000001", ""])
def test_literal_address_leaves_names_and_non_addresses_alone(host: str) -> None:
    assert literal_address(host) is None
