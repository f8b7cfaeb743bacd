"""``/oauth/authorize``: the page where a person logs in and lets an app in.

``GET`` validates the request (:func:`actors.oauth.codes.parse_authorization_request`)
and shows the login form, or, with a live session, the consent page
(``force_login`` shows the login form regardless: that is how an app adds a
second account). The forms post back here, carrying the authorization
request as hidden fields (re-validated on every post) and a CSRF token:

- ``step=login`` checks the password (rate-limited per client IP), sets the
  session cookie and redirects (303) to the same request, now showing consent;
  a wrong password shows the form again with an error and no code;
- ``step=consent`` with ``decision=approve`` issues a code and redirects to
  the app's redirect URI (``?code=...&state=...``; custom schemes as
  registered), or, for ``urn:ietf:wg:oauth:2.0:oob``, shows the code on the
  page; ``decision=deny`` answers ``error=access_denied``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.formparsers import FormParser, MultiPartException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors.context import NodeContext
from actors.oauth import scopes as scope_rules
from actors.oauth.apps import OOB
from actors.oauth.codes import (
    AuthorizationError,
    AuthorizationRequest,
    UnsafeRedirectError,
    issue_code,
    parse_authorization_request,
)
from actors.oauth.login import authenticate
from actors.ratelimit import FIVE_MINUTES, Rate, bucket_for
from federation.errors import FederationError
from federation.limits import read_limited
from storage.models import Account, Actor
from web import cookies, pages

REQUEST_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
_TRUE = {"1", "true", "yes", "on"}
# Our own forms are a few hundred bytes; nothing bigger is read, let alone parsed.
MAX_FORM_BYTES = 64 * 1024


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` appended to its query (any scheme, as registered)."""
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def _message(node: NodeContext, title: str, message: str, status: int) -> Response:
    return pages.message_page(
        node_name=node.config.node_name, title=title, message=message, status=status
    )


def _refuse(node: NodeContext, exc: AuthorizationError) -> Response:
    """Deliver an OAuth error to the app, or show it when the app reads codes off the page."""
    if exc.redirect_uri == OOB:
        return _message(node, "Authorization failed", exc.description, 400)
    params = {"error": exc.error, "error_description": exc.description}
    if exc.state is not None:
        params["state"] = exc.state
    return RedirectResponse(with_query(exc.redirect_uri, params), status_code=302)


def _with_csrf(request: Request) -> tuple[str, str]:
    """The CSRF cookie to (re)set and the token for the form it protects."""
    config = _node(request).config
    cookie = cookies.csrf_cookie(config, request.cookies.get(cookies.CSRF_COOKIE))
    return cookie, cookies.csrf_token(config, cookie)


def _login(
    request: Request,
    auth: AuthorizationRequest,
    *,
    error: str | None = None,
    login: str = "",
    status: int = 200,
) -> Response:
    node = _node(request)
    cookie, token = _with_csrf(request)
    response = pages.login_page(
        node_name=node.config.node_name,
        app_name=auth.app.name,
        request_params=auth.as_params(),
        csrf=token,
        error=error,
        login=login,
        status=status,
    )
    cookies.set_cookie(response, node.config, cookies.CSRF_COOKIE, cookie)
    return response


def _consent(request: Request, auth: AuthorizationRequest, actor: Actor) -> Response:
    node = _node(request)
    cookie, token = _with_csrf(request)
    switch = "/oauth/authorize?" + urlencode({**auth.as_params(), "force_login": "true"})
    response = pages.consent_page(
        node_name=node.config.node_name,
        app_name=auth.app.name,
        app_website=auth.app.website,
        handle=f"@{actor.username}@{node.config.domain}",
        scopes=[(scope, scope_rules.describe(scope)) for scope in auth.scopes],
        request_params=auth.as_params(),
        csrf=token,
        switch_account_url=switch,
    )
    cookies.set_cookie(response, node.config, cookies.CSRF_COOKIE, cookie)
    return response


async def _signed_in(request: Request) -> tuple[Account, Actor] | None:
    node = _node(request)
    async with node.sessions() as session:
        account = await cookies.session_account(
            session, node.config, request.cookies.get(cookies.SESSION_COOKIE)
        )
        if account is None:
            return None
        actor = await session.get(Actor, account.actor_id)
    return None if actor is None else (account, actor)


