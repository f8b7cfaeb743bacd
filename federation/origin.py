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


def same_origin(a: str, b: str) -> bool:
    return origin_of(a) == origin_of(b)


def strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]
