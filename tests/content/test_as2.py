"""object_from_as2 / object_to_as2: real objects read, our rows written, and back again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from actors.config import NodeConfig
from content.as2 import InvalidObjectError, object_from_as2, object_to_as2, parse_time
from federation.constants import PUBLIC
from federation.jsonld import normalize
from storage.models import Actor, ContentObject

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CONFIG = NodeConfig(
    domain="school.example",
    scheme="https",
    node_name="Staffroom",
    node_description="",
    open_registrations=False,
    allow_http=False,
    allow_private_addresses=False,
    max_inbox_bytes=1 << 20,
    software_version="test",
)
AUTHOR = Actor(
    id=1,
    ap_id="https://school.example/users/alice",
    username="alice",
    domain="school.example",
    inbox_url="https://school.example/users/alice/inbox",
    followers_url="https://school.example/users/alice/followers",
)


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = normalize(json.loads((FIXTURES / name).read_text("utf-8")))
    return doc


def row(fields: dict[str, Any]) -> ContentObject:
    return ContentObject(id=7, author_id=1, **fields)


def round_trip(fields: dict[str, Any]) -> dict[str, Any]:
    return object_from_as2(object_to_as2(row(fields), AUTHOR, CONFIG))


def test_mastodon_reply_with_mention() -> None:
    fields = object_from_as2(load("mastodon/object-note-1.json"))
    assert fields["type"] == "Note"
    assert fields["in_reply_to"] == "https://mamot.fr/users/retiolus/statuses/107224244380204526"
    assert fields["language"] == "en"
    assert fields["to"] == ["https://mastodon.madrid/users/felix/followers"]
    assert PUBLIC in fields["cc"]
    assert fields["tags"] == [
        {"type": "Mention", "name": "@retiolus@mamot.fr", "href": "https://mamot.fr/users/retiolus"}
    ]
    assert fields["published"] == datetime(2021, 11, 5, 11, 46, 50, tzinfo=UTC)
    assert fields["content"].startswith('<p><span class="h-card">')


def test_create_payloads_from_several_servers() -> None:
    pleroma = object_from_as2(load("pleroma/object-note.json"))
    assert pleroma["conversation"].startswith("https://mocked.local/contexts/")
    fedify = object_from_as2(load("fedify/object-note.json"))
    assert fedify["cc"] == ["http://127.0.0.1:42297/users/fred/followers"]
    gts = object_from_as2(
        load("gotosocial/activity-create-note-reply-interactionpolicy.json")["object"]
    )
    assert gts["to"] == [PUBLIC]  # a bare string, not a list
    assert gts["tags"][0]["type"] == "Mention"  # a single tag, not a list
    assert gts["summary"] is None  # "" means no content warning


def test_questions_from_mastodon_pleroma_and_misskey() -> None:
    mastodon = object_from_as2(load("mastodon/activity-create-question.json")["object"])
    assert mastodon["extra"]["oneOf"][1] == {"name": "Everyone knows that!", "votes": 1}
    assert mastodon["extra"]["endTime"] == "2019-05-11T09:03:36Z"
    pleroma = object_from_as2(load("pleroma/object-question-poll-original.json"))
    assert pleroma["extra"]["closed"] == "2019-09-19T00:32:36Z"
    misskey = object_from_as2(load("misskey/object-question-no-end-date.json"))
    assert misskey["extra"]["endTime"] is None
    assert [o["name"] for o in misskey["extra"]["oneOf"]] == ["Working", "Broken af"]


def test_mobilizon_event_and_lemmy_page() -> None:
    event = object_from_as2(load("mobilizon/activity-create-event.json")["object"])
    assert event["name"] == "My first event"
    assert event["extra"]["startTime"] == "2018-02-12T14:08:20Z"
    assert event["extra"]["location"]["name"] == "Locaux de Framasoft"
    page = object_from_as2(load("lemmy/activity-create-or-update-create-page.json")["object"])
    assert (page["name"], page["language"]) == ("test post", "ko")
    assert page["attachments"] == [
        {"type": "Link", "url": "https://lemmy.ml/pictrs/image/xl8W7FZfk9.jpg"}
    ]


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "Note", "content": "no id"},
        {"id": "https://x.example/1", "type": "ChatMessage"},
        {"id": "https://x.example/1"},
    ],
)
def test_objects_we_do_not_store_are_refused(doc: dict[str, Any]) -> None:
    with pytest.raises(InvalidObjectError):
        object_from_as2(doc)


def _base(**extra: Any) -> dict[str, Any]:
    fields = {
        "ap_id": "https://school.example/users/alice/statuses/7",
        "type": "Note",
        "url": "https://school.example/@alice/7",
        "name": None,
        "summary": None,
        "content": "<p>Hello</p>",
        "sensitive": False,
        "language": None,
        "in_reply_to": None,
        "conversation": None,
        "to": [PUBLIC],
        "cc": ["https://school.example/users/alice/followers"],
        "tags": [],
        "attachments": [],
        "extra": {},
        "published": datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        "updated_at": None,
    }
    fields.update(extra)
    return fields


@pytest.mark.parametrize(
    "fields",
    [
        _base(),
        _base(
            summary="Exam answers",
            sensitive=True,
            language="de",
            in_reply_to="https://m.example/notes/1",
            conversation="https://school.example/contexts/1",
            tags=[
                {
                    "type": "Mention",
                    "name": "@bob@m.example",
                    "href": "https://m.example/users/bob",
                },
                {"type": "Hashtag", "name": "#chemistry", "href": "https://school.example/tags/x"},
                {"type": "Emoji", "name": ":atom:", "icon": "https://school.example/e/atom.png"},
            ],
            attachments=[
                {
                    "type": "Document",
                    "url": "https://school.example/media/1.png",
                    "mediaType": "image/png",
                    "name": "Periodic table",
                    "blurhash": "LEHV6nWB2yk8",
                    "width": 640,
                    "height": 480,
                    "focalPoint": [0.0, 0.5],
                }
            ],
            updated_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        ),
        _base(
            type="Question",
            extra={
                "anyOf": [{"name": "Monday", "votes": 3}, {"name": "Friday", "votes": 5}],
                "endTime": "2026-03-08T08:00:00Z",
                "closed": None,
                "votersCount": 6,
            },
        ),
        _base(
            type="Event",
            name="Chemistry teachers' seminar",
            extra={
                "startTime": "2026-04-01T14:00:00Z",
                "endTime": "2026-04-01T16:00:00Z",
                "location": {"type": "Place", "name": "Room 12"},
                "joinMode": "free",
                "maximumAttendeeCapacity": 30,
            },
        ),
        _base(
            type="Document",
            name="Worksheet",
            extra={"mediaType": "application/pdf", "schoolSubject": "chemistry", "grade": ["8"]},
        ),
        _base(type="Article", name="Lesson plan", extra={"license": "CC-BY-4.0"}),
    ],
    ids=["note", "note-everything", "question", "event", "document", "article"],
)
def test_what_we_write_reads_back_the_same(fields: dict[str, Any]) -> None:
    assert round_trip(fields) == fields


def test_what_mastodon_reads_in_our_documents() -> None:
    doc = object_to_as2(row(_base(summary="cw", sensitive=True)), AUTHOR, CONFIG)
    assert doc["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert doc["attributedTo"] == AUTHOR.ap_id
    assert (doc["summary"], doc["sensitive"]) == ("cw", True)
    assert doc["published"] == "2026-03-01T08:00:00Z"
    plain = object_to_as2(row(_base()), AUTHOR, CONFIG)
    assert plain["summary"] is None  # always present, null without a content warning
    assert "name" not in plain and "updated" not in plain


def test_a_deleted_object_is_a_tombstone() -> None:
    obj = row(_base())
    obj.deleted_at = datetime(2026, 3, 3, tzinfo=UTC)
    assert object_to_as2(obj, AUTHOR, CONFIG) == {
        "@context": object_to_as2(row(_base()), AUTHOR, CONFIG)["@context"],
        "id": obj.ap_id,
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": "2026-03-03T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018-02-12T14:08:20Z", datetime(2018, 2, 12, 14, 8, 20, tzinfo=UTC)),
        ("2019-09-19T00:32:36.785333", datetime(2019, 9, 19, 0, 32, 36, 785333, tzinfo=UTC)),
        ("2026-02-11T15:18:55+01:00", datetime(2026, 2, 11, 14, 18, 55, tzinfo=UTC)),
        ("2026-11-26T13:28:42.623722612Z", datetime(2026, 11, 26, 13, 28, 42, 623722, tzinfo=UTC)),
        ("2019-09-05T05:35:32.541Z", datetime(2019, 9, 5, 5, 35, 32, 541000, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
        (12, None),
    ],
)
def test_times_as_servers_send_them(value: Any, expected: datetime | None) -> None:
    assert parse_time(value) == expected
