"""A person's own account in the settings: profile, password, sessions, authorized apps.

* Profile (``POST /settings/profile``, multipart): display name, bio, up to
  four profile fields, avatar and header. The same checks and the same one
  ``Update`` to followers as ``update_credentials``
  (:mod:`content.profile_changes`, :mod:`content.profile_images`: images
  decoded, stripped and cropped, never stored as sent).
* Password (``POST /settings/password``): the current password is required;
  every session ends with the change (the cookie is bound to the password)
  and this browser gets a fresh one.
* Sessions (``POST /settings/sessions/end``): the browsers signed in, each
  ended by deleting its row (:mod:`actors.web_sessions`).
* Authorized apps (``POST /settings/apps/revoke``): the OAuth apps holding a
  live token, revoked per app (:mod:`actors.account_security`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors import account_security, web_sessions
from actors.minors import MinorProtectionError
from actors.ratelimit import FIVE_MINUTES, Rate, bucket_for
from content import limits, profile_images
from content.edits import html_to_text
from content.profile_changes import ProfileChanges, apply_profile_changes
from storage.models import Account, Actor
from web import cookies
from web.i18n import gettext as _
from web.oauth import start_session
from web.page import PageError, Visitor, handler, read_form, redirect, render
from web.settings_pages import zones

# Both images at their limit, the text fields and the multipart framing.
MAX_PROFILE_BYTES = limits.AVATAR_SIZE_LIMIT + limits.HEADER_SIZE_LIMIT + 64 * 1024
NOTICES = ("saved", "profile", "password", "session", "app")


def _me(visitor: Visitor) -> tuple[Account, Actor]:
    actor = visitor.actor_required()
    assert visitor.account is not None and visitor.account.id is not None
    return visitor.account, actor


async def settings_page(request: Request, visitor: Visitor) -> Response:
    account, actor = _me(visitor)
    assert account.id is not None
    async with visitor.node.sessions() as session:
        sessions = await web_sessions.listed(session, account.id)
        apps = await account_security.authorized_apps(session, account.id)
    key = cookies.session_key(request.cookies.get(cookies.SESSION_COOKIE))
    fields = [f for f in actor.fields if isinstance(f, dict)][: limits.MAX_PROFILE_FIELDS]
    fields += [{"name": "", "value": ""}] * (limits.MAX_PROFILE_FIELDS - len(fields))
    notice = request.query_params.get("done")
    return render(
        visitor,
        "settings.html",
        zones=zones(),
        notice=notice if notice in NOTICES else None,
        bio=html_to_text(actor.summary or ""),
        fields=fields,
        sessions=sessions,
        current_session=None if key is None else web_sessions.key_id(key),
        apps=apps,
        max_image_mb=limits.AVATAR_SIZE_LIMIT // (1024 * 1024),
    )


def _text(value: str, limit: int, message: str) -> str:
    if len(value) > limit:
        raise PageError(422, message)
    return value


def _profile_changes(fields: dict[str, str]) -> ProfileChanges:
    too_long = _("A value is too long.")
    pairs = []
    for i in range(limits.MAX_PROFILE_FIELDS):
        name = fields.get(f"field_name_{i}", "").strip()
        value = fields.get(f"field_value_{i}", "").strip()
        if name or value:
            _text(name, limits.MAX_FIELD_NAME_CHARACTERS, too_long)
            _text(value, limits.MAX_FIELD_VALUE_CHARACTERS, too_long)
            pairs.append({"name": name, "value": value})
    return ProfileChanges(
        display_name=_text(
            fields.get("display_name", "").strip(), limits.MAX_DISPLAY_NAME_CHARACTERS, too_long
        ),
        note=_text(fields.get("note", ""), limits.MAX_NOTE_CHARACTERS, too_long),
        fields=pairs,
    )


async def profile_submit(request: Request, visitor: Visitor) -> Response:
    _account, actor = _me(visitor)
    form = await read_form(request, visitor, max_bytes=MAX_PROFILE_BYTES, max_files=2)
    changes = _profile_changes(form.fields)
    for kind, name in (("avatars", "avatar"), ("headers", "header")):
        uploads = form.files.get(name)
        if not uploads:
            continue
        upload = uploads[0]
        data = await upload.read(profile_images.max_bytes(kind) + 1)  # type: ignore[arg-type]
        try:
            url = await profile_images.store_profile_image(
                visitor.node.config,
                actor,
                kind,  # type: ignore[arg-type]
                data,
            )
        except profile_images.ProfileImageError:
            raise PageError(
                422,
                _(
                    "This image cannot be used: it must be a JPEG, PNG, GIF or WebP "
                    "picture of at most %(mb)d MB."
                )
                % {"mb": profile_images.max_bytes(kind) // (1024 * 1024)},  # type: ignore[arg-type]
            ) from None
        if kind == "avatars":
            changes.avatar_url = url
        else:
            changes.header_url = url
    async with visitor.node.sessions() as session:
        row = await session.get(Actor, actor.id)
        assert row is not None
        old_avatar, old_header = row.icon_url, row.image_url
        try:
            await apply_profile_changes(session, visitor.node, row, changes)
        except MinorProtectionError:
            raise PageError(422, _("This value cannot be used.")) from None
        await session.commit()
    if changes.avatar_url is not None:
        profile_images.remove_replaced(visitor.node.config, "avatars", old_avatar)
    if changes.header_url is not None:
        profile_images.remove_replaced(visitor.node.config, "headers", old_header)
    return redirect("/settings?done=profile#profile")


async def password_submit(request: Request, visitor: Visitor) -> Response:
    account, _actor = _me(visitor)
    form = await read_form(request, visitor)
    # Guessing the current password from an open session counts like signing in.
    rate = Rate(visitor.node.config.login_rate_limit, FIVE_MINUTES)
    decision = bucket_for(request.app.state, "password-change", rate).hit(str(account.id))
    if not decision.allowed:
        raise PageError(
            429,
            _("Too many attempts from your network. Wait a few minutes."),
            headers=decision.headers(),
        )
    messages = {
        "wrong": _("The current password is not right."),
        "mismatch": _("The two new passwords differ."),
        "short": _("The new password must have at least 8 characters."),
        "long": _("The new password is too long."),
    }
    async with visitor.node.sessions() as session:
        row = await session.get(Account, account.id)
        assert row is not None
        try:
            await account_security.change_password(
                session,
                row,
                form.get("current_password"),
                form.get("new_password"),
                form.get("new_password_again"),
            )
        except account_security.PasswordRefused as exc:
            raise PageError(422, messages[exc.reason]) from None
        await session.commit()
    response = redirect("/settings?done=password#password")
    await start_session(request, response, visitor, row)
    return response


async def session_end(request: Request, visitor: Visitor) -> Response:
    account, _actor = _me(visitor)
    assert account.id is not None
    form = await read_form(request, visitor)
    async with visitor.node.sessions() as session:
        ended = await web_sessions.end(session, account.id, form.get("session"))
        await session.commit()
    if not ended:
        raise PageError(404, _("There is no such session."))
    return redirect("/settings?done=session#sessions")


async def app_revoke(request: Request, visitor: Visitor) -> Response:
    account, _actor = _me(visitor)
    assert account.id is not None
    form = await read_form(request, visitor)
    app = form.get("app")
    if not app.isdigit() or len(app) > 19:
        raise PageError(404, _("There is no such app."))
    async with visitor.node.sessions() as session:
        count = await account_security.revoke_app(session, account.id, int(app))
        await session.commit()
    if not count:
        raise PageError(404, _("There is no such app."))
    return redirect("/settings?done=app#apps")


routes = [
    Route("/settings", handler(settings_page), methods=["GET"]),
    Route("/settings/profile", handler(profile_submit), methods=["POST"]),
    Route("/settings/password", handler(password_submit), methods=["POST"]),
    Route("/settings/sessions/end", handler(session_end), methods=["POST"]),
    Route("/settings/apps/revoke", handler(app_revoke), methods=["POST"]),
]
