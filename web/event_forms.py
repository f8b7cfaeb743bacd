"""Organizing an event from the pages: ``/events/new`` and ``/events/<id>/edit``.

One form for both. Times are typed in the event's own time zone (a
``datetime-local`` field carries no zone; the zone is the form's other
field), and an edit shows them back in that zone. The change goes through
``content.events.publishing`` (the API's path): an edit keeps a version
and sends one ``Update`` to the audience and every participant's node.
Only the organizer may edit: anyone else gets a 403 page.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.events.model import EventView, load_view
from content.events.publishing import EventEdit, create_event, update_event
from content.events.rules import KINDS, EventDraft, EventError, Place
from content.materials.vocabulary import GRADES, SUBJECTS
from storage.models import Actor, Visibility
from web.events import event_id_of
from web.events import visible as visible_event
from web.i18n import gettext as _
from web.i18n import zone
from web.page import Form, PageError, Visitor, handler, read_form, redirect, render
from web.settings_pages import zones

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
REGISTRATIONS = ("open", "approval", "closed")


def kind_labels() -> dict[str, str]:
    return {
        "seminar": _("Seminar"),
        "webinar": _("Webinar"),
        "conference": _("Conference"),
        "master_class": _("Master class"),
        "contest": _("Contest"),
        "festival": _("Festival"),
        "meeting": _("Meeting"),
        "other": _("Other"),
    }


def _form_page(
    visitor: Visitor,
    *,
    values: dict[str, str],
    chosen: dict[str, list[str]],
    editing: EventView | None = None,
    error: str | None = None,
) -> Response:
    action = "/events/new" if editing is None else f"/events/{editing.row.object_id}/edit"
    return render(
        visitor,
        "event_form.html",
        status=422 if error else 200,
        error=error,
        values=values,
        chosen=chosen,
        editing=editing,
        action=action,
        kinds=[(k, kind_labels()[k]) for k in KINDS],
        zones=zones(),
        subjects=SUBJECTS,
        grades=GRADES,
        registrations=REGISTRATIONS,
    )


def _values(view: EventView) -> dict[str, str]:
    row = view.row
    tz = zone(row.timezone)
    return {
        "title": row.title,
        "description": row.description_source or "",
        "kind": row.kind,
        "start": row.start_at.astimezone(tz).strftime(LOCAL_FORMAT),
        "end": row.end_at.astimezone(tz).strftime(LOCAL_FORMAT),
        "timezone": row.timezone,
        "online_url": row.online_url or "",
        "place_name": row.place_name or "",
        "street": row.street or "",
        "locality": row.locality or "",
        "capacity": "" if row.capacity is None else str(row.capacity),
    }


def _capacity(form: Form) -> int | None:
    raw = form.get("capacity").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise EventError("the capacity must be a whole number")
    return int(raw)


def _place(form: Form) -> Place:
    def text(name: str) -> str | None:
        return form.get(name).strip() or None

    return Place(name=text("place_name"), street=text("street"), locality=text("locality"))


def _chosen(form: Form) -> dict[str, list[str]]:
    return {k: form.lists.get(k, []) for k in ("subjects", "grades")}


async def new_page(request: Request, visitor: Visitor) -> Response:
    visitor.actor_required()
    values = {"timezone": visitor.time_zone, "kind": "seminar"}
    return _form_page(visitor, values=values, chosen={"subjects": [], "grades": []})


async def create_submit(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    form = await read_form(request, visitor)
    visibility = form.get("visibility", "public")
    node = visitor.node
    async with node.sessions() as session:
        me = await session.get(Actor, actor.id)
        assert me is not None
        try:
            if visibility not in {"public", "unlisted", "followers"}:
                raise EventError("choose who may see the event")
            draft = EventDraft(
                title=form.get("title"),
                start=form.get("start"),
                end=form.get("end"),
                timezone=form.get("timezone") or visitor.time_zone,
                description=form.get("description"),
                kind=form.get("kind") or "other",
                online_url=form.get("online_url").strip() or None,
                place=_place(form),
                capacity=_capacity(form),
                registration=form.get("registration") or "open",
                subjects=form.lists.get("subjects", []),
                grades=form.lists.get("grades", []),
                visibility=Visibility(visibility),
            )
            view = await create_event(session, node, me, draft)
        except EventError as exc:
            return _form_page(visitor, values=form.fields, chosen=_chosen(form), error=str(exc))
        await session.commit()
    return redirect(f"/events/{view.row.object_id}")


def _own(visitor: Visitor, view: EventView) -> Actor:
    actor = visitor.actor_required()
    if not view.row.local or view.row.organizer_id != actor.id:
        raise PageError(403, _("Only the organizer may change this event."))
    return actor


async def edit_page(request: Request, visitor: Visitor) -> Response:
    visitor.actor_required()
    view, _obj, _organizer = await visible_event(visitor, event_id_of(request))
    _own(visitor, view)
    chosen = {"subjects": view.subjects, "grades": view.grades}
    return _form_page(visitor, values=_values(view), chosen=chosen, editing=view)


async def edit_submit(request: Request, visitor: Visitor) -> Response:
    visitor.actor_required()
    event_id = event_id_of(request)
    view, _obj, _organizer = await visible_event(visitor, event_id)
    actor = _own(visitor, view)
    form = await read_form(request, visitor)
    node = visitor.node
    async with node.sessions() as session:
        me = await session.get(Actor, actor.id)
        fresh = await load_view(session, event_id)
        assert me is not None and fresh is not None
        try:
            capacity = _capacity(form)
            edit = EventEdit(
                title=form.get("title"),
                description=form.get("description"),
                kind=form.get("kind") or None,
                start=form.get("start"),
                end=form.get("end"),
                timezone=form.get("timezone") or None,
                online_url=form.get("online_url").strip(),
                place=replace(
                    _place(form),
                    region=fresh.row.region,
                    postal_code=fresh.row.postal_code,
                    country=fresh.row.country,
                    latitude=fresh.row.latitude,
                    longitude=fresh.row.longitude,
                ),
                capacity=capacity,
                clear_capacity=capacity is None,
                subjects=form.lists.get("subjects", []),
                grades=form.lists.get("grades", []),
            )
            await update_event(session, node, me, fresh, edit)
        except EventError as exc:
            return _form_page(
                visitor, values=form.fields, chosen=_chosen(form), editing=view, error=str(exc)
            )
        await session.commit()
    return redirect(f"/events/{event_id}")


routes = [
    Route("/events/new", handler(new_page), methods=["GET"]),
    Route("/events/new", handler(create_submit), methods=["POST"]),
    Route("/events/{id}/edit", handler(edit_page), methods=["GET"]),
    Route("/events/{id}/edit", handler(edit_submit), methods=["POST"]),
]
