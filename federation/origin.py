"""Same-origin rules: who may speak for which ids."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit


@lru_cache(maxsize=4096)
def origin_of(url: str) -> str:
    """scheme://host[:port], lower-cased: ports make distinct hosts."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


# What may follow an origin in a URL of that origin: urlsplit ends the host at
# the first of these (or at the end).
_AFTER_ORIGIN = ("", "/", "?", "#")


def same_origin(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` have one origin (:func:`origin_of`).

    ``b`` is not parsed when its text begins with ``a``'s origin and then one
    of ``/ ? #`` or nothing: urlsplit then finds that same scheme and host in it.
    A post's audience judges its followers' ids, all different, against their
    hosts' few shared inbox URLs (:mod:`outbox.audience`): parsing each id
    afresh cost 3 us a follower, as no cache holds tens of thousands of them.
    That path is taken only with a scheme (in a text that begins ``://``
    urlsplit finds no host) and in ASCII (where lower-casing is plain and
    urlsplit's NFKC check does not apply). ``tests/federation/test_origin.py``
    holds every verdict to the parse of both URLs.
    """
    origin = origin_of(a)
    end = len(origin)
    if (
        b.startswith(origin)
        and b[end : end + 1] in _AFTER_ORIGIN
        and origin[0] != ":"
        and origin.isascii()
    ):
        return True
    return origin == origin_of(b)


def strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]
