"""Reading the event API's parameters (form, query or JSON alike) into domain values."""

from __future__ import annotations

from datetime import datetime

from api.errors import ApiError
from api.params import Params
from content.events.publishing import EventEdit
from content.events.queries import EventQuery
from content.events.rules import EventDraft, EventError, Place, check_zone, local_time
from storage.models import Visibility

_PLACE_TEXT = ("name", "street", "locality", "region", "postal_code", "country")


def _list(params: Params, name: str) -> list[str]:
    return [v for v in [*params.get_list(name), *params.get_list(f"{name}[]")] if v.strip()]


def _float(params: Params, name: str) -> float | None:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise ApiError(422, f"Validation failed: {name} must be a number") from None


def _place(params: Params) -> Place | None:
    names = [f"place[{k}]" for k in (*_PLACE_TEXT, "latitude", "longitude")]
    if not any(name in params for name in names):
        return None
    text = {key: params.get(f"place[{key}]") for key in _PLACE_TEXT}
    return Place(
        **text,
        latitude=_float(params, "place[latitude]"),
        longitude=_float(params, "place[longitude]"),
    )


def _visibility(params: Params) -> Visibility:
    raw = params.get("visibility") or Visibility.PUBLIC.value
    try:
        # Mastodon's names, as for statuses: "private" is followers-only.
        return Visibility({"private": "followers"}.get(raw, raw))
    except ValueError:
        raise ApiError(422, f"Validation failed: unknown visibility {raw[:20]!r}") from None


def _required(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None or not value.strip():
        raise ApiError(422, f"Validation failed: {name} is required")
    return value


def community_param(params: Params) -> str | None:
    """``community``: a community's account id or URI (resolved by the routes)."""
    return (params.get("community") or "").strip() or None


def draft(params: Params) -> EventDraft:
    return EventDraft(
        title=_required(params, "title"),
        start=_required(params, "start_time"),
        end=_required(params, "end_time"),
        timezone=params.get("timezone") or "UTC",
        description=params.get("description") or "",
        kind=params.get("kind") or "other",
        online_url=params.get("online_url"),
        place=_place(params) or Place(),
        capacity=params.get_int("capacity"),
        registration=params.get("registration") or "open",
        wait_list=params.get_bool("wait_list"),
        subjects=_list(params, "subjects"),
        grades=_list(params, "grades"),
        image_url=params.get("image_url"),
        visibility=_visibility(params),
    )


def edit(params: Params) -> EventEdit:
    has = params.__contains__
    capacity_raw = params.get("capacity")
    return EventEdit(
        title=params.get("title"),
        description=params.get("description"),
        kind=params.get("kind"),
        start=params.get("start_time"),
        end=params.get("end_time"),
        timezone=params.get("timezone"),
        online_url=params.get("online_url"),
        place=_place(params),
        capacity=params.get_int("capacity"),
        clear_capacity=capacity_raw is not None and not capacity_raw.strip(),
        registration=params.get("registration"),
        wait_list=params.get_bool("wait_list") if has("wait_list") else None,
        subjects=_list(params, "subjects") if has("subjects") or has("subjects[]") else None,
        grades=_list(params, "grades") if has("grades") or has("grades[]") else None,
        image_url=params.get("image_url"),
    )


def _time(params: Params, name: str, zone: str) -> datetime | None:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return local_time(raw, check_zone(zone))
    except EventError as exc:
        raise ApiError(422, f"Validation failed: {name}: {exc}") from None


def query(params: Params, limit: int, offset: int) -> EventQuery:
    zone = params.get("timezone") or "UTC"
    community = params.get_int("community_id")
    organizer = params.get_int("organizer_id")
    return EventQuery(
        start_from=_time(params, "from", zone),
        start_to=_time(params, "to", zone),
        past=params.get_bool("past"),
        subject=params.get("subject"),
        grade=params.get("grade"),
        community_id=community,
        node=params.get("node"),
        organizer_id=organizer,
        joined=params.get_bool("joined"),
        local_only=params.get_bool("local"),
        limit=limit,
        offset=offset,
    )
