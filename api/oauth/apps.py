"""``POST /api/v1/apps`` and ``GET /api/v1/apps/verify_credentials``.

Registration is open to anyone (as on Mastodon), so it is rate-limited per
client IP. The Application entity carries the client secret only in the
registration response; ``verify_credentials`` returns the same fields minus
``client_id``/``client_secret``. ``redirect_uri`` is the registered URIs
joined by newlines (the pre-4.3 field older clients read) and
``redirect_uris`` the list. We offer no Web Push yet, so ``vapid_key`` is an
empty string rather than missing (clients read the field unconditionally).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.context import NodeContext
from actors.oauth.apps import AppValidationError, app_by_id, register_app
from api.auth import require_scope
from api.errors import ApiError
from api.params import read_params
from api.throttle import throttle
from storage.models import OAuthApp


def application_entity(app: OAuthApp, *, client_secret: str | None = None) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(app.redirect_uris),
        "redirect_uris": list(app.redirect_uris),
        "vapid_key": "",
    }
    if client_secret is not None:
        entity["client_id"] = app.client_id
        entity["client_secret"] = client_secret
        entity["client_secret_expires_at"] = 0
    return entity


def _redirect_uris(values: list[str]) -> list[str]:
    """A newline-separated string, an array, or an array of such strings."""
    return [line.strip() for value in values for line in value.splitlines() if line.strip()]


async def create_app(request: Request) -> Response:
    node: NodeContext = request.app.state.node
    limit = throttle(request, "app-registration", node.config.app_registration_rate_limit)
    params = await read_params(request)
    try:
        async with node.sessions() as session:
            new = await register_app(
                session,
                name=params.get("client_name") or "",
                redirect_uris=_redirect_uris(params.get_list("redirect_uris")),
                scopes=params.get("scopes"),
                website=params.get("website"),
            )
            await session.commit()
    except AppValidationError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from None
    body = application_entity(new.app, client_secret=new.client_secret)
    return JSONResponse(body, headers={**limit.headers(), "Cache-Control": "no-store"})


async def verify_app_credentials(request: Request) -> Response:
    principal = await require_scope(request)
    node: NodeContext = request.app.state.node
    app = None
    if principal.app_id is not None:
        async with node.sessions() as session:
            app = await app_by_id(session, principal.app_id)
    if app is None:
        raise ApiError(404, "This token was not issued to an application")
    return JSONResponse(application_entity(app))


routes = [
    Route("/api/v1/apps", create_app, methods=["POST"]),
    Route("/api/v1/apps/verify_credentials", verify_app_credentials, methods=["GET"]),
]
