"""Events as Mobilizon and gancio send them, read through our wire path (normalize → object → row),
and our own ``Event`` read back the same way; the pure rules of times, zones and reminders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from content.as2 import object_from_as2, object_to_as2
from content.events.as2 import object_fields, row_fields
from content.events.reminders import due_offset
from content.events.rules import KINDS, EventError, check_times, check_zone
from federation.jsonld import normalize
from storage.models import Actor, ContentObject, EventRow

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _object(doc: dict[str, Any]) -> ContentObject:
    normalized = normalize(doc)
    body = normalized.get("object", normalized)
    fields = object_from_as2(body)
    return ContentObject(id=1, author_id=1, **fields)


def _fixture(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return data


def test_a_current_mobilizon_event_reads_whole() -> None:
    obj = _object(_fixture("mobilizon/object-event.json"))
    row = row_fields(obj, KINDS)
    assert row is not None
    assert row["start_at"] == datetime(2022, 12, 11, 19, 0, tzinfo=UTC)
    assert row["end_at"] == datetime(2022, 12, 11, 21, 0, tzinfo=UTC)
    assert row["timezone"] == "Europe/London"
    assert row["join_mode"] == "free" and row["status"] == "CONFIRMED"
    assert row["capacity"] is None  # Mobilizon's 0 is "no limit"
    assert row["place_name"] == "The Kenn Centre"
    assert row["locality"] == "Teignbridge" and row["postal_code"] == "EX6 7TW"
    assert row["latitude"] == pytest.approx(50.66881615)
    assert row["image_url"] and row["image_url"].endswith(
        ".jpg?name=devon_caledonian_society%27s%20banner.jpg"
    )


def test_an_older_mobilizon_event_with_geo_coordinates() -> None:
    obj = _object(_fixture("mobilizon/object-event-2.json"))
    row = row_fields(obj, KINDS)
    assert row is not None
    assert row["title"] == "Mobilizon Launching Party"
    assert row["locality"] == "Nantes" and row["country"] == "France"
    assert row["kind"] == "other"


def test_a_group_event_and_a_gancio_event() -> None:
    group = _object(_fixture("mobilizon/activity-create-event-group.json"))
    row = row_fields(group, KINDS)
    assert row is not None and row["end_at"] == row["start_at"]  # no endTime sent
    gancio = _object(_fixture("gancio/activity-create-event.json"))
    row = row_fields(gancio, KINDS)
    assert row is not None
    assert row["start_at"] == datetime(2021, 7, 14, 15, 30, 57, tzinfo=UTC)
    assert row["place_name"] == "Colosseo"


def test_our_event_reads_back_as_it_was_written() -> None:
    start = datetime(2031, 3, 20, 7, 0, tzinfo=UTC)
    row = EventRow(
        object_id=7,
        organizer_id=1,
        domain="a.example",
        visibility="public",
        kind="master_class",
        title="Fractions",
        start_at=start,
        end_at=start + timedelta(hours=2),
        timezone="Asia/Yekaterinburg",
        place_name="Lyceum 3",
        locality="Perm",
        capacity=30,
        join_mode="restricted",
        status="CANCELLED",
    )
    obj = ContentObject(
        id=7, type="Event", ap_id="https://a.example/users/ann/statuses/7", author_id=1
    )
    for name, value in object_fields(row, ["mathematics"], ["5"], 4, "<p>d</p>", obj).items():
        setattr(obj, name, value)
    author = Actor(id=1, ap_id="https://a.example/users/ann", username="ann", domain="a.example")
    from actors.config import NodeConfig

    config = NodeConfig(
        domain="a.example",
        scheme="https",
        node_name="n",
        node_description="d",
        open_registrations=False,
        allow_http=False,
        allow_private_addresses=False,
        max_inbox_bytes=1 << 20,
        software_version="t",
    )
    doc = object_to_as2(obj, author, config)
    assert doc["remainingAttendeeCapacity"] == 26 and doc["participantCount"] == 4
    assert doc["ical:status"] == "CANCELLED" and doc["eventKind"] == "master_class"
    assert "2031-03-20 12:00" in doc["content"]  # Yekaterinburg is UTC+5
    back = row_fields(_object(doc), KINDS)
    assert back is not None
    for name in ("start_at", "end_at", "timezone", "kind", "capacity", "join_mode", "status"):
        assert back[name] == getattr(row, name), name
    assert back["place_name"] == "Lyceum 3" and back["locality"] == "Perm"


def test_times_zones_and_reminder_offsets() -> None:
    start, end, zone = check_times("2031-01-01T10:00", "2031-01-01T12:00", "Europe/Berlin")
    assert start == datetime(2031, 1, 1, 9, 0, tzinfo=UTC) and zone == "Europe/Berlin"
    assert end - start == timedelta(hours=2)
    with pytest.raises(EventError, match="after the start"):
        check_times("2031-01-01T10:00", "2031-01-01T10:00", "UTC")
    for bad in ("Mars/Base", "../etc/passwd", "", "x" * 80):
        with pytest.raises(EventError, match="time zone"):
            check_zone(bad)
    at = datetime(2031, 1, 2, 12, 0, tzinfo=UTC)
    offsets = (86400, 3600)
    assert due_offset(at, at - timedelta(days=2), offsets) is None
    assert due_offset(at, at - timedelta(hours=20), offsets) == 86400
    assert due_offset(at, at - timedelta(minutes=30), offsets) == 3600
    assert due_offset(at, at + timedelta(minutes=1), offsets) is None


def _config() -> Any:
    from actors.config import NodeConfig

    return NodeConfig(
        domain="school.example",
        scheme="https",
        node_name="n",
        node_description="d",
        open_registrations=False,
        allow_http=False,
        allow_private_addresses=False,
        max_inbox_bytes=1 << 20,
        software_version="t",
    )


def test_the_event_federation_md_shows_is_what_we_send() -> None:
    start = datetime(2031, 3, 20, 7, 0, tzinfo=UTC)
    row = EventRow(
        object_id=117742550202515488,
        organizer_id=1,
        domain="school.example",
        visibility="public",
        kind="seminar",
        title="Formative assessment in grade 6 maths",
        start_at=start,
        end_at=start + timedelta(minutes=90),
        timezone="Europe/Moscow",
        online_url="https://meet.example.org/formative",
        place_name="School 57",
        street="Bolshoy Znamensky 7",
        locality="Moscow",
        country="Russia",
        latitude=55.7485,
        longitude=37.6044,
        capacity=30,
        join_mode="restricted",
    )
    ap_id = "https://school.example/users/alice/statuses/117742550202515488"
    obj = ContentObject(
        id=row.object_id,
        type="Event",
        ap_id=ap_id,
        url=ap_id,
        author_id=1,
        to=["https://www.w3.org/ns/activitystreams#Public"],
        cc=["https://school.example/users/alice/followers"],
        published=datetime(2031, 1, 10, 9, 0, tzinfo=UTC),
    )
    description = "<p>We try <strong>exit tickets</strong>.</p>"
    for name, value in object_fields(row, ["mathematics"], ["6"], 12, description, obj).items():
        setattr(obj, name, value)
    author = Actor(
        id=1,
        ap_id="https://school.example/users/alice",
        username="alice",
        domain="school.example",
        inbox_url="https://school.example/users/alice/inbox",
    )
    assert object_to_as2(obj, author, _config()) == _fixture("staffroom/event.json")


def test_the_join_answer_federation_md_shows_is_what_we_send() -> None:
    from content.events.participation import _answer_body, _join_body
    from storage.models import EventParticipant

    accept = _fixture("staffroom/event-accept.json")
    join = _fixture("staffroom/event-join.json")
    organizer = Actor(ap_id=accept["actor"], username="alice", domain="school.example")
    bob = Actor(ap_id=join["actor"], username="bob", domain="lyceum.example")

    class _Node:
        config = _config()

    entry = EventParticipant(event_id=1, actor_id=2, join_ap_id=join["id"])
    body = _answer_body(_Node(), organizer, "Accept", join["object"], entry, bob)  # type: ignore[arg-type]
    assert body["object"] == accept["object"] and body["to"] == accept["to"]
    assert body["type"] == "Accept" and body["actor"] == accept["actor"]
    event = ContentObject(ap_id=join["object"], author_id=1)
    for kind in ("Join", "Leave"):
        ours = _join_body(_Node(), bob, kind, event, organizer)  # type: ignore[arg-type]
        shown = _fixture(f"staffroom/event-{kind.lower()}.json")
        for key in ("type", "actor", "to", "object"):
            assert ours[key] == shown[key], (kind, key)
