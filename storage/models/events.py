"""Events: the typed side of an ``Event`` in ``objects``, its participants and its reminders.

An event *is* a post (its ``objects`` row, type ``Event``, holds the document
other servers read, its addressing and visibility, and is a status in
Mastodon apps); :class:`EventRow` holds what calendars, lists and the
capacity rule need, keyed by that object's id, for local and remote events.

* ``organizer_id`` is the actor that announces it: a person, or a ``Group``
  (a Mobilizon group, or a community of ours once communities land;
  ``community_id`` is kept for that, without a foreign key until the
  communities table exists).
* Times are UTC instants plus the IANA ``timezone`` they were given in.
* ``join_mode`` is Mobilizon's: ``free`` (open), ``restricted`` (by the
  organizer's approval) or ``invite`` (closed).
* ``status`` is iCalendar's: ``CONFIRMED``, ``TENTATIVE`` or ``CANCELLED``.
* ``count_update_due_at`` set (our events only) means an ``Update`` with the
  new participant count is owed, not before that time (debounced).

:class:`EventParticipant`: one row per event and actor. At the origin its
``state`` decides (``accepted``, ``pending`` for approval, ``waiting`` for a
free place); on a participant's node it mirrors the origin's answer.
``join_ap_id`` is the ``Join`` activity's id, unique so a redelivery is
recognised and so an ``Accept``/``Reject`` naming it finds the row.

:class:`EventReminder`: one row per event, participant and offset, written in
the transaction that notifies; its unique key is what makes a reminder go
out exactly once whatever number of workers race for it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, key_column, time_column, utcnow


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_visibility_start", "visibility", "start_at"),)

    object_id: int = Field(sa_column=key_column("objects.id"))
    organizer_id: int = Field(sa_column=fk_column("actors.id"))
    community_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, index=True)
    )
    local: bool = Field(default=False, index=True)
    domain: str = Field(max_length=255, index=True)
    visibility: str = Field(max_length=16)
    kind: str = Field(default="other", max_length=32)
    title: str = Field(sa_column=Column(Text, nullable=False))
    description_source: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    start_at: datetime = Field(sa_column=time_column(index=True))
    end_at: datetime = Field(sa_column=time_column())
    timezone: str = Field(default="UTC", max_length=64)
    online_url: str | None = Field(default=None, max_length=2048)
    place_name: str | None = Field(default=None, max_length=512)
    street: str | None = Field(default=None, max_length=512)
    locality: str | None = Field(default=None, max_length=255)
    region: str | None = Field(default=None, max_length=255)
    postal_code: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, max_length=255)
    latitude: float | None = None
    longitude: float | None = None
    capacity: int | None = None
    join_mode: str = Field(default="free", max_length=16)
    wait_list: bool = False
    status: str = Field(default="CONFIRMED", max_length=16)
    participant_count: int = 0
    image_url: str | None = Field(default=None, max_length=2048)
    count_update_due_at: datetime | None = Field(
        default=None, sa_column=time_column(nullable=True, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class EventCode(SQLModel, table=True):
    """A subject (``scheme`` "subject") or grade ("grade") code of an event."""

    __tablename__ = "event_codes"
    __table_args__ = (Index("ix_event_codes_scheme_code", "scheme", "code"),)

    event_id: int = Field(sa_column=key_column("events.object_id"))
    scheme: str = Field(max_length=16, primary_key=True)
    code: str = Field(max_length=64, primary_key=True)


class EventParticipant(SQLModel, table=True):
    __tablename__ = "event_participants"
    __table_args__ = (UniqueConstraint("event_id", "actor_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    event_id: int = Field(sa_column=fk_column("events.object_id"))
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    state: str = Field(default="pending", max_length=16, index=True)
    join_ap_id: str | None = Field(default=None, max_length=2048, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    decided_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class EventReminder(SQLModel, table=True):
    __tablename__ = "event_reminders"

    event_id: int = Field(sa_column=key_column("events.object_id"))
    actor_id: int = Field(sa_column=key_column("actors.id"))
    offset_seconds: int = Field(primary_key=True)
    sent_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class PollState(SQLModel, table=True):
    """What a poll of ours still owes: the debounced ``Update(Question)`` and the end.

    ``update_due_at`` set means new totals go out then; ``ended_at`` set means
    its end was announced (voters and author notified) — written by the one
    worker whose conditional UPDATE claimed it, so that happens once.
    """

    __tablename__ = "poll_states"

    object_id: int = Field(sa_column=key_column("objects.id"))
    ends_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True, index=True))
    update_due_at: datetime | None = Field(
        default=None, sa_column=time_column(nullable=True, index=True)
    )
    ended_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class CalendarFeed(SQLModel, table=True):
    """A person's secret calendar address: ``/calendars/<token>/joined.ics``.

    Calendar apps subscribe to a URL and send no ``Authorization`` header, so
    the URL itself is the credential: a random token, one per account,
    replaced when regenerated and gone when revoked. It reads the events the
    person joined and nothing else.
    """

    __tablename__ = "calendar_feeds"

    account_id: int = Field(sa_column=key_column("accounts.id"))
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
