"""``GET /.well-known/oauth-authorization-server`` (RFC 8414), as Mastodon 4.3 serves it.

Clients read it to find the endpoints, to learn which scopes exist (``profile``
only on 4.3+) and whether the password grant is gone; Mastodon.py takes the
authorization and token endpoints from here when present.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.context import NodeContext
from actors.oauth import scopes
from actors.oauth.codes import PKCE_METHODS
from api.oauth.token import GRANT_TYPES


def authorization_server_metadata(base_url: str) -> dict[str, object]:
    return {
        "issuer": f"{base_url}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base_url}/oauth/authorize",
        "token_endpoint": f"{base_url}/oauth/token",
        "revocation_endpoint": f"{base_url}/oauth/revoke",
        "app_registration_endpoint": f"{base_url}/api/v1/apps",
        "scopes_supported": list(scopes.ALL),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": list(PKCE_METHODS),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }


async def metadata(request: Request) -> Response:
    node: NodeContext = request.app.state.node
    return JSONResponse(authorization_server_metadata(node.config.base_url))


routes = [Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"])]
