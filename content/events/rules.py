"""What an event must be: kinds, times with their zone, places, capacity and registration.

Pure checks, each raising :class:`EventError` with a message a teacher (or a
script's author) can act on; the API turns it into ``422 Validation failed:
...`` and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actors.config import NodeConfig
from content.materials.rules import MaterialError, check_links
from content.materials.vocabulary import GRADES, SUBJECTS, VocabularyError, check_codes
from content.sanitize import plain_text
from storage.models import Visibility

KINDS = (
    "seminar",
    "webinar",
    "conference",
    "master_class",
    "contest",
    "festival",
    "meeting",
    "other",
)
#: Registration as the API names it → Mobilizon's ``joinMode``.
REGISTRATION = {"open": "free", "approval": "restricted", "closed": "invite"}
JOIN_MODES = frozenset(REGISTRATION.values())
STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
MAX_TITLE = 300
MAX_PLACE = 512
MAX_CAPACITY = 1_000_000
MAX_LENGTH = timedelta(days=366)
MAX_CODES = 30


class EventError(ValueError):
    """An event (or a change of one) the node refuses; the message is safe to show."""


@dataclass(frozen=True)
class Place:
    name: str | None = None
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def is_empty(self) -> bool:
        return not any(
            (self.name, self.street, self.locality, self.region, self.postal_code, self.country)
        )


@dataclass(frozen=True)
class EventDraft:
    title: str
    start: str
    end: str
    timezone: str = "UTC"
    description: str = ""
    kind: str = "other"
    online_url: str | None = None
    place: Place = field(default_factory=Place)
    capacity: int | None = None
    registration: str = "open"
    wait_list: bool = False
    subjects: list[str] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    image_url: str | None = None
    visibility: Visibility = Visibility.PUBLIC
    # The community that organizes it (its Group actor's id and row id), which
    # announces it; members_only: addressed to that community alone.
    community: str | None = None
    community_id: int | None = None
    members_only: bool = False


def check_title(title: str) -> str:
    clean = " ".join((plain_text(title) or "").split())
    if not clean:
        raise EventError("an event needs a title")
    if len(clean) > MAX_TITLE:
        raise EventError(f"the title is longer than {MAX_TITLE} characters")
    return clean


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise EventError(f"unknown kind {kind[:40]!r}; one of: {', '.join(KINDS)}")
    return kind


def check_zone(name: str) -> ZoneInfo:
    try:
        if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise EventError(f"unknown time zone {name[:64]!r}") from None


def local_time(value: str, zone: ZoneInfo) -> datetime:
    """An instant from ISO 8601: a time without offset is read in ``zone``."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise EventError(f"{str(value)[:40]!r} is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def check_times(start: str, end: str, zone_name: str) -> tuple[datetime, datetime, str]:
    zone = check_zone(zone_name)
    start_at, end_at = local_time(start, zone), local_time(end, zone)
    if end_at <= start_at:
        raise EventError("the end must come after the start")
    if end_at - start_at > MAX_LENGTH:
        raise EventError("an event may last at most a year")
    return start_at, end_at, zone_name


def check_capacity(capacity: int | None) -> int | None:
    if capacity is None:
        return None
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise EventError("the capacity is a whole number")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise EventError(f"the capacity is from 1 to {MAX_CAPACITY}")
    return capacity


def check_registration(registration: str) -> str:
    try:
        return REGISTRATION[registration]
    except KeyError:
        raise EventError("registration is one of: open, approval, closed") from None


def registration_of(join_mode: str) -> str:
    return next((k for k, v in REGISTRATION.items() if v == join_mode), "open")


def check_url(url: str | None, config: NodeConfig, what: str) -> str | None:
    if url is None or not url.strip():
        return None
    try:
        return check_links([url], config)[0]
    except MaterialError as exc:
        raise EventError(f"{what}: {exc}") from None


def _short(value: str | None, limit: int) -> str | None:
    clean = " ".join((plain_text(value) or "").split()) if value else ""
    if len(clean) > limit:
        raise EventError(f"a place field is longer than {limit} characters")
    return clean or None


def check_place(place: Place) -> Place:
    for value, low, high in ((place.latitude, -90, 90), (place.longitude, -180, 180)):
        if value is not None and not low <= value <= high:
            raise EventError("coordinates are a latitude in -90..90 and a longitude in -180..180")
    return Place(
        name=_short(place.name, MAX_PLACE),
        street=_short(place.street, MAX_PLACE),
        locality=_short(place.locality, 255),
        region=_short(place.region, 255),
        postal_code=_short(place.postal_code, 64),
        country=_short(place.country, 255),
        latitude=place.latitude,
        longitude=place.longitude,
    )


def check_codes_of(subjects: list[str], grades: list[str]) -> tuple[list[str], list[str]]:
    if len(subjects) > MAX_CODES or len(grades) > MAX_CODES:
        raise EventError(f"at most {MAX_CODES} subjects and grades")
    try:
        return check_codes("subject", subjects, SUBJECTS), check_codes("grade", grades, GRADES)
    except VocabularyError as exc:
        raise EventError(str(exc)) from None
