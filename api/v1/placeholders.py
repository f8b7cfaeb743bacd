"""Endpoints apps call at login or on their main screens, for features this node does not have.

Each answers as Mastodon does when there is nothing to show (an empty list,
default preferences), with the scope Mastodon requires, so apps render an
empty screen instead of an error: custom emojis, filters (v1 and v2), trends,
announcements, suggestions, followed and featured tags, domain blocks,
endorsements. Unknown ids under them are 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import optional_scope, require_user
from api.errors import ApiError
from api.routing import api_routes
from storage.models import Role

Endpoint = Callable[[Request], Awaitable[Response]]


def _empty_public(scope: str | None = None) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if scope is not None:
            await optional_scope(request, scope)
        return JSONResponse([])

    return endpoint


def _empty_for_user(scope: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        await require_user(request, scope)
        return JSONResponse([])

    return endpoint


def _not_found_for_user(scope: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        await require_user(request, scope)
        raise ApiError(404, "Record not found")

    return endpoint


async def preferences(request: Request) -> Response:
    """Posting and reading defaults (Mastodon's, but a student's posts default to
    ``local``, as their ``source.privacy`` says)."""
    user = await require_user(request, "read:accounts")
    return JSONResponse(
        {
            "posting:default:visibility": (
                "local" if user.account.role == Role.STUDENT else "public"
            ),
            "posting:default:sensitive": False,
            "posting:default:language": None,
            "posting:default:quote_policy": "public",
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
            "reading:autoplay:gifs": False,
        }
    )


routes = api_routes(
    ("/api/v1/preferences", preferences, ["GET"]),
    ("/api/v1/custom_emojis", _empty_public(), ["GET"]),
    ("/api/v1/filters", _empty_for_user("read:filters"), ["GET"]),
    ("/api/v1/filters/{id}", _not_found_for_user("read:filters"), ["GET"]),
    ("/api/v1/trends", _empty_public(), ["GET"]),
    ("/api/v1/trends/tags", _empty_public(), ["GET"]),
    ("/api/v1/trends/statuses", _empty_public(), ["GET"]),
    ("/api/v1/trends/links", _empty_public(), ["GET"]),
    ("/api/v1/announcements", _empty_for_user("read"), ["GET"]),
    ("/api/v1/suggestions", _empty_for_user("read"), ["GET"]),
    ("/api/v2/suggestions", _empty_for_user("read"), ["GET"]),
    ("/api/v1/followed_tags", _empty_for_user("read:follows"), ["GET"]),
    ("/api/v1/domain_blocks", _empty_for_user("read:blocks"), ["GET"]),
    ("/api/v1/endorsements", _empty_for_user("read:accounts"), ["GET"]),
    ("/api/v1/featured_tags", _empty_for_user("read:accounts"), ["GET"]),
    ("/api/v1/featured_tags/suggestions", _empty_for_user("read:accounts"), ["GET"]),
    ("/api/v1/accounts/{id:int}/featured_tags", _empty_public("read:accounts"), ["GET"]),
    ("/api/v1/accounts/{id:int}/identity_proofs", _empty_public("read:accounts"), ["GET"]),
)
