"""``staffroom demo`` on a fresh node: the school's people, a community with its thread,
materials with real files and reviews, an upcoming event and a poll, in Russian and
English, all visible on the pages once the node serves; a second run, or a node
with content of its own, is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select

from tests.support.node import Node


def _count(node: Node, query: Any) -> int:
    async def work(session: Any) -> int:
        return int((await session.exec(query)).one())

    return node.with_session(work)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    node = Node(tmp_path_factory.mktemp("demo"))
    try:
        node.migrate()
        node.create_user("admin", "admin")  # as `make run` does before the demo
        done = node.staffroom("demo")
        assert done.returncode == 0, done.stderr
        node.start()
        yield node, done.stdout
    finally:
        node.close()


def test_the_demo_seeds_people_content_and_files(seeded: tuple[Node, str]) -> None:
    from storage.models import (
        Account,
        ContentObject,
        EventParticipant,
        EventRow,
        Follow,
        FollowState,
        Material,
        MaterialFile,
        MaterialReview,
        Role,
    )
    from storage.models.safety import GuardianLink

    node, out = seeded
    assert "staffroom-demo" in out and "marina" in out
    roles = {
        r: _count(node, select(func.count()).select_from(Account).where(Account.role == r))
        for r in (Role.TEACHER, Role.STUDENT, Role.PARENT)
    }
    assert roles == {Role.TEACHER: 3, Role.STUDENT: 1, Role.PARENT: 1}
    assert _count(node, select(func.count()).select_from(GuardianLink)) == 1
    members = select(func.count()).select_from(Follow).where(Follow.state == FollowState.ACCEPTED)
    assert _count(node, members) == 2  # david and olga joined the community
    assert _count(node, select(func.count()).select_from(Material)) == 3
    assert _count(node, select(func.count()).select_from(MaterialReview)) == 4
    names = node.with_session(
        lambda s: _all(s, select(MaterialFile.name).where(col(MaterialFile.name).is_not(None)))
    )
    assert sorted(names) == ["fotosintez.pdf", "periodic.png", "present-simple.odp"]
    assert _count(node, select(func.count()).select_from(EventRow)) == 1
    assert _count(node, select(func.count()).select_from(EventParticipant)) == 1
    polls = select(func.count()).select_from(ContentObject).where(ContentObject.type == "Question")
    assert _count(node, polls) == 1


async def _all(session: Any, query: Any) -> list[Any]:
    return list((await session.exec(query)).all())


def test_the_pages_show_the_demo_school(seeded: tuple[Node, str]) -> None:
    node, _out = seeded
    with httpx.Client(
        base_url=node.base_url, timeout=30, headers={"Accept-Language": "ru"}
    ) as http:
        front = http.get("/").text
        assert "Школа № 7" in front and "Фотосинтез: рабочий лист" in front
        assert "Открытый урок" in front  # the upcoming event
        assert " · · " not in front  # the community's level is named, not left blank
        community = http.get("/@biology7").text
        assert "лабораторную по фотосинтезу" in community  # the thread's start, announced
        assert "2 участника" in community
        library = http.get("/materials").text
        assert "3 материала на этой странице" in library
        assert "Present Simple in five slides" in library
        material = http.get("/materials?q=фотосинтез").text
        assert "Фотосинтез: рабочий лист" in material
        assert "Which topic should the English club take" in http.get("/@david").text
        events = http.get("/events").text
        assert "Open lesson: photosynthesis" in events


def test_a_second_run_is_refused_and_changes_nothing(seeded: tuple[Node, str]) -> None:
    from storage.models import ContentObject

    node, _out = seeded
    before = _count(node, select(func.count()).select_from(ContentObject))
    again = node.staffroom("demo")
    assert again.returncode == 1
    assert "not empty" in again.stderr
    assert _count(node, select(func.count()).select_from(ContentObject)) == before


def test_a_node_with_its_own_posts_is_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    from actors.local import account_by_name
    from content.compose import Draft, post_status
    from content.limits import COMPOSE_LIMITS
    from storage.models import Account

    node = Node(tmp_path_factory.mktemp("demo-refused"))
    node.migrate()
    node.create_user("tess")

    async def post(session: Any, ctx: Any) -> None:
        found = await account_by_name(session, "tess")
        assert found is not None
        await post_status(session, ctx, found[1], Draft(text="Our own news"), COMPOSE_LIMITS)

    node.with_node(post)
    refused = node.staffroom("demo")
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert _count(node, select(func.count()).select_from(Account)) == 1
