"""The default images a Mastodon app expects to be able to load from the node.

Mastodon gives an account without an avatar or header the URL of a stock
``missing.png``; apps load it unconditionally, so it must exist. Ours is a
plain grey square, drawn here as a PNG once at import (no image library
needed), and doubles as the instance thumbnail.
"""

from __future__ import annotations

import struct
import zlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.entities.account import MISSING_AVATAR_PATH, MISSING_HEADER_PATH

THUMBNAIL_PATH = "/instance/thumbnail.png"
_SIZE = 120
_GREY = (0xC8, 0xCC, 0xD0)
_CACHE = {"Cache-Control": "public, max-age=86400"}


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour: signature, IHDR, one zlib IDAT, IEND."""
    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height, 9))
        + _chunk(b"IEND", b"")
    )


MISSING_PNG = solid_png(_SIZE, _SIZE, _GREY)


async def missing_png(_request: Request) -> Response:
    return Response(MISSING_PNG, media_type="image/png", headers=_CACHE)


routes = [
    Route(MISSING_AVATAR_PATH, missing_png, methods=["GET"]),
    Route(MISSING_HEADER_PATH, missing_png, methods=["GET"]),
    Route(THUMBNAIL_PATH, missing_png, methods=["GET"]),
]
