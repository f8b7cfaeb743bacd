"""The plain-URL fast path agrees with httpx's parser on every URL it takes apart,
and gives the SSRF guard's verdict on it."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation import plain_url
from federation.errors import UnsafeURLError
from federation.plain_url import UrlParts, check_parts, plain_parts
from federation.ssrf import check_url, is_forbidden_address


def httpx_parts(url: str) -> UrlParts:
    parsed = httpx.URL(url)
    return UrlParts(parsed.scheme, parsed.host, parsed.port, parsed.raw_path, parsed.netloc)


# Pieces chosen to sit on the pattern's edges: case, escapes, dots, ports,
# numeric hosts, the characters httpx rewrites or refuses.
_HOST_PIECES = st.sampled_from(
    ["a", "b1", "x-y", "-a", "a-", "A", "0", "00", "127", "255", "256", "1", "_", "%41", ""]
)
_PATH_PIECES = st.sampled_from(
    ["", "inbox", "users", "a.b", ".", "..", "~x", "%2F", "a b", "é", "?q", "#f", "@", ":", "\\"]
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "ftp"]))
    host = ".".join(draw(st.lists(_HOST_PIECES, min_size=1, max_size=5)))
    port = draw(st.sampled_from(["", ":80", ":443", ":0", ":1", ":8080", ":65535", ":65536", ":"]))
    path = "/".join(draw(st.lists(_PATH_PIECES, max_size=5)))
    lead = draw(st.sampled_from(["/", "", "//"]))
    return f"{scheme}://{host}{port}{lead}{path}"


@settings(deadline=None)  # what is checked is the parse, not its time on a busy machine
@given(urls())
def test_what_the_fast_path_takes_apart_httpx_takes_apart_the_same(url: str) -> None:
    parts = plain_parts(url)
    if parts is not None:
        assert parts == httpx_parts(url)


@settings(deadline=None)
@given(st.from_regex(plain_url._PLAIN, fullmatch=True))
def test_every_url_of_the_pattern_is_taken_apart_as_httpx_does(url: str) -> None:
    parts = plain_parts(url)
    if parts is not None:  # a port out of range, a dot segment: httpx decides
        assert parts == httpx_parts(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://mastodon.social/inbox",
        "http://127.0.0.1:20000/inbox",
        "https://school-7.example.org/users/tess/inbox",
        "https://a.example:8443/inbox",
    ],
)
def test_plain_inbox_urls_take_the_fast_path(url: str) -> None:
    parts = plain_parts(url)
    assert parts is not None
    assert parts == httpx_parts(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://Mastodon.social/inbox",  # httpx lowercases
        "https://h.example:443/inbox",  # httpx drops the default port
        "https://h.example/a/../inbox",  # httpx removes dot segments
        "https://h.example/inbox?x=1",
        "https://h.example/in%62ox",
        "https://u@h.example/inbox",
        "http://[::1]/inbox",
        "http://1.2.3/inbox",  # digits and dots, not an address
        "http://127.000.0.1/inbox",
        "https://h.example",
        "https://h.example:99999/inbox",
    ],
)
def test_other_urls_go_to_httpx(url: str) -> None:
    assert plain_parts(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:20000/inbox",
        "https://10.0.0.5/inbox",
        "https://169.254.169.254/latest",
        "ftp://h.example/inbox",
        "http://h.example/inbox",  # http not allowed here
        "https://[::1]/inbox",
        "https://u:p@h.example/inbox",
        "https://h.example/inbox",
    ],
)
def test_check_parts_gives_check_urls_verdict(url: str) -> None:
    options = {"allow_http": False, "allow_private_addresses": False}
    try:
        parsed = check_url(url, is_forbidden=is_forbidden_address, **options)
    except UnsafeURLError as refused:
        with pytest.raises(UnsafeURLError, match=str(refused).split(" (")[0]):
            check_parts(url, is_forbidden=is_forbidden_address, **options)
        return
    parts = check_parts(url, is_forbidden=is_forbidden_address, **options)
    assert parts == UrlParts(
        parsed.scheme, parsed.host, parsed.port, parsed.raw_path, parsed.netloc
    )