async def authorize_page(request: Request) -> Response:
    node = _node(request)
    params = {
        key: request.query_params[key] for key in REQUEST_FIELDS if key in request.query_params
    }
    async with node.sessions() as session:
        try:
            auth = await parse_authorization_request(session, params)
        except UnsafeRedirectError as exc:
            return _message(node, "Authorization failed", exc.message, 400)
        except AuthorizationError as exc:
            return _refuse(node, exc)
    force_login = request.query_params.get("force_login", "").lower() in _TRUE
    signed_in = None if force_login else await _signed_in(request)
    if signed_in is None:
        return _login(request, auth)
    return _consent(request, auth, signed_in[1])


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == _node(request).config.base_url


async def _form_fields(request: Request) -> dict[str, str] | None:
    """The posted form (urlencoded, as browsers send ours), or None if unreadable."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return None
    try:
        body = await read_limited(request.headers, request.stream(), MAX_FORM_BYTES)

        async def chunks() -> AsyncGenerator[bytes, None]:
            yield body

        form = await FormParser(request.headers, chunks()).parse()
    except (FederationError, MultiPartException):
        return None
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def authorize_submit(request: Request) -> Response:
    node = _node(request)
    fields = await _form_fields(request)
    if fields is None:
        return _message(node, "Authorization failed", "The form could not be read.", 400)
    csrf_ok = cookies.csrf_valid(
        node.config, request.cookies.get(cookies.CSRF_COOKIE), fields.get("authenticity_token")
    )
    if not csrf_ok or not _same_origin(request):
        return _message(
            node,
            "Request refused",
            "This form has expired or did not come from this site. Go back, reload and try again.",
            403,
        )
    params = {key: fields[key] for key in REQUEST_FIELDS if key in fields}
    async with node.sessions() as session:
        try:
            auth = await parse_authorization_request(session, params)
        except UnsafeRedirectError as exc:
            return _message(node, "Authorization failed", exc.message, 400)
        except AuthorizationError as exc:
            return _refuse(node, exc)
    step = fields.get("step")
    if step == "login":
        return await _submit_login(request, auth, fields)
    if step == "consent":
        return await _submit_consent(request, auth, fields.get("decision"))
    return _message(node, "Authorization failed", "Unknown form step.", 400)


async def _submit_login(
    request: Request, auth: AuthorizationRequest, fields: dict[str, str]
) -> Response:
    node = _node(request)
    ip = request.client.host if request.client is not None else "unknown"
    rate = Rate(node.config.login_rate_limit, FIVE_MINUTES)
    decision = bucket_for(request.app.state, "login", rate).hit(ip)
    if not decision.allowed:
        return pages.message_page(
            node_name=node.config.node_name,
            title="Too many attempts",
            message="Too many log-in attempts from your network. Wait a few minutes and try again.",
            status=429,
            headers=decision.headers(),
        )
    login = fields.get("username", "")
    async with node.sessions() as session:
        account = await authenticate(
            session, login, fields.get("password", ""), domain=node.config.domain
        )
    if account is None:
        return _login(request, auth, error="Invalid username or password.", login=login, status=422)
    next_url = "/oauth/authorize?" + urlencode(auth.as_params())
    response = RedirectResponse(next_url, status_code=303, headers=decision.headers())
    cookies.set_cookie(
        response, node.config, cookies.SESSION_COOKIE, cookies.session_value(node.config, account)
    )
    # A fresh CSRF cookie too, so one planted before the login is worthless after it.
    cookies.set_cookie(
        response, node.config, cookies.CSRF_COOKIE, cookies.csrf_cookie(node.config, None)
    )
    return response


async def _submit_consent(
    request: Request, auth: AuthorizationRequest, decision: str | None
) -> Response:
    node = _node(request)
    signed_in = await _signed_in(request)
    if signed_in is None:  # the session ended between the two pages
        return _login(request, auth, error="Your session has ended. Please log in again.")
    if decision != "approve":
        return _refuse(
            node,
            AuthorizationError(
                "access_denied",
                "The resource owner or authorization server denied the request.",
                auth.redirect_uri,
                auth.state,
            ),
        )
    async with node.sessions() as session:
        code = await issue_code(session, auth, signed_in[0])
        await session.commit()
    if auth.out_of_band:
        return pages.code_page(node_name=node.config.node_name, app_name=auth.app.name, code=code)
    params = {"code": code}
    if auth.state is not None:
        params["state"] = auth.state
    return RedirectResponse(with_query(auth.redirect_uri, params), status_code=302)


async def authorize(request: Request) -> Response:
    if request.method == "POST":
        return await authorize_submit(request)
    return await authorize_page(request)


routes = [Route("/oauth/authorize", authorize, methods=["GET", "POST"])]
