"""Signing in and out of the pages, and the language switch on every page.

The session is the OAuth pages' signed cookie (one account for the pages,
the OAuth consent and, through apps, the API). ``next=`` only ever leads
back into this site (:func:`web.page.safe_next`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors import account_settings, web_sessions
from actors.account_settings import LANGUAGES
from web import cookies
from web.i18n import gettext as _
from web.oauth import check_password, start_session
from web.page import PageError, Visitor, handler, read_form, redirect, render, safe_next

ONE_YEAR = 365 * 24 * 3600


async def login_page(request: Request, visitor: Visitor) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if visitor.signed_in:
        return redirect(next_url)
    return _form(visitor, next_url)


def _form(
    visitor: Visitor, next_url: str, *, error: str | None = None, login: str = "", status: int = 200
) -> Response:
    return render(
        visitor,
        "oauth/login.html",
        status=status,
        action="/login",
        app_name=None,
        hidden={"next": next_url},
        error=error,
        login=login,
    )


async def login_submit(request: Request, visitor: Visitor) -> Response:
    form = await read_form(request, visitor)
    next_url = safe_next(form.get("next"))
    login = form.get("username")
    account, limit_headers = await check_password(request, visitor, login, form.get("password"))
    if account is None:
        return _form(
            visitor, next_url, error=_("Invalid username or password."), login=login, status=422
        )
    # An account made with a password someone else saw changes it first.
    response = redirect("/settings#password" if account.must_change_password else next_url)
    response.headers.update(limit_headers)
    await start_session(request, response, visitor, account)
    return response


async def logout(request: Request, visitor: Visitor) -> Response:
    await read_form(request, visitor)
    key = cookies.session_key(request.cookies.get(cookies.SESSION_COOKIE))
    if key is not None:
        async with visitor.node.sessions() as session:
            await web_sessions.end_key(session, key)
            await session.commit()
    response = redirect("/")
    cookies.clear_cookie(response, visitor.node.config, cookies.SESSION_COOKIE)
    cookies.set_cookie(
        response,
        visitor.node.config,
        cookies.CSRF_COOKIE,
        cookies.csrf_cookie(visitor.node.config, None),
    )
    return response


async def language(request: Request, visitor: Visitor) -> Response:
    """The switch: the account's setting when signed in, else the visitor's cookie."""
    form = await read_form(request, visitor)
    chosen = form.get("language")
    if chosen not in LANGUAGES:
        raise PageError(400, _("Unknown language."))
    response = redirect(safe_next(form.get("next")))
    if visitor.account is not None and visitor.account.id is not None:
        async with visitor.node.sessions() as session:
            await account_settings.set_language(session, visitor.account.id, chosen)
            await session.commit()
    cookies.set_cookie(
        response, visitor.node.config, cookies.LANGUAGE_COOKIE, chosen, max_age=ONE_YEAR
    )
    return response


routes = [
    Route("/login", handler(login_page), methods=["GET"]),
    Route("/login", handler(login_submit), methods=["POST"]),
    Route("/logout", handler(logout), methods=["POST"]),
    Route("/language", handler(language), methods=["POST"]),
]
