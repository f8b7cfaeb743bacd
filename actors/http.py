"""Small HTTP helpers shared by the federation-facing routes."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from federation.constants import ACTIVITY_JSON

AS_MEDIA_TYPES = ("application/activity+json", "application/ld+json", "application/json")


class ActivityResponse(Response):
    media_type = ACTIVITY_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def wants_activity_json(request: Request) -> bool:
    """Content negotiation: AS2 for servers, HTML for browsers, AS2 by default."""
    accept = request.headers.get("accept", "").lower()
    if any(media in accept for media in AS_MEDIA_TYPES):
        return True
    return "text/html" not in accept


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
