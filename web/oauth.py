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

from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors import web_sessions
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
from storage.models import Account, Actor
from web import cookies
from web.i18n import gettext as _
from web.page import PageError, Visitor, error_page, read_form, render, visit

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
# Never let a referrer carry a code or a state to another site.
OAUTH_HEADERS = {"Referrer-Policy": "no-referrer"}


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` appended to its query (any scheme, as registered)."""
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def _message(visitor: Visitor, title: str, message: str, status: int) -> Response:
    return error_page(visitor, PageError(status, message, title))


def _refuse(visitor: Visitor, exc: AuthorizationError) -> Response:
    """Deliver an OAuth error to the app, or show it when the app reads codes off the page."""
    if exc.redirect_uri == OOB:
        return _message(visitor, _("Authorization failed"), exc.description, 400)
    params = {"error": exc.error, "error_description": exc.description}
    if exc.state is not None:
        params["state"] = exc.state
    return RedirectResponse(with_query(exc.redirect_uri, params), status_code=302)


def _login(
    visitor: Visitor,
    auth: AuthorizationRequest,
    *,
    error: str | None = None,
    login: str = "",
    status: int = 200,
) -> Response:
    return render(
        visitor,
        "oauth/login.html",
        status=status,
        headers=OAUTH_HEADERS,
        action="/oauth/authorize",
        app_name=auth.app.name,
        hidden={"step": "login", **auth.as_params()},
        error=error,
        login=login,
    )


def _consent(visitor: Visitor, auth: AuthorizationRequest, actor: Actor) -> Response:
    switch = "/oauth/authorize?" + urlencode({**auth.as_params(), "force_login": "true"})
    return render(
        visitor,
        "oauth/consent.html",
        headers=OAUTH_HEADERS,
        app_name=auth.app.name,
        app_website=auth.app.website,
        handle=f"@{actor.username}@{visitor.node.config.domain}",
        scopes=[(scope, scope_rules.describe(scope)) for scope in auth.scopes],
        hidden={"step": "consent", **auth.as_params()},
        switch_account_url=switch,
    )


async def authorize_page(request: Request) -> Response:
    visitor = await visit(request)
    params = {
        key: request.query_params[key] for key in REQUEST_FIELDS if key in request.query_params
    }
    async with visitor.node.sessions() as session:
        try:
            auth = await parse_authorization_request(session, params)
        except UnsafeRedirectError as exc:
            return _message(visitor, _("Authorization failed"), exc.message, 400)
        except AuthorizationError as exc:
            return _refuse(visitor, exc)
    force_login = request.query_params.get("force_login", "").lower() in _TRUE
    if force_login or visitor.actor is None:
        return _login(visitor, auth)
    return _consent(visitor, auth, visitor.actor)


async def authorize_submit(request: Request) -> Response:
    visitor = await visit(request)
    try:
        form = await read_form(request, visitor)
    except PageError as exc:
        return error_page(visitor, exc)
    fields = form.fields
    params = {key: fields[key] for key in REQUEST_FIELDS if key in fields}
    async with visitor.node.sessions() as session:
        try:
            auth = await parse_authorization_request(session, params)
        except UnsafeRedirectError as exc:
            return _message(visitor, _("Authorization failed"), exc.message, 400)
        except AuthorizationError as exc:
            return _refuse(visitor, exc)
    step = fields.get("step")
    if step == "login":
        return await _submit_login(request, visitor, auth, fields)
    if step == "consent":
        return await _submit_consent(visitor, auth, fields.get("decision"))
    return _message(visitor, _("Authorization failed"), _("Unknown form step."), 400)


async def start_session(
    request: Request, response: Response, visitor: Visitor, account: Account
) -> None:
    """A new session row and its cookie, and a fresh CSRF cookie (one planted before is void)."""
    config = visitor.node.config
    assert account.id is not None
    async with visitor.node.sessions() as session:
        key = await web_sessions.start(
            session,
            account.id,
            user_agent=request.headers.get("user-agent", ""),
            ip=request.client.host if request.client is not None else "",
        )
        await session.commit()
    cookies.set_cookie(
        response, config, cookies.SESSION_COOKIE, cookies.session_value(config, account, key)
    )
    cookies.set_cookie(response, config, cookies.CSRF_COOKIE, cookies.csrf_cookie(config, None))


async def check_password(
    request: Request, visitor: Visitor, login: str, password: str
) -> tuple[Account | None, dict[str, str]]:
    """The account for a login and password (rate-limited per client IP: PageError 429)."""
    node = visitor.node
    ip = request.client.host if request.client is not None else "unknown"
    rate = Rate(node.config.login_rate_limit, FIVE_MINUTES)
    decision = bucket_for(request.app.state, "login", rate).hit(ip)
    if not decision.allowed:
        raise PageError(
            429,
            _("Too many sign-in attempts from your network. Wait a few minutes and try again."),
            headers=decision.headers(),
        )
    async with node.sessions() as session:
        account = await authenticate(session, login, password, domain=node.config.domain)
    return account, decision.headers()


async def _submit_login(
    request: Request, visitor: Visitor, auth: AuthorizationRequest, fields: dict[str, str]
) -> Response:
    login = fields.get("username", "")
    try:
        account, limit_headers = await check_password(
            request, visitor, login, fields.get("password", "")
        )
    except PageError as exc:
        return error_page(visitor, exc)
    if account is None:
        return _login(
            visitor, auth, error=_("Invalid username or password."), login=login, status=422
        )
    next_url = "/oauth/authorize?" + urlencode(auth.as_params())
    response = RedirectResponse(next_url, status_code=303, headers=limit_headers)
    await start_session(request, response, visitor, account)
    return response


async def _submit_consent(
    visitor: Visitor, auth: AuthorizationRequest, decision: str | None
) -> Response:
    if visitor.account is None or visitor.actor is None:  # the session ended between the pages
        return _login(visitor, auth, error=_("Your session has ended. Please sign in again."))
    if decision != "approve":
        return _refuse(
            visitor,
            AuthorizationError(
                "access_denied",
                "The resource owner or authorization server denied the request.",
                auth.redirect_uri,
                auth.state,
            ),
        )
    async with visitor.node.sessions() as session:
        code = await issue_code(session, auth, visitor.account)
        await session.commit()
    if auth.out_of_band:
        return render(
            visitor, "oauth/code.html", headers=OAUTH_HEADERS, app_name=auth.app.name, code=code
        )
    params = {"code": code}
    if auth.state is not None:
        params["state"] = auth.state
    return RedirectResponse(with_query(auth.redirect_uri, params), status_code=302)


async def authorize(request: Request) -> Response:
    if request.method == "POST":
        return await authorize_submit(request)
    return await authorize_page(request)


routes = [Route("/oauth/authorize", authorize, methods=["GET", "POST"])]
