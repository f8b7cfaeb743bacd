"""``same_origin`` reads a URL under the other's origin by its text alone, and that
verdict is always urlsplit's: the two URLs' schemes and hosts, parsed, compared."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.origin import origin_of, same_origin


def parsed_verdict(a: str, b: str) -> bool | type[Exception]:
    """Both URLs parsed: the rule as first written (or what it raised)."""
    try:
        pa, pb = urlsplit(a), urlsplit(b)
        return (pa.scheme.lower(), pa.netloc.lower()) == (pb.scheme.lower(), pb.netloc.lower())
    except ValueError:
        return ValueError


def verdict(a: str, b: str) -> bool | type[Exception]:
    try:
        return same_origin(a, b)
    except ValueError:
        return ValueError


# Pieces on urlsplit's edges: case, no or odd schemes, userinfo, ports, brackets
# (valid, invalid, IPv4 inside), non-ASCII hosts (one NFKC-expands to "a/c"),
# the characters it strips or removes, and what may end a host.
_SCHEMES = st.sampled_from(["https", "HTTP", "h+x", "1a", "", "é", " http", "ht\ttp"])
_SEPARATORS = st.sampled_from(["://", ":", "//", ":///", ":/"])
_HOST_PIECES = st.sampled_from(
    [
        "a.example", "A.Example", "u:p@", "@", ":8443", ":", "[::1]", "[::FFFF:1.2.3.4]",
        "[v1.x]", "[V1.x]", "[1.2.3.4]", "[", "]", "é", "\uff21\uff22", "\u2100", "İ", "\t", "\n",
        " ", "%41", ".", "",
    ]
)  # fmt: skip
_TAILS = st.sampled_from(["", "/", "?", "#", "/users/x", "\t/", " /", ":", "@", "x", ".evil", "/é"])


@st.composite
def urls(draw: st.DrawFn) -> str:
    host = "".join(draw(st.lists(_HOST_PIECES, max_size=3)))
    tail = "".join(draw(st.lists(_TAILS, max_size=2)))
    return f"{draw(_SCHEMES)}{draw(_SEPARATORS)}{host}{tail}"


@st.composite
def pairs(draw: st.DrawFn) -> tuple[str, str]:
    """``a`` and a ``b`` that often begins with ``a``'s origin, or with ``a`` itself."""
    a = draw(urls())
    try:
        start = draw(st.sampled_from([origin_of(a), a, a.lower(), a.upper()]))
    except ValueError:
        start = a
    tail = "".join(draw(st.lists(_TAILS, max_size=3)))
    b = draw(st.one_of(st.just(start + tail), urls()))
    return a, b


@settings(deadline=None, max_examples=2000)
@given(pairs())
def test_every_verdict_is_that_of_both_urls_parsed(pair: tuple[str, str]) -> None:
    a, b = pair
    assert verdict(a, b) == parsed_verdict(a, b)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://a.example/inbox", "https://a.example/users/u", True),
        ("https://a.example/inbox", "https://a.example", True),
        ("https://a.example/inbox", "https://a.example?u", True),
        ("https://A.example/inbox", "https://a.example/users/u", True),
        ("https://a.example/inbox", "HTTPS://A.EXAMPLE/users/u", True),
        ("https://a.example/inbox", "https://a.example.evil/users/u", False),
        ("https://a.example/inbox", "https://a.example:8443/users/u", False),
        ("https://a.example/inbox", "https://a.example@evil.example/users/u", False),
        ("https://a.example/inbox", "http://a.example/users/u", False),
        ("//a.example/inbox", "://a.example/users/u", False),  # no scheme: not a host there
    ],
)
def test_same_origin_examples(a: str, b: str, same: bool) -> None:
    assert same_origin(a, b) is same
    assert parsed_verdict(a, b) is same
