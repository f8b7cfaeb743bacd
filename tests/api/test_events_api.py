"""``/api/v1/staffroom/events`` on one node, on both backends: scopes, lists and filters,
the wait list, privacy (a followers-only event stays with its audience), the C2S outbox
(a bare ``Event``, ``Join`` and ``Leave``) and what the Mastodon API may do to an event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import icalendar
import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.support.node import Node, running_node

API = "/api/v1/staffroom/events"
AS = "application/activity+json"
NAMES = ("olga", "pavel", "rita", "sasha")


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with running_node(tmp_path_factory.mktemp("events-api"), module_db_kind, NAMES) as served:
        yield served


@pytest.fixture(scope="module")
def tokens(node: Node) -> dict[str, str]:
    return {name: node.token(name) for name in NAMES} | {
        "olga-read": node.token("olga", scopes="read")
    }


def _http(node: Node, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=node.base_url, headers=headers, timeout=30)


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Olympiad training",
        "start_time": "2032-04-01T15:00:00",
        "end_time": "2032-04-01T17:00:00",
        "timezone": "Europe/Samara",
        "kind": "master_class",
        "subjects": ["physics"],
        "grades": ["9"],
        **extra,
    }


def test_scopes_and_a_json_body(node: Node, tokens: dict[str, str]) -> None:
    with _http(node, tokens["olga-read"]) as http:
        assert http.post(API, json=_event()).status_code == 403
    with _http(node, tokens["olga"]) as http:
        created = http.post(API, json=_event(place={"name": "Lyceum", "latitude": 53.2}))
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["place"]["name"] == "Lyceum" and body["place"]["latitude"] == 53.2
    assert body["kind"] == "master_class" and body["start_time"].startswith("2032-04-01T11:00")


def test_lists_filter_by_subject_grade_range_and_node(node: Node, tokens: dict[str, str]) -> None:
    with _http(node, tokens["olga"]) as http:
        http.post(
            API, json=_event(title="Chemistry lab", subjects=["chemistry"])
        ).raise_for_status()
        http.post(
            API,
            json=_event(title="Autumn", start_time="2032-10-01T10:00", end_time="2032-10-01T11:00"),
        ).raise_for_status()
    with _http(node, None) as http:
        titles = lambda **q: [e["title"] for e in http.get(API, params=q).json()]  # noqa: E731
        assert "Chemistry lab" in titles(subject="chemistry")
        assert "Chemistry lab" not in titles(subject="physics")
        assert titles(grade="9") and titles(grade="11") == []
        assert titles(**{"from": "2032-09-01T00:00", "to": "2032-12-31T00:00"}) == ["Autumn"]
        assert titles(node=node.domain) and titles(node="elsewhere.example") == []
        assert http.get(API, params={"from": "yesterday"}).status_code == 422


def test_a_wait_list_fills_a_freed_place(node: Node, tokens: dict[str, str]) -> None:
    with _http(node, tokens["olga"]) as http:
        event = http.post(API, json=_event(capacity=1, wait_list=True)).json()
    path = f"{API}/{event['id']}"
    with _http(node, tokens["pavel"]) as pavel, _http(node, tokens["rita"]) as rita:
        assert pavel.post(f"{path}/join").json()["participation"] == "accepted"
        assert rita.post(f"{path}/join").json()["participation"] == "waiting"
        duplicate = rita.post(f"{path}/join")
        assert duplicate.status_code == 422 and "already" in duplicate.json()["error"]
        assert pavel.post(f"{path}/leave").json()["participation"] is None
        after = rita.get(path).json()
    assert after["participation"] == "accepted" and after["participants_count"] == 1


def test_a_followers_only_event_stays_with_its_audience(node: Node, tokens: dict[str, str]) -> None:
    with _http(node, tokens["olga"]) as http:
        event = http.post(API, json=_event(title="Staff only", visibility="private")).json()
    path = f"{API}/{event['id']}"
    with _http(node, tokens["sasha"]) as stranger, _http(node, None) as anonymous:
        for client in (stranger, anonymous):
            assert client.get(path).status_code == 404
            assert client.get(f"{path}/calendar.ics").status_code == 404
            assert client.get(f"{path}/participants").status_code == 404
            assert "Staff only" not in [e["title"] for e in client.get(API).json()]
        assert stranger.post(f"{path}/join").status_code == 404
        calendar = icalendar.Calendar.from_ical(anonymous.get(f"{API}/calendar.ics").content)
        assert "Staff only" not in [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
        assert httpx.get(event["uri"], headers={"Accept": AS}, timeout=10).status_code in (
            401,
            403,
            404,
        )
    with _http(node, tokens["olga"]) as http:
        assert http.get(path).status_code == 200


def test_only_the_organizer_changes_an_event(node: Node, tokens: dict[str, str]) -> None:
    with _http(node, tokens["olga"]) as http:
        event = http.post(API, json=_event()).json()
    path = f"{API}/{event['id']}"
    with _http(node, tokens["pavel"]) as http:
        assert http.patch(path, json={"title": "Mine now"}).status_code == 403
        assert http.post(f"{path}/cancel").status_code == 403
        assert http.delete(path).status_code == 403
        assert http.post(f"{path}/participants/1/approve").status_code == 403
    olga = Mastodon(access_token=tokens["olga"], api_base_url=node.base_url)
    with pytest.raises(MastodonAPIError, match="edited through /api/v1/staffroom/events"):
        olga.status_update(event["id"], "new text")
    olga.status_delete(event["id"])
    with _http(node, tokens["olga"]) as http:
        assert http.get(path).status_code == 404


def test_the_c2s_outbox_takes_a_bare_event_and_join_and_leave(
    node: Node, tokens: dict[str, str]
) -> None:
    bare = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Event",
        "name": "Reading circle",
        "startTime": "2032-05-05T12:00:00Z",
        "endTime": "2032-05-05T13:00:00Z",
        "timezone": "Europe/Moscow",
        "source": {"content": "Bring **a book**", "mediaType": "text/markdown"},
        "location": {"type": "Place", "name": "Library", "address": {"addressLocality": "Tver"}},
        "maximumAttendeeCapacity": 10,
        "joinMode": "free",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    headers = {"Content-Type": AS}
    with _http(node, tokens["olga"]) as http:
        created = http.post("/users/olga/outbox", json=bare, headers=headers)
        assert created.status_code == 201, created.text
        listed = [e for e in http.get(API).json() if e["title"] == "Reading circle"]
    assert len(listed) == 1
    event = listed[0]
    assert event["capacity"] == 10 and event["place"]["locality"] == "Tver"
    assert "<strong>a book</strong>" in event["description"]
    join = {"type": "Join", "object": event["uri"]}
    with _http(node, tokens["rita"]) as http:
        assert http.post("/users/rita/outbox", json=join, headers=headers).status_code == 201
        assert http.get(f"{API}/{event['id']}").json()["participation"] == "accepted"
        again = http.post("/users/rita/outbox", json=join, headers=headers)
        assert again.status_code == 400 and "already" in again.text
        leave = {"type": "Leave", "object": event["uri"]}
        assert http.post("/users/rita/outbox", json=leave, headers=headers).status_code == 201
        assert http.get(f"{API}/{event['id']}").json()["participation"] is None
    bad = {**bare, "endTime": "2032-05-05T11:00:00Z"}
    with _http(node, tokens["olga"]) as http:
        refused = http.post("/users/olga/outbox", json=bad, headers=headers)
    assert refused.status_code == 400 and "after the start" in refused.text


def test_the_cli_lists_the_events_and_writes_the_calendar(node: Node, tmp_path: Any) -> None:
    listed = node.staffroom("events", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Olympiad training" in listed.stdout and "(Europe/Samara)" in listed.stdout
    assert "Staff only" not in listed.stdout  # the node's open events only
    out = tmp_path / "node.ics"
    written = node.staffroom("events", "calendar", "--out", str(out))
    assert written.returncode == 0, written.stderr
    summaries = [
        str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    ]
    assert "Olympiad training" in summaries and "Staff only" not in summaries
    reminded = node.staffroom("events", "remind")
    assert reminded.returncode == 0 and reminded.stdout.startswith("sent ")


def test_an_edited_poll_ends_when_its_new_end_says(node: Node, tokens: dict[str, str]) -> None:
    from datetime import timedelta

    from sqlmodel import select

    from storage.models import ContentObject, PollState

    olga = Mastodon(access_token=tokens["olga"], api_base_url=node.base_url)
    status = olga.status_post("Trip?", poll=olga.make_poll(["Zoo", "Museum"], expires_in=3600))
    edited = olga.status_update(
        status, "Trip!", poll=olga.make_poll(["Zoo", "Museum", "Park"], expires_in=7200)
    )

    async def ends(session: Any) -> Any:
        obj = (
            await session.exec(select(ContentObject).where(ContentObject.ap_id == status["uri"]))
        ).one()
        return (await session.get(PollState, obj.id)).ends_at

    stored = node.with_session(ends)
    assert abs(stored - edited["poll"]["expires_at"]) < timedelta(seconds=2)
    assert stored - status["poll"]["expires_at"] > timedelta(minutes=59)
