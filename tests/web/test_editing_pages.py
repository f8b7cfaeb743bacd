"""Editing from the pages on a real node: a material (its files too) and an event,
by their owner only; each edit goes out as one ``Update``; forms without a token,
from another site, or from someone else are refused and change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support import material_files as files
from tests.support.node import Node

PASSWORD = "correct horse battery"


def _token(html: str) -> str:
    found = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _sign_in(node: Node, who: str) -> httpx.Client:
    client = httpx.Client(base_url=node.base_url, timeout=60, headers={"Accept-Language": "en"})
    token = _token(client.get("/login").text)
    answer = client.post(
        "/login", data={"authenticity_token": token, "username": who, "password": PASSWORD}
    )
    assert answer.status_code == 303, answer.text
    return client


def _updates(node: Node, object_id: int) -> int:
    from sqlmodel import select

    from storage.models import Activity, ContentObject

    async def work(session: Any) -> int:
        obj = await session.get(ContentObject, object_id)
        rows = await session.exec(
            select(Activity).where(Activity.type == "Update", Activity.object_ap_id == obj.ap_id)
        )
        return len(rows.all())

    return node.with_session(work)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    a = Node(tmp_path_factory.mktemp("editing-pages"))
    try:
        a.migrate()
        for name in ("alice", "bob"):
            a.create_user(name)
        a.start()
        yield a
    finally:
        a.close()


@pytest.fixture(scope="module")
def material(node: Node) -> int:
    alice = _sign_in(node, "alice")
    token = _token(alice.get("/materials/new").text)
    answer = alice.post(
        "/materials/new",
        data={
            "authenticity_token": token,
            "title": "Photosynthesis worksheet",
            "description": "Leaves and *light*.",
            "subjects": "biology",
            "grades": "7",
            "type": "worksheet",
            "license": "CC-BY-4.0",
            "language": "en",
            "visibility": "public",
            "tags": "plants",
            "links": "",
        },
        files=[("files", ("leaf.pdf", files.pdf("Chlorophyll"), "application/pdf"))],
    )
    assert answer.status_code == 303, answer.text
    alice.close()
    return int(answer.headers["location"].rsplit("/", 1)[1])


def test_the_author_edits_a_material_and_its_files(node: Node, material: int) -> None:
    alice = _sign_in(node, "alice")
    page = alice.get(f"/materials/{material}").text
    assert f'href="/materials/{material}/edit"' in page
    form = alice.get(f"/materials/{material}/edit")
    assert form.status_code == 200
    html = form.text
    assert 'value="Photosynthesis worksheet"' in html and "Leaves and *light*." in html
    assert re.search(r'<option value="biology" selected>', html)
    assert "data-progress" in html  # the upload progress script applies
    old_file = re.search(r'name="remove_files" value="(\d+)"', html)
    assert old_file
    before = _updates(node, material)
    answer = alice.post(
        f"/materials/{material}/edit",
        data={
            "authenticity_token": _token(html),
            "title": "Photosynthesis <em>worksheet</em>, revised",
            "description": "Leaves, light and water.",
            "subjects": ["biology", "chemistry"],
            "grades": "8",
            "type": "worksheet",
            "license": "CC-BY-SA-4.0",
            "language": "en",
            "tags": "plants, water",
            "links": "",
            "remove_files": old_file.group(1),
        },
        files=[("files", ("water.pdf", files.pdf("Osmosis"), "application/pdf"))],
    )
    assert answer.status_code == 303, answer.text
    page = alice.get(f"/materials/{material}").text
    # Markup in the title is dropped (titles are plain text), never rendered.
    assert "worksheet</em>, revised" not in page and "<em>worksheet" not in page
    assert "revised" in page
    assert "water.pdf" in page and "leaf.pdf" not in page
    assert "Leaves, light and water." in page
    assert _updates(node, material) == before + 1
    # A refused edit (no file and no link left) shows the form again, nothing changed.
    html = alice.get(f"/materials/{material}/edit").text
    current = re.findall(r'name="remove_files" value="(\d+)"', html)
    refused = alice.post(
        f"/materials/{material}/edit",
        data={
            "authenticity_token": _token(html),
            "title": "Emptied",
            "type": "worksheet",
            "license": "CC-BY-4.0",
            "remove_files": current,
            "links": "",
            "tags": "",
        },
    )
    assert refused.status_code == 422 and 'id="form-error"' in refused.text
    assert "Emptied" not in alice.get(f"/materials/{material}").text
    alice.close()


def test_no_one_else_edits_a_material(node: Node, material: int) -> None:
    bob = _sign_in(node, "bob")
    page = bob.get(f"/materials/{material}").text
    assert f"/materials/{material}/edit" not in page
    assert bob.get(f"/materials/{material}/edit").status_code == 403
    before = _updates(node, material)
    answer = bob.post(
        f"/materials/{material}/edit",
        data={"authenticity_token": _token(page), "title": "Bob's now", "type": "worksheet"},
    )
    assert answer.status_code == 403
    alice = _sign_in(node, "alice")
    html = alice.get(f"/materials/{material}/edit").text
    for data, headers in (
        ({"title": "No token"}, {}),
        ({"title": "Forged", "authenticity_token": "A" * 43}, {}),
        (
            {"title": "Cross", "authenticity_token": _token(html)},
            {"Origin": "https://evil.example"},
        ),
    ):
        answer = alice.post(f"/materials/{material}/edit", data=data, headers=headers)
        assert answer.status_code == 403
    with httpx.Client(base_url=node.base_url) as visitor:
        assert visitor.get(f"/materials/{material}/edit").status_code == 401
    page = alice.get(f"/materials/{material}").text
    assert "Bob&#39;s now" not in page and "No token" not in page and "Cross" not in page
    assert _updates(node, material) == before
    alice.close()
    bob.close()


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_an_event_is_organized_and_edited_by_its_organizer_only(node: Node) -> None:
    alice = _sign_in(node, "alice")
    events = alice.get("/events").text
    assert 'href="/events/new"' in events
    form = alice.get("/events/new").text
    start = datetime.now(UTC) + timedelta(days=10)
    fields = {
        "authenticity_token": _token(form),
        "title": "Robotics <b>club</b>",
        "description": "Bring a laptop.",
        "kind": "master_class",
        "timezone": "Europe/Moscow",
        "start": _local(start),
        "end": _local(start + timedelta(hours=2)),
        "place_name": "Room 12",
        "locality": "Kazan",
        "capacity": "20",
        "registration": "open",
        "visibility": "public",
        "online_url": "",
    }
    bad = alice.post("/events/new", data={**fields, "end": _local(start - timedelta(hours=1))})
    assert bad.status_code == 422 and "end must come after the start" in bad.text
    answer = alice.post("/events/new", data=fields)
    assert answer.status_code == 303, answer.text
    event_id = int(answer.headers["location"].rsplit("/", 1)[1])
    page = alice.get(f"/events/{event_id}").text
    assert "<b>club" not in page and "Robotics" in page and "Room 12" in page
    assert f'href="/events/{event_id}/edit"' in page
    html = alice.get(f"/events/{event_id}/edit").text
    # Shown back as typed: the wall-clock time in the event's own zone.
    assert f'value="{_local(start)}"' in html
    assert '<option value="Europe/Moscow" selected>' in html
    # Bob: no link, 403 on the form and on a post with his own valid token.
    bob = _sign_in(node, "bob")
    bob_page = bob.get(f"/events/{event_id}").text
    assert f"/events/{event_id}/edit" not in bob_page
    assert bob.get(f"/events/{event_id}/edit").status_code == 403
    stolen = bob.post(
        f"/events/{event_id}/edit",
        data={**fields, "authenticity_token": _token(bob_page), "title": "Bob's"},
    )
    assert stolen.status_code == 403
    assert alice.post(f"/events/{event_id}/edit", data={"title": "x"}).status_code == 403
    before = _updates(node, event_id)
    later = start + timedelta(days=1)
    answer = alice.post(
        f"/events/{event_id}/edit",
        data={
            **fields,
            "authenticity_token": _token(html),
            "title": "Robotics club, moved",
            "start": _local(later),
            "end": _local(later + timedelta(hours=3)),
            "place_name": "Room 14",
            "capacity": "",
        },
    )
    assert answer.status_code == 303, answer.text
    page = alice.get(f"/events/{event_id}").text
    assert "Robotics club, moved" in page and "Room 14" in page and "Bob&#39;s" not in page
    assert _updates(node, event_id) == before + 1
    alice.close()
    bob.close()


def _post_count(node: Node) -> int:
    from sqlmodel import func, select

    from storage.models import ContentObject

    async def work(session: Any) -> int:
        return int((await session.exec(select(func.count()).select_from(ContentObject))).one())

    return node.with_session(work)


def test_compose_takes_up_to_four_images_each_with_its_alt_text(node: Node) -> None:
    alice = _sign_in(node, "alice")
    form = alice.get("/compose").text
    for field in ("image", "image_2", "image_3", "image_4"):
        assert f'name="{field}"' in form and f'for="{field}"' in form
    assert 'for="image_description_4"' in form
    pictures = [
        ("image", ("a.png", files.png(40, 30), "image/png")),
        ("image_2", ("b.png", files.png(50, 30), "image/png")),
        ("image_3", ("c.png", files.png(60, 30), "image/png")),
        ("image_4", ("d.png", files.png(70, 30), "image/png")),
    ]
    answer = alice.post(
        "/compose",
        data={
            "authenticity_token": _token(form),
            "status": "Four leaves",
            "visibility": "public",
            "image_description": "First <leaf>",
            "image_description_2": "Second leaf",
            "image_description_3": "Third leaf",
            "image_description_4": "Fourth leaf",
        },
        files=pictures,
    )
    assert answer.status_code == 303, answer.text
    page = alice.get(answer.headers["location"]).text
    assert 'alt="First &lt;leaf&gt;"' in page
    for alt in ("Second leaf", "Third leaf", "Fourth leaf"):
        assert f'alt="{alt}"' in page
    # A fifth file is more than the form takes; an image over its limit is refused
    # with the domain's message; neither leaves a post.
    before = _post_count(node)
    token = _token(alice.get("/compose").text)
    five = [*pictures, ("image_5", ("e.png", files.png(), "image/png"))]
    answer = alice.post(
        "/compose", data={"authenticity_token": token, "status": "Five"}, files=five
    )
    assert answer.status_code == 400
    big = b"\x89PNG\r\n\x1a\n" + b"0" * (17 * 1024 * 1024)
    answer = alice.post(
        "/compose",
        data={"authenticity_token": token, "status": "Too big"},
        files={"image_2": ("big.png", big, "image/png")},
    )
    assert answer.status_code == 422 and "larger than 16 MB" in answer.text
    assert _post_count(node) == before
    alice.close()
