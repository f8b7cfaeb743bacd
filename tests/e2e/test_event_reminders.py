"""Reminders go out exactly once with two worker processes racing for them.

One node (PostgreSQL when configured, else SQLite) served by one web process
and two ``staffroom worker`` processes, reminders one hour and one minute
before the start. An organizer's seminar starts in 30 minutes and twelve
colleagues join it: the one-hour reminder is due at once for all twelve, and
both workers see it. Each participant gets exactly one notification (counted
from the stream events every created notification writes, so a second send
could not hide behind a replaced notification), and the node records exactly
one reminder per participant; a cancelled event reminds nobody.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from sqlmodel import col, func, select

from staffroom.settings import load_settings
from storage.models import Actor, EventReminder, StreamEvent
from tests.support.databases import postgres_admin_url
from tests.support.node import Node, wait_until

API = "/api/v1/staffroom/events"
PARTICIPANTS = [f"teacher{i}" for i in range(12)]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    base: Path = tmp_path_factory.mktemp("reminders")
    kind = "postgres" if postgres_admin_url() else "sqlite"
    served = Node(base / "a", kind, worker_processes=2)
    served.env["STAFFROOM_EVENT_REMINDERS"] = "1h,1m"
    served.settings = load_settings(env=served.env)
    try:
        served.migrate()
        for name in ["olga", *PARTICIPANTS]:
            served.create_user(name)
        served.start()
        yield served
    finally:
        served.close()


def _count(node: Node, query: Any) -> int:
    async def work(session: Any) -> int:
        return int((await session.exec(query)).one())

    return node.with_session(work)


def _seminar(node: Node, token: str, title: str) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(minutes=30)
    data = {
        "title": title,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(hours=1)).isoformat(),
        "timezone": "Asia/Novosibirsk",
        "place[name]": "Gymnasium 1",
    }
    response = httpx.post(
        f"{node.base_url}{API}",
        data=data,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()
    return event


def _participant_ids(node: Node) -> list[int]:
    async def work(session: Any) -> list[int]:
        rows = await session.exec(select(Actor.id).where(col(Actor.username).in_(PARTICIPANTS)))
        return list(rows.all())

    return node.with_session(work)


def test_each_participant_is_reminded_exactly_once(node: Node) -> None:
    tokens = {name: node.token(name) for name in ["olga", *PARTICIPANTS]}
    cancelled = _seminar(node, tokens["olga"], "Cancelled before anyone is reminded")
    httpx.post(
        f"{node.base_url}{API}/{cancelled['id']}/cancel",
        headers={"Authorization": f"Bearer {tokens['olga']}"},
        timeout=30,
    ).raise_for_status()
    event = _seminar(node, tokens["olga"], "Project-based learning")
    for name in PARTICIPANTS:
        joined = httpx.post(
            f"{node.base_url}{API}/{event['id']}/join",
            headers={"Authorization": f"Bearer {tokens[name]}"},
            timeout=30,
        )
        assert joined.status_code == 200 and joined.json()["participation"] == "accepted"
    ids = _participant_ids(node)
    reminders = select(func.count()).select_from(EventReminder)
    wait_until(lambda: _count(node, reminders) == len(PARTICIPANTS), timeout=60)
    time.sleep(3)  # three more rounds of both workers: nothing more may go out
    assert _count(node, reminders) == len(PARTICIPANTS)
    for actor_id in ids:
        sent = (
            select(func.count())
            .select_from(StreamEvent)
            .where(StreamEvent.recipient_id == actor_id, StreamEvent.event == "notification")
        )
        assert _count(node, sent) == 1
    client = Mastodon(access_token=tokens["teacher0"], api_base_url=node.base_url)
    notes = [n for n in client.notifications() if n["type"] == "event_reminder"]
    assert len(notes) == 1 and str(notes[0]["status"]["id"]) == event["id"]
    assert notes[0]["account"]["username"] == "olga"
