"""``POST /oauth/token`` and ``POST /oauth/revoke`` (RFC 6749 §3.2, RFC 7009).

Grants: ``authorization_code`` (with PKCE S256/plain checked when the code
was requested with a challenge), ``client_credentials`` (an app-only token)
and ``refresh_token`` (rotating). The resource-owner ``password`` grant is
refused with ``unsupported_grant_type``, as Mastodon 4.4 does: apps must send
people to the login page instead of collecting passwords.

Clients authenticate with ``client_id``/``client_secret`` in the body or HTTP
Basic. Errors are RFC 6749 §5.2 bodies, ``{"error", "error_description"}``:
400, or 401 ``invalid_client``. Responses are never cached.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.context import NodeContext
from actors.oauth import grants
from actors.oauth.apps import authenticate_client
from actors.oauth.errors import OAuthError, invalid_client, invalid_request
from api.params import Params, read_params

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")


def oauth_error(exc: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Staffroom"'
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers=headers,
    )


def client_credentials_of(request: Request, params: Params) -> tuple[str | None, str | None]:
    """From HTTP Basic (form-encoded id and secret, RFC 6749 §2.3.1) or the body."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, sep, secret = decoded.partition(":")
        if sep:
            return unquote_plus(client_id), unquote_plus(secret)
        return None, None
    return params.get("client_id"), params.get("client_secret")


def token_response(issued: grants.IssuedToken) -> JSONResponse:
    body: dict[str, object] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.row.scopes,
        "created_at": int(issued.row.created_at.timestamp()),
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
    return JSONResponse(body, headers=NO_STORE)


async def _grant(
    node: NodeContext, grant_type: str, params: Params, app_creds: tuple[str | None, str | None]
) -> grants.IssuedToken:
    """Authenticate the client, then run one grant in one transaction."""
    async with node.sessions() as session:
        app = await authenticate_client(session, *app_creds)
        if app is None:
            raise invalid_client()
        try:
            if grant_type == "authorization_code":
                issued = await grants.exchange_code(
                    session,
                    app,
                    code=params.get("code"),
                    redirect_uri=params.get("redirect_uri"),
                    code_verifier=params.get("code_verifier"),
                )
            elif grant_type == "client_credentials":
                issued = await grants.client_credentials(session, app, params.get("scope"))
            else:
                issued = await grants.refresh(
                    session, app, params.get("refresh_token"), params.get("scope")
                )
        except OAuthError:
            await session.commit()  # a replayed code's revocation, a burnt code
            raise
        await session.commit()
    return issued


async def token(request: Request) -> Response:
    node: NodeContext = request.app.state.node
    params = await read_params(request, query=False)
    grant_type = params.get("grant_type")
    try:
        if not grant_type:
            raise invalid_request("The grant_type parameter is missing.")
        if grant_type not in GRANT_TYPES:
            raise OAuthError(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        issued = await _grant(node, grant_type, params, client_credentials_of(request, params))
    except OAuthError as exc:
        return oauth_error(exc)
    return token_response(issued)


async def revoke(request: Request) -> Response:
    node: NodeContext = request.app.state.node
    params = await read_params(request, query=False)
    try:
        async with node.sessions() as session:
            app = await authenticate_client(session, *client_credentials_of(request, params))
            if app is None:
                raise invalid_client()
            await grants.revoke(session, app, params.get("token"))
            await session.commit()
    except OAuthError as exc:
        return oauth_error(exc)
    return JSONResponse({}, headers=NO_STORE)


routes = [
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
]
