"""Request headers as both signature schemes see them.

Both draft-cavage and RFC 9421 name headers in lowercase, trim each value and
join repeated fields with ``", "``. Servers hand us headers in different shapes:
Starlette's ``Headers`` returns only the *first* value from ``[]`` (the rest
via ``getlist``), HTTPX's joins them already, a plain ``dict`` has one value per
key in whatever case the caller used. ``normalize_headers`` turns all of them
into one ``{lowercase name: combined value}`` dict so that the signing string
we rebuild is the one the sender signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from federation.constants import DEFAULT_PORTS


@runtime_checkable
class _StarletteLike(Protocol):
    def getlist(self, key: str) -> list[str]: ...


@runtime_checkable
class _HttpxLike(Protocol):
    def get_list(self, key: str, split_commas: bool = False) -> list[str]: ...


def _combine(values: Iterable[str]) -> str:
    return ", ".join(value.strip() for value in values)


def normalize_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return ``headers`` with lowercase names and repeated fields combined."""
    raw = getattr(headers, "raw", None)
    if isinstance(raw, list):
        # ASGI/Starlette headers: already-lowercase (bytes, bytes) pairs. This
        # is the inbox hot path, so skip the generic (Protocol-checked) route.
        combined: dict[str, str] = {}
        for name_bytes, value_bytes in raw:
            name = name_bytes.decode("latin-1").lower()
            value = value_bytes.decode("latin-1").strip()
            combined[name] = f"{combined[name]}, {value}" if name in combined else value
        return combined
    if type(headers) is dict:
        # Checked first: runtime Protocol checks cost more than the whole loop.
        return _from_plain_mapping(headers)
    names = {name.lower(): name for name in headers}
    result: dict[str, str] = {}
    if isinstance(headers, _StarletteLike):
        for lower, name in names.items():
            result[lower] = _combine(headers.getlist(name))
        return result
    if isinstance(headers, _HttpxLike):
        for lower, name in names.items():
            result[lower] = _combine(headers.get_list(name))
        return result
    return _from_plain_mapping(headers)


def _from_plain_mapping(headers: Mapping[str, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in result:
            # A case-insensitive duplicate in a plain dict ("Accept" and
            # "accept"): both are field lines of the same field.
            result[lower] = f"{result[lower]}, {value.strip()}"
        else:
            result[lower] = value.strip()
    return result


def normalize_authority(authority: str, scheme: str) -> str:
    """Lowercase a Host value and drop the scheme's default port.

    RFC 9421 ``@authority`` and ``@target-uri`` use the normalized authority
    (RFC 9110 section 4.2.3), so ``Example.COM:443`` over https is
    ``example.com``. Other ports stay: ``127.0.0.1:8001`` is its own host.
    """
    authority = authority.strip().lower()
    if authority.startswith("["):  # IPv6 literal: the port follows "]"
        end = authority.find("]") + 1
        host, port = authority[:end], authority[end:].removeprefix(":")
    else:
        host, _, port = authority.partition(":")
    if port.isdigit() and DEFAULT_PORTS.get(scheme.lower()) == int(port):
        return host
    return authority


def split_url(url: str) -> tuple[str, str, str]:
    """Split an absolute URL into (scheme, authority, request target).

    The request target is path plus query, as it goes on the request line
    (``/`` when the path is empty). The authority has no user info and no
    default port.
    """
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    scheme = parts.scheme.lower()
    netloc = parts.netloc.rpartition("@")[2]
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return scheme, normalize_authority(netloc, scheme), target


def wire_bytes(text: str) -> bytes:
    """The bytes a header string stood for on the wire.

    ASGI servers decode header bytes as Latin-1, so encoding back as Latin-1
    restores what the sender signed even for non-ASCII values; text that is
    not Latin-1 (built by our own code) is sent as UTF-8 by HTTPX.
    """
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")
