"""One request of a page: who is looking, in which language and zone, and the answer.

:func:`visit` reads the session cookie (the same account as the API's
OAuth), the person's choices, the node's settings, and picks the language;
:func:`render` draws a template with all of that, keeps the CSRF cookie and
sends the security headers: a strict CSP (scripts and styles only from our
``/static``, nothing inline), never framed, no sniffing.

Forms: :func:`read_form` refuses a body without the right CSRF token, a
cross-site POST (``Origin`` or ``Sec-Fetch-Site``), a body that is not a
form or is over the limit, before anything is parsed or stored.
:class:`PageError` carries a clear message for the visitor;
:func:`handler` turns it into an error page with its status.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors import account_settings, node_settings
from actors.account_settings import LANGUAGES
from actors.context import NodeContext
from actors.roles import STAFF_ROLES
from federation.errors import FederationError
from federation.limits import read_limited
from storage.models import Account, Actor, Role
from web import cookies, i18n
from web.i18n import gettext as _
from web.templating import formatters, templates

MAX_FORM_BYTES = 64 * 1024
SOFTWARE_NAME = "Staffroom"
CSRF_FIELD = "authenticity_token"


class PageError(Exception):
    """A request refused with a message for the person (shown on an error page)."""

    def __init__(
        self,
        status: int,
        message: str,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title
        # What the refusal tells a client besides the page (a 429's rate-limit headers).
        self.headers = dict(headers or {})


@dataclass
class Visitor:
    node: NodeContext
    account: Account | None
    actor: Actor | None
    language: str
    time_zone: str
    settings: dict[str, Any]
    csrf_cookie: str
    path: str
    choices: account_settings.Choices = field(default_factory=account_settings.Choices)

    @property
    def csrf(self) -> str:
        return cookies.csrf_token(self.node.config, self.csrf_cookie)

    @property
    def signed_in(self) -> bool:
        return self.actor is not None

    @property
    def is_admin(self) -> bool:
        return self.account is not None and self.account.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """An admin or a moderator: may open the moderation pages."""
        return self.account is not None and self.account.role in STAFF_ROLES

    @property
    def node_name(self) -> str:
        """The admin's name for the node, else STAFFROOM_NODE_NAME, else its domain: the
        software's own name ("Staffroom runs on Staffroom") names no school."""
        chosen = str(self.settings.get("node.name") or "").strip()
        configured = self.node.config.node_name.strip()
        if chosen:
            return chosen
        return configured if configured and configured != SOFTWARE_NAME else self.node.config.domain

    @property
    def handle(self) -> str:
        return "" if self.actor is None else f"@{self.actor.username}"

    def actor_required(self) -> Actor:
        if self.actor is None:
            raise PageError(401, _("Please sign in to do this."))
        return self.actor


def node_of(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def visit(request: Request) -> Visitor:
    """Who is looking, and how the page should speak to them (sets the request's language)."""
    node = node_of(request)
    async with node.sessions() as session:
        account = await cookies.session_account(
            session, node.config, request.cookies.get(cookies.SESSION_COOKIE)
        )
        actor = None if account is None else await session.get(Actor, account.actor_id)
        if actor is None:
            account = None
        choices = await account_settings.read(session, None if account is None else account.id)
        settings = await node_settings.read_all(session)
    visitor_choice = request.cookies.get(cookies.LANGUAGE_COOKIE)
    language = i18n.choose_language(
        choices.language,
        visitor_choice if visitor_choice in LANGUAGES else None,
        request.headers.get("accept-language"),
        str(settings["node.default_language"]),
    )
    i18n.activate(language)
    time_zone = choices.time_zone or str(settings["node.time_zone"])
    csrf_cookie = cookies.csrf_cookie(node.config, request.cookies.get(cookies.CSRF_COOKIE))
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Visitor(node, account, actor, language, time_zone, settings, csrf_cookie, path, choices)


def content_security_policy(allow_http: bool) -> str:
    remote = "https: http:" if allow_http else "https:"
    # No form-action: browsers apply it to the redirect after a POST, and the
    # OAuth consent and "interact from your server" redirect to other origins.
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: {remote}; media-src 'self' {remote}; font-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def security_headers(visitor: Visitor) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(visitor.node.config.allow_http),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        # Every page carries a form token and may show what only this viewer sees.
        "Cache-Control": "private, no-store",
        "Vary": "Cookie, Accept-Language",
    }


