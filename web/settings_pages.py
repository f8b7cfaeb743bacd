"""A person's choices (language, time zone, default visibility) and the
admin's node settings (name, description, rules, default language and time zone).

The admin's values are ``actors.node_settings`` names (the one table of
run-time settings); a person's are ``actors.account_settings``. Only an
account with the admin role reaches ``/admin``; anyone else gets a 403 page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import available_timezones

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors import account_settings, node_settings, registration
from actors.account_settings import LANGUAGES, Choices, SettingRefused, valid_time_zone
from actors.profile import publish_actor_update
from outbox import health
from storage.models import Actor
from web.charts import HEIGHT, WIDTH, bars
from web.i18n import gettext as _
from web.i18n import zone
from web.page import PageError, Visitor, handler, read_form, redirect, render

MAX_NAME = 100
MAX_TEXT = 5000
NODE_FIELDS = ("node.name", "node.description", "node.rules")


def zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


async def settings_submit(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    assert visitor.account is not None and visitor.account.id is not None
    form = await read_form(request, visitor)
    language = form.get("language") or None
    zone = form.get("time_zone") or None
    visibility = form.get("default_visibility") or None
    # The name is the profile form's now; an older form may still send it here.
    display_name = form.fields.get("display_name")
    if display_name is not None and len(display_name.strip()) > MAX_NAME:
        raise PageError(422, _("The name is too long."))
    async with visitor.node.sessions() as session:
        try:
            await account_settings.write(
                session, visitor.account.id, Choices(language, zone, visibility)
            )
        except SettingRefused:
            raise PageError(422, _("This value cannot be used.")) from None
        me = await session.get(Actor, actor.id)
        assert me is not None
        if display_name is not None and display_name.strip() != me.display_name:
            me.display_name = display_name.strip()
            session.add(me)
            await session.flush()
            await publish_actor_update(session, visitor.node, me)
        await session.commit()
    return redirect("/settings?done=saved")


def admin_only(visitor: Visitor) -> None:
    visitor.actor_required()
    if not visitor.is_admin:
        raise PageError(403, _("Only the node's administrators may open this page."))


async def admin_submit(request: Request, visitor: Visitor) -> Response:
    admin_only(visitor)
    form = await read_form(request, visitor)
    values = {name: form.get(name).strip() for name in NODE_FIELDS}
    if len(values["node.name"]) > MAX_NAME or any(len(v) > MAX_TEXT for v in values.values()):
        raise PageError(422, _("The text is too long."))
    language = form.get("node.default_language")
    zone = form.get("node.time_zone")
    if language not in LANGUAGES or not valid_time_zone(zone):
        raise PageError(422, _("This value cannot be used."))
    async with visitor.node.sessions() as session:
        for name, value in values.items():
            await node_settings.write(session, name, value)
        await node_settings.write(session, "node.default_language", language)
        await node_settings.write(session, "node.time_zone", zone)
        if form.get("registrations") in {"open", "invite"}:
            await node_settings.write(
                session, registration.SETTING, form.get("registrations") == "open"
            )
        await session.commit()
    return redirect("/admin?saved=1")


async def health_page(request: Request, visitor: Visitor) -> Response:
    admin_only(visitor)
    now = datetime.now(UTC)
    async with visitor.node.sessions() as session:
        counts = await health.queue_counts(session)
        hosts = await health.failing_hosts(session)
        sent, received = await health.per_hour(session, now)
    tz = zone(visitor.time_zone)
    labels = [
        (now - timedelta(hours=health.HOURS - i)).astimezone(tz).strftime("%H:00")
        for i in range(health.HOURS)
    ]
    return render(
        visitor,
        "health.html",
        counts=counts,
        hosts=hosts,
        charts=[
            ("sent", _("Deliveries sent per hour"), bars(sent, labels), sum(sent)),
            ("received", _("Inbox items received per hour"), bars(received, labels), sum(received)),
        ],
        chart_size=(WIDTH, HEIGHT),
    )


routes = [
    Route("/admin/federation", handler(health_page), methods=["GET"]),
    Route("/settings", handler(settings_submit), methods=["POST"]),
    Route("/admin", handler(admin_submit), methods=["POST"]),
]
