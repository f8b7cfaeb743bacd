"""Events across two nodes, the Fedify peer and a Mobilizon-shaped server, told in order.

Node A (PostgreSQL when configured) with alice and carol, node B (SQLite)
with bob and dora, fred on the Fedify peer, and a raw server playing
Mobilizon (a member and their Group). bob follows alice. alice organizes a
seminar (capacity 2, by approval, in Moscow time); bob joins from B and
fred from the Fedify peer; alice approves both; a third join is refused;
every node shows two participants; bob leaves and the count drops
everywhere; the ``.ics`` of the event and of the node parse with
``icalendar`` with the right start in UTC; a Mobilizon group event arrives,
shows as an event and is joined from here. Then the refusals, each a clear
error that keeps nothing.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest
from mastodon import Mastodon
from sqlmodel import func, select

from federation.signatures.cavage import sign_cavage
from storage.models import EventParticipant, EventRow, InboxItem, InboxState
from tests.support.node import Node, wait_until
from tests.support.remote import RemoteActor, remote_server
from tests.support.world import World as SharedWorld
from tests.support.world import started_world

API = "/api/v1/staffroom/events"
AS = "application/activity+json"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "mobilizon"


@dataclass
class World(SharedWorld):
    """The shared world, and a raw server playing Mobilizon (a member and their Group)."""

    mobilizon: Any = None
    member: Any = None
    group: Any = None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with (
        started_world(
            tmp_path_factory.mktemp("events"),
            {"a": ("alice", "carol"), "b": ("bob", "dora")},
            peer="fred",
            env={"STAFFROOM_EVENT_COUNT_DEBOUNCE_SECONDS": "1"},
        ) as shared,
        remote_server() as mobilizon,
    ):
        member = mobilizon.add_actor("user")
        group = mobilizon.add_actor("group")
        group.overrides = {"type": "Group"}
        yield World(
            shared.nodes,
            shared.tokens,
            shared.fred,
            mobilizon=mobilizon,
            member=member,
            group=group,
        )


def signed_post(url: str, actor: RemoteActor, activity: dict[str, Any]) -> httpx.Response:
    body = json.dumps(activity).encode()
    headers = {"Content-Type": AS}
    signed = sign_cavage("POST", url, dict(headers), actor.key_id, actor.private_pem, body)
    return httpx.post(url, content=body, headers={**headers, **signed}, timeout=20)


def _count(node: Node, model: Any, *where: Any) -> int:
    async def work(session: Any) -> int:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return int((await session.exec(query)).one())

    return node.with_session(work)


def _event_on(world: World, node: Node, who: str, uri: str) -> dict[str, Any] | None:
    with world.http(node, who) as http:
        found = http.get(API, params={"limit": 80}).json()
    return next((e for e in found if e["uri"] == uri), None)


SEMINAR = {
    "title": "Formative assessment in grade 6 maths",
    "description": "We try **exit tickets**. <script>alert(1)</script>",
    "kind": "seminar",
    "start_time": "2031-03-20T10:00:00",
    "end_time": "2031-03-20T11:30:00",
    "timezone": "Europe/Moscow",
    "online_url": "https://meet.example.org/formative",
    "place[name]": "School 57",
    "place[locality]": "Moscow",
    "place[country]": "Russia",
    "capacity": "2",
    "registration": "approval",
    "subjects[]": ["mathematics"],
    "grades[]": ["6"],
}


def test_bob_follows_alice(world: World) -> None:
    bob = Mastodon(access_token=world.tokens["bob"], api_base_url=world.b.base_url)
    found = bob.search_v2(f"alice@{world.a.domain}", resolve=True)["accounts"]
    bob.account_follow(found[0]["id"])
    wait_until(lambda: bob.account_relationships(found[0]["id"])[0]["following"], timeout=30)
    world.seen["bob_client"] = bob


def test_alice_organizes_a_seminar(world: World) -> None:
    with world.http(world.a, "alice") as http:
        response = http.post(API, data=SEMINAR)
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["title"] == SEMINAR["title"]
    assert event["start_time"].startswith("2031-03-20T07:00:00")  # Moscow is UTC+3
    assert event["timezone"] == "Europe/Moscow"
    assert event["registration"] == "approval" and event["capacity"] == 2
    assert event["subjects"] == ["mathematics"] and event["grades"] == ["6"]
    assert (
        "<script" not in event["description"]
        and "<strong>exit tickets</strong>" in (event["description"])
    )
    world.seen["event"] = event
    doc = httpx.get(event["uri"], headers={"Accept": AS}, timeout=10).json()
    assert doc["type"] == "Event"
    assert doc["startTime"] == "2031-03-20T07:00:00Z"
    assert doc["joinMode"] == "restricted"
    assert doc["maximumAttendeeCapacity"] == 2 and doc["remainingAttendeeCapacity"] == 2
    assert doc["participantCount"] == 0 and doc["ical:status"] == "CONFIRMED"
    assert doc["location"]["type"] == "Place"
    assert doc["location"]["address"]["addressLocality"] == "Moscow"
    assert doc["isOnline"] is False and doc["anonymousParticipationEnabled"] is False
    assert any(a.get("href") == SEMINAR["online_url"] for a in doc["attachment"])


def test_the_event_reaches_b_and_mastodon_apps_see_title_time_place_link(world: World) -> None:
    uri = world.seen["event"]["uri"]
    remote = wait_until(lambda: _event_on(world, world.b, "bob", uri), timeout=30)
    assert remote["start_time"].startswith("2031-03-20T07:00:00")
    assert remote["timezone"] == "Europe/Moscow" and remote["capacity"] == 2
    assert remote["registration"] == "approval" and remote["local"] is False
    assert remote["subjects"] == ["mathematics"]
    world.seen["remote_id"] = remote["id"]
    status = world.seen["bob_client"].status(remote["id"])
    assert SEMINAR["title"] in status["content"]
    assert "2031-03-20 10:00" in status["content"]  # in the event's own zone
    assert "School 57" in status["content"] and uri in status["content"]


def test_bob_and_fred_join_and_alice_approves_both(world: World) -> None:
    with world.http(world.b, "bob") as http:
        joined = http.post(f"{API}/{world.seen['remote_id']}/join")
    assert joined.status_code == 200, joined.text
    assert joined.json()["participation"] == "pending"
    world.fred.join(world.seen["event"]["uri"])
    event_id = world.seen["event"]["id"]
    with world.http(world.a, "alice") as http:
        pending = wait_until(
            lambda: len(found := http.get(f"{API}/{event_id}/participants").json()) == 2 and found,
            timeout=30,
        )
        assert {p["state"] for p in pending} == {"pending"}
        for participant in pending:
            answer = http.post(f"{API}/{event_id}/participants/{participant['id']}/approve")
            assert answer.status_code == 200 and answer.json()["state"] == "accepted"
    world.fred.wait_for(type="Accept", timeout=30)
    wait_until(
        lambda: (
            _event_on(world, world.b, "bob", world.seen["event"]["uri"])["participation"]
            == "accepted"
        ),
        timeout=30,
    )


def test_a_third_join_is_refused_and_nothing_is_kept(world: World) -> None:
    event_id = world.seen["event"]["id"]
    with world.http(world.a, "carol") as http:
        response = http.post(f"{API}/{event_id}/join")
    assert response.status_code == 422
    assert "full" in response.json()["error"]
    with world.http(world.b, "dora") as http:
        response = http.post(f"{API}/{world.seen['remote_id']}/join")
    assert response.status_code == 200  # B cannot know; A answers with a Reject
    wait_until(
        lambda: (
            _event_on(world, world.b, "dora", world.seen["event"]["uri"])["participation"]
            == "rejected"
        ),
        timeout=30,
    )
    assert _count(world.a, EventParticipant) == 2


def test_every_node_shows_two_participants(world: World) -> None:
    uri = world.seen["event"]["uri"]
    assert _event_on(world, world.a, "alice", uri)["participants_count"] == 2
    wait_until(lambda: _event_on(world, world.b, "bob", uri)["participants_count"] == 2, timeout=30)

    def fred_sees_two() -> bool:
        updates = world.fred.received(type="Update")
        return any(u["activity"]["object"].get("participantCount") == 2 for u in updates)

    wait_until(fred_sees_two, timeout=30)


def test_bob_leaves_and_the_count_drops_everywhere(world: World) -> None:
    uri = world.seen["event"]["uri"]
    with world.http(world.b, "bob") as http:
        response = http.post(f"{API}/{world.seen['remote_id']}/leave")
    assert response.status_code == 200, response.text
    assert response.json()["participation"] is None
    wait_until(lambda: _event_on(world, world.a, "alice", uri)["participants_count"] == 1)
    wait_until(lambda: _event_on(world, world.b, "bob", uri)["participants_count"] == 1, timeout=30)
    with world.http(world.a, "alice") as http:
        states = http.get(f"{API}/{world.seen['event']['id']}/participants").json()
    assert len(states) == 1


def test_an_edit_reaches_b_and_fred_and_the_participants_are_told(world: World) -> None:
    event = world.seen["event"]
    with world.http(world.a, "alice") as http:
        response = http.patch(
            f"{API}/{event['id']}", data={"title": "Exit tickets in grade 6", "start_time": ""}
        )
        assert response.status_code == 422  # an empty start is no time
        response = http.patch(f"{API}/{event['id']}", data={"title": "Exit tickets in grade 6"})
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Exit tickets in grade 6"
    uri = event["uri"]
    wait_until(
        lambda: _event_on(world, world.b, "dora", uri)["title"] == "Exit tickets in grade 6",
        timeout=30,
    )
    world.fred.wait_for(
        type="Update",
        predicate=lambda u: u["activity"]["object"].get("name") == "Exit tickets in grade 6",
        timeout=30,
    )


def test_a_cancellation_is_an_update_with_ical_status_cancelled(world: World) -> None:
    with world.http(world.a, "alice") as http:
        other = http.post(API, data={**SEMINAR, "title": "Cancelled later", "capacity": ""})
        assert other.status_code == 200, other.text
        created = other.json()
        uri = created["uri"]
        wait_until(lambda: _event_on(world, world.b, "bob", uri), timeout=30)
        with world.http(world.b, "bob") as bob_http:
            remote_id = _event_on(world, world.b, "bob", uri)["id"]
            assert bob_http.post(f"{API}/{remote_id}/join").status_code == 200
        wait_until(
            lambda: _event_on(world, world.b, "bob", uri)["participation"] == "pending", timeout=30
        )
        cancelled = http.post(f"{API}/{created['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert http.post(f"{API}/{created['id']}/cancel").status_code == 422
    doc = httpx.get(uri, headers={"Accept": AS}, timeout=10).json()
    assert doc["ical:status"] == "CANCELLED"
    wait_until(lambda: _event_on(world, world.b, "bob", uri)["status"] == "cancelled", timeout=30)
    bob = world.seen["bob_client"]
    wait_until(
        lambda: any(
            n["type"] == "update" and n["status"]["uri"] == uri for n in bob.notifications()
        ),
        timeout=30,
    )
    with world.http(world.b, "dora") as http:
        refused = http.post(f"{API}/{remote_id}/join")
    assert refused.status_code == 422 and "cancelled" in refused.json()["error"]
    world.seen["cancelled"] = created


def test_a_deleted_event_goes_from_every_node(world: World) -> None:
    created = world.seen["cancelled"]
    with world.http(world.a, "alice") as http:
        assert http.delete(f"{API}/{created['id']}").status_code == 200
        assert http.get(f"{API}/{created['id']}").status_code == 404
    wait_until(lambda: _event_on(world, world.b, "bob", created["uri"]) is None, timeout=30)
    assert httpx.get(created["uri"], headers={"Accept": AS}, timeout=10).status_code == 410


def test_calendars_parse_with_the_start_in_utc(world: World) -> None:
    event = world.seen["event"]
    with world.http(world.a) as http:
        one = http.get(f"{API}/{event['id']}/calendar.ics")
        node = http.get(f"{API}/calendar.ics")
    assert one.headers["content-type"].startswith("text/calendar")
    for body in (one.content, node.content):
        calendar = icalendar.Calendar.from_ical(body)
        vevents = [e for e in calendar.walk("VEVENT") if str(e["UID"]) == event["uri"]]
        assert len(vevents) == 1
        start = vevents[0].decoded("DTSTART")
        assert start.astimezone(UTC) == datetime(2031, 3, 20, 7, 0, tzinfo=UTC)
        assert str(vevents[0]["DTSTART"].params["TZID"]) == "Europe/Moscow"
        assert any(str(tz["TZID"]) == "Europe/Moscow" for tz in calendar.walk("VTIMEZONE"))
    with world.http(world.b, "dora") as http:
        joined = icalendar.Calendar.from_ical(http.get(f"{API}/joined.ics").content)
    assert joined.walk("VEVENT") == []  # dora was refused: not her event


def _mobilizon_event(world: World) -> dict[str, Any]:
    raw = json.loads((FIXTURES / "activity-create-event-group.json").read_text())
    activity = copy.deepcopy(raw)
    event_id = f"{world.mobilizon.base_url}/events/{time.time_ns()}"
    member, group = world.member.id, world.group.id
    obj = activity["object"]
    obj.update(
        id=event_id,
        actor=member,
        attributedTo=group,
        to=["https://www.w3.org/ns/activitystreams#Public"],
        endTime="2031-02-12T16:00:00Z",
        startTime="2031-02-12T14:08:20Z",
        joinMode="free",
    )
    activity.update(
        id=f"{event_id}/activity",
        actor=member,
        attributedTo=group,
        to=["https://www.w3.org/ns/activitystreams#Public"],
    )
    activity.pop("signature", None)
    world.mobilizon.serve({k: v for k, v in obj.items()})
    return activity


def test_a_mobilizon_group_event_arrives_and_is_joined_from_here(world: World) -> None:
    activity = _mobilizon_event(world)
    response = signed_post(f"{world.a.base_url}/inbox", world.member, activity)
    assert response.status_code == 202, response.text
    uri = activity["object"]["id"]
    event = wait_until(lambda: _event_on(world, world.a, "carol", uri), timeout=30)
    assert event["title"] == "My first event" and event["local"] is False
    assert event["organizer"]["acct"].startswith("group@")
    assert event["start_time"].startswith("2031-02-12T14:08:20")
    with world.http(world.a, "carol") as http:
        joined = http.post(f"{API}/{event['id']}/join")
    assert joined.status_code == 200, joined.text

    def join_arrived() -> dict[str, Any] | None:
        for item in world.mobilizon.received:
            body = json.loads(item["body"])
            if body.get("type") == "Join" and body.get("object") == uri:
                return body
        return None

    join = wait_until(join_arrived, timeout=30)
    world.seen["mobilizon_join"] = join
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{world.member.id}/accept/{time.time_ns()}",
        "type": "Accept",
        "actor": world.member.id,
        "object": join["id"],
    }
    assert signed_post(f"{world.a.base_url}/inbox", world.member, accept).status_code == 202
    wait_until(lambda: _event_on(world, world.a, "carol", uri)["participation"] == "accepted")
    with world.http(world.a, "carol") as http:
        joined = icalendar.Calendar.from_ical(http.get(f"{API}/joined.ics").content)
    assert [str(e["UID"]) for e in joined.walk("VEVENT")] == [uri]


def test_a_stranger_cannot_answer_or_update_what_is_not_theirs(world: World) -> None:
    stranger = world.mobilizon.add_actor("stranger")
    # Another origin's participantCount for alice's event: refused at B's door.
    doc = httpx.get(world.seen["event"]["uri"], headers={"Accept": AS}, timeout=10).json()
    doc["participantCount"] = 99
    update = world.mobilizon.activity(stranger, "Update", doc)
    response = signed_post(f"{world.b.base_url}/inbox", stranger, update)
    assert response.status_code == 400
    uri = world.seen["event"]["uri"]
    assert _event_on(world, world.b, "bob", uri)["participants_count"] == 1


def test_bad_events_are_refused_with_a_clear_error_and_nothing_stored(world: World) -> None:
    before = _count(world.a, EventRow)
    cases = {
        "end": {**SEMINAR, "end_time": "2031-03-20T09:00:00"},
        "time zone": {**SEMINAR, "timezone": "Mars/Olympus_Mons"},
        "kind": {**SEMINAR, "kind": "party"},
        "registration": {**SEMINAR, "registration": "maybe"},
        "capacity": {**SEMINAR, "capacity": "0"},
    }
    with world.http(world.a, "alice") as http:
        for word, data in cases.items():
            response = http.post(API, data=data)
            assert response.status_code == 422, (word, response.text)
            assert word in response.json()["error"], (word, response.text)
    assert _count(world.a, EventRow) == before


def test_joins_for_closed_forged_and_duplicate_are_refused(world: World) -> None:
    with world.http(world.a, "alice") as http:
        closed = http.post(API, data={**SEMINAR, "registration": "closed", "capacity": ""})
    assert closed.status_code == 200, closed.text
    closed_uri = closed.json()["uri"]
    mallory = world.mobilizon.add_actor("mallory")
    before = _count(world.a, EventParticipant)
    join = world.mobilizon.activity(mallory, "Join", closed_uri)
    assert signed_post(f"{world.a.base_url}/inbox", mallory, join).status_code == 202

    def rejected() -> bool:
        for item in world.mobilizon.received:
            body = json.loads(item["body"])
            if body.get("type") == "Reject" and (body.get("object") or {}).get("id") == join["id"]:
                return True
        return False

    wait_until(rejected, timeout=30)
    assert _count(world.a, EventParticipant) == before
    # A Join for someone else (signed by mallory, naming the member): refused at the door.
    forged = world.mobilizon.activity(world.member, "Join", world.seen["event"]["uri"])
    assert signed_post(f"{world.a.base_url}/inbox", mallory, forged).status_code in (401, 403)
    # fred joins again: the second Join is refused and keeps nothing.
    refused_joins = InboxItem.activity_type == "Join", InboxItem.state == InboxState.REJECTED
    already = _count(world.a, InboxItem, *refused_joins)
    world.fred.join(world.seen["event"]["uri"])
    wait_until(lambda: _count(world.a, InboxItem, *refused_joins) > already, timeout=30)
    assert _count(world.a, EventParticipant) == before
    # A followers-only event cannot be joined by someone who cannot see it.
    with world.http(world.a, "alice") as http:
        private = http.post(API, data={**SEMINAR, "visibility": "private", "capacity": ""})
    assert private.status_code == 200, private.text
    already = _count(world.a, InboxItem, *refused_joins)
    sneaky = world.mobilizon.activity(mallory, "Join", private.json()["uri"])
    assert signed_post(f"{world.a.base_url}/inbox", mallory, sneaky).status_code == 202
    wait_until(lambda: _count(world.a, InboxItem, *refused_joins) > already, timeout=30)
    assert _count(world.a, EventParticipant) == before