def render(
    visitor: Visitor,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    values = {
        "v": visitor,
        "languages": LANGUAGES,
        **formatters(visitor.language, visitor.time_zone),
        **context,
    }
    body = templates().get_template(template).render(values)
    response = Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={**security_headers(visitor), **(headers or {})},
    )
    cookies.set_cookie(response, visitor.node.config, cookies.CSRF_COOKIE, visitor.csrf_cookie)
    return response


def error_page(visitor: Visitor, error: PageError) -> Response:
    titles = {
        400: _("The request could not be read"),
        401: _("Sign in first"),
        403: _("Request refused"),
        404: _("Not found"),
        413: _("Too large"),
        422: _("Not saved"),
        429: _("Too many attempts"),
    }
    title = error.title or titles.get(error.status, _("Something went wrong"))
    return render(
        visitor,
        "error.html",
        status=error.status,
        headers=error.headers,
        title=title,
        message=error.message,
    )


Handler = Callable[[Request, Visitor], Awaitable[Response]]


def handler(view: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A route from ``view(request, visitor)``: refusals become error pages."""

    @functools.wraps(view)
    async def endpoint(request: Request) -> Response:
        visitor = await visit(request)
        try:
            return await view(request, visitor)
        except PageError as exc:
            return error_page(visitor, exc)

    return endpoint


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to return to: never another site (``//host``, ``/\\host``, ``https:``)."""
    if not value or len(value) > 2000:
        return default
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ch in value for ch in "\r\n\t\\") or any(ord(ch) < 32 for ch in value):
        return default
    return value


def redirect(location: str, visitor: Visitor | None = None) -> Response:
    response = RedirectResponse(location, status_code=303)
    if visitor is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def _same_site(request: Request, visitor: Visitor) -> bool:
    origin = request.headers.get("origin")
    if origin is not None and origin != visitor.node.config.base_url:
        return False
    return request.headers.get("sec-fetch-site", "same-origin") in {"same-origin", "none"}


@dataclass
class Form:
    fields: dict[str, str]
    files: dict[str, list[UploadFile]]
    lists: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def checked(self, name: str) -> bool:
        return self.fields.get(name, "") in {"1", "on", "true", "yes"}


def _form(data: FormData) -> Form:
    fields: dict[str, str] = {}
    files: dict[str, list[UploadFile]] = {}
    lists: dict[str, list[str]] = {}
    for key, value in data.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, value)
            lists.setdefault(key, []).append(value)
        elif value.filename:
            files.setdefault(key, []).append(value)
    return Form(fields, files, lists)


async def read_form(
    request: Request, visitor: Visitor, *, max_bytes: int = MAX_FORM_BYTES, max_files: int = 0
) -> Form:
    """The posted form, after the size, site and CSRF checks (each refusal a PageError)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    multipart = ctype == "multipart/form-data"
    if ctype != "application/x-www-form-urlencoded" and not (multipart and max_files):
        raise PageError(400, _("The form could not be read."))
    if not _same_site(request, visitor):
        raise PageError(403, _("This form did not come from this site."))
    try:
        body = await read_limited(request.headers, request.stream(), max_bytes)
    except FederationError as exc:
        if exc.status == 413:
            raise PageError(413, _("What you sent is larger than this node accepts.")) from None
        raise PageError(400, _("The form could not be read.")) from None

    async def chunks() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        if multipart:
            data = await MultiPartParser(
                request.headers, chunks(), max_files=max_files, max_fields=200
            ).parse()
        else:
            data = await FormParser(request.headers, chunks()).parse()
    except MultiPartException:
        raise PageError(400, _("The form could not be read.")) from None
    form = _form(data)
    token = form.fields.get(CSRF_FIELD)
    if not cookies.csrf_valid(visitor.node.config, request.cookies.get(cookies.CSRF_COOKIE), token):
        raise PageError(
            403,
            _(
                "This form has expired or did not come from this site. "
                "Go back, reload and try again."
            ),
        )
    return form
