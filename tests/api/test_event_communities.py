"""Events organized by a community, on one node and both backends (issue 13, parts 1 and 3).

olga owns ``methodists`` (members-only, open to join) and ``bulletin`` (an
announcement channel: only moderators post). pavel and sasha join
methodists, sasha joins bulletin, rita joins nothing. An event olga posts
to methodists is announced by the community to its members, listed,
read, joined and put in the community's calendar for members only; a
stranger gets the 404 a missing event gets, by every door. Posting to a
community one may not post in is a 422 that stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import icalendar
import pytest

from tests.support.node import Node, running_node, wait_until

API = "/api/v1/staffroom/events"
COMMUNITIES = "/api/v1/staffroom/communities"
NAMES = ("olga", "pavel", "rita", "sasha")


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with running_node(
        tmp_path_factory.mktemp("event-communities"), module_db_kind, NAMES
    ) as served:
        yield served


@pytest.fixture(scope="module")
def tokens(node: Node) -> dict[str, str]:
    return {name: node.token(name) for name in NAMES}


def _http(node: Node, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=node.base_url, headers=headers, timeout=30)


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Methodists' seminar",
        "start_time": "2033-02-01T15:00:00",
        "end_time": "2033-02-01T17:00:00",
        "timezone": "Europe/Moscow",
        "kind": "seminar",
        **extra,
    }


def _join(node: Node, token: str, group_id: str) -> None:
    with _http(node, token) as http:
        http.post(f"/api/v1/accounts/{group_id}/follow").raise_for_status()
        wait_until(
            lambda: http.get("/api/v1/accounts/relationships", params={"id[]": group_id}).json()[0][
                "following"
            ]
        )


@pytest.fixture(scope="module")
def groups(node: Node, tokens: dict[str, str]) -> dict[str, str]:
    made = {}
    with _http(node, tokens["olga"]) as http:
        for name, extra in (
            ("methodists", {"visibility": "members"}),
            ("bulletin", {"posting_policy": "moderators"}),
        ):
            body = http.post(COMMUNITIES, data={"name": name, "join_policy": "open", **extra})
            assert body.status_code == 200, body.text
            made[name] = body.json()["account"]["id"]
    _join(node, tokens["pavel"], made["methodists"])
    _join(node, tokens["sasha"], made["methodists"])
    _join(node, tokens["sasha"], made["bulletin"])
    return made


def _titles(http: httpx.Client, **params: Any) -> set[str]:
    listed = http.get(API, params=params)
    assert listed.status_code == 200, listed.text
    return {e["title"] for e in listed.json()}


def test_who_may_post_an_event_to_a_community(
    node: Node, tokens: dict[str, str], groups: dict[str, str]
) -> None:
    with _http(node, tokens["rita"]) as http:
        stranger = http.post(API, json=_event(title="Gatecrash", community=groups["methodists"]))
        assert stranger.status_code == 422 and "members" in stranger.json()["error"]
        unknown = http.post(API, json=_event(title="Nowhere", community="999999"))
        assert unknown.status_code == 422
    with _http(node, tokens["sasha"]) as http:
        channel = http.post(API, json=_event(title="Not a moderator", community=groups["bulletin"]))
        assert channel.status_code == 422 and "moderators" in channel.json()["error"]
    with _http(node, tokens["olga"]) as http:
        posted = http.post(API, json=_event(title="Bulletin day", community=groups["bulletin"]))
        assert posted.status_code == 200, posted.text
        assert posted.json()["community_id"] == groups["bulletin"]
    with _http(node, None) as http:  # a public community's event is public, and filtered
        assert _titles(http, community=groups["bulletin"]) == {"Bulletin day"}
        assert _titles(http, community_id=groups["bulletin"]) == {"Bulletin day"}
        titles = _titles(http)
    assert "Bulletin day" in titles
    assert not titles & {"Gatecrash", "Nowhere", "Not a moderator"}  # nothing kept


def test_a_members_only_communitys_event_stays_with_its_members(
    node: Node, tokens: dict[str, str], groups: dict[str, str]
) -> None:
    group = groups["methodists"]
    with _http(node, tokens["olga"]) as http:
        posted = http.post(API, json=_event(community=group))
        assert posted.status_code == 200, posted.text
        event_id = posted.json()["id"]
    with _http(node, tokens["pavel"]) as http:
        # The community announced it: its boost reaches the member's home timeline.
        boosted = wait_until(
            lambda: [
                s
                for s in http.get("/api/v1/timelines/home").json()
                if s.get("reblog") and s["reblog"]["id"] == event_id
            ]
        )
        assert boosted[0]["account"]["id"] == group
        assert "Methodists' seminar" in _titles(http)
        assert _titles(http, community=group) == {"Methodists' seminar"}
        assert http.get(f"{API}/{event_id}").status_code == 200
        joined = http.post(f"{API}/{event_id}/join")
        assert joined.status_code == 200, joined.text
        ics = http.get(f"/api/v1/staffroom/communities/{group}/calendar.ics")
        assert ics.status_code == 200, ics.text
        cal = icalendar.Calendar.from_ical(ics.content)
        starts = [str(e["DTSTART"].dt.astimezone().isoformat()) for e in cal.walk("VEVENT")]
        assert [e["SUMMARY"] for e in cal.walk("VEVENT")] == ["Methodists' seminar"], starts
    for token in (tokens["rita"], None):
        with _http(node, token) as http:
            assert "Methodists' seminar" not in _titles(http)
            assert _titles(http, community=group) == set()
            assert http.get(f"{API}/{event_id}").status_code == 404
            assert http.get(f"{API}/{event_id}/calendar.ics").status_code == 404
            assert (
                http.get(f"/api/v1/staffroom/communities/{group}/calendar.ics").status_code == 404
            )
            assert b"Methodists' seminar" not in http.get(f"{API}/calendar.ics").content
            if token:
                assert http.post(f"{API}/{event_id}/join").status_code == 404
    with _http(node, tokens["olga"]) as http:
        people = http.get(f"{API}/{event_id}/participants").json()
    assert [p["account"]["username"] for p in people] == ["pavel"]
    with _http(node, tokens["pavel"]) as http:
        workshop = http.post(API, json=_event(title="Pavel's workshop", community=group))
        assert workshop.status_code == 200, workshop.text
    with _http(node, tokens["olga"]) as http:  # the owner (a role, no join) lists it
        assert "Pavel's workshop" in _titles(http, community=group)
    with _http(node, tokens["rita"]) as http:
        assert "Pavel's workshop" not in _titles(http)
    with _http(node, None) as http:  # a public community's calendar is anyone's
        public = http.get(f"/api/v1/staffroom/communities/{groups['bulletin']}/calendar.ics")
        assert public.status_code == 200 and b"Bulletin day" in public.content


MATERIALS = "/api/v1/staffroom/materials"


def _material(title: str, community: str) -> dict[str, Any]:
    return {"title": title, "links[]": ["https://school.example/plan"], "community": community}


def test_a_material_obeys_the_same_posting_rule(
    node: Node, tokens: dict[str, str], groups: dict[str, str]
) -> None:
    """The rule the community applies when it announces a post, asked before anything
    is kept: sasha is a member of bulletin but not a moderator, rita of nothing."""
    with _http(node, tokens["sasha"]) as http:
        channel = http.post(MATERIALS, data=_material("Sasha's notes", groups["bulletin"]))
        assert channel.status_code == 422 and "moderators" in channel.json()["error"]
        member = http.post(MATERIALS, data=_material("Sasha's plan", groups["methodists"]))
        assert member.status_code == 200, member.text
    with _http(node, tokens["rita"]) as http:
        stranger = http.post(MATERIALS, data=_material("Rita's plan", groups["methodists"]))
        assert stranger.status_code == 422 and "only members" in stranger.json()["error"]
    with _http(node, tokens["sasha"]) as http:
        titles = {m["title"] for m in http.get(MATERIALS, params={"limit": 40}).json()}
    assert "Sasha's plan" in titles
    assert not titles & {"Sasha's notes", "Rita's plan"}  # nothing kept
