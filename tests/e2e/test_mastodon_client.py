"""A teacher's day in a Mastodon app, driven by Mastodon.py (the real client library).

One story across two nodes, told in order: alice on node A logs in through
the OAuth authorization code flow by submitting the login form, posts a lesson
photo with alt text and a poll, follows bob on node B (resolved by
WebFinger), sees his posts, gets notified, talks in a thread, and watches
her stream. Everything goes through the public API and real federation.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from mastodon import Mastodon, StreamListener
from PIL import Image

from tests.support.databases import postgres_admin_url
from tests.support.node import Node, wait_until
from tests.support.oauth import authorize

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow", "push"]


@dataclass
class Day:
    a: Node
    b: Node
    alice: Mastodon
    bob: Mastodon
    seen: dict[str, Any] = field(default_factory=dict)


def log_in(node: Node, username: str) -> Mastodon:
    """Register an app and log in through the HTML form, as a phone app would."""
    client_id, client_secret = Mastodon.create_app(
        "Staffroom e2e", scopes=SCOPES, redirect_uris=OOB, api_base_url=node.base_url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=node.base_url)
    url = api.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    code = authorize(node, url, username).code
    api.log_in(code=code, redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    return api


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    base = tmp_path_factory.mktemp("mastodon-day")
    a = Node(base / "a", "postgres" if postgres_admin_url() else "sqlite")
    b = Node(base / "b")
    try:
        for node, name in ((a, "alice"), (b, "bob")):
            node.migrate()
            node.create_user(name)
            node.start()
        yield Day(a, b, log_in(a, "alice"), log_in(b, "bob"))
    finally:
        a.close()
        b.close()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def handle(node: Node, name: str) -> str:
    return f"{name}@{node.domain}"


def test_logged_in_through_the_form(day: Day) -> None:
    me = day.alice.account_verify_credentials()
    assert me["username"] == "alice"
    assert me["acct"] == "alice"
    assert day.alice.instance()["version"].startswith("4.")


def test_follow_an_account_on_another_node(day: Day) -> None:
    found = day.alice.search_v2(handle(day.b, "bob"), resolve=True)["accounts"]
    assert [acct["acct"] for acct in found] == [handle(day.b, "bob")]
    relationship = day.alice.account_follow(found[0]["id"])
    assert relationship["following"] or relationship["requested"]
    wait_until(lambda: day.alice.account_relationships(found[0]["id"])[0]["following"], timeout=20)
    day.seen["bob_on_a"] = found[0]["id"]
    bob_follows = day.bob.search_v2(handle(day.a, "alice"), resolve=True)["accounts"][0]
    day.bob.account_follow(bob_follows["id"])
    day.seen["alice_on_b"] = bob_follows["id"]
    wait_until(lambda: day.bob.account_relationships(bob_follows["id"])[0]["following"], timeout=20)


def test_a_post_with_an_image_and_alt_text(day: Day) -> None:
    media = day.alice.media_post(png(), mime_type="image/png", description="Burette, side view")
    assert media["type"] == "image"
    status = day.alice.status_post("Titration set-up for Monday", media_ids=[media["id"]])
    assert status["media_attachments"][0]["description"] == "Burette, side view"
    day.seen["photo"] = status

    def arrived_on_b() -> bool:
        home = day.bob.timeline_home()
        return any(s["uri"] == status["uri"] for s in home)

    wait_until(arrived_on_b, timeout=20)
    remote = next(s for s in day.bob.timeline_home() if s["uri"] == status["uri"])
    assert remote["media_attachments"][0]["description"] == "Burette, side view"


def test_a_poll_and_a_vote(day: Day) -> None:
    poll = day.alice.make_poll(["Monday", "Wednesday"], expires_in=3600)
    status = day.alice.status_post("When shall we run the lab?", poll=poll)
    on_b = day.bob.search_v2(status["uri"], resolve=True)["statuses"][0]
    voted = day.bob.poll_vote(on_b["poll"]["id"], [1])
    assert voted["own_votes"] == [1]
    # The vote travels to alice's node as Create(Note{name, inReplyTo}) and is counted.
    wait_until(lambda: day.alice.poll(status["poll"]["id"])["votes_count"] == 1, timeout=20)


def test_replies_and_context(day: Day) -> None:
    parent = day.seen["photo"]
    found = day.bob.search_v2(parent["uri"], resolve=True)["statuses"]
    reply = day.bob.status_post(
        f"@{handle(day.a, 'alice')} lovely, which indicator?", in_reply_to_id=found[0]["id"]
    )
    assert reply["in_reply_to_id"] == found[0]["id"]

    def reply_in_context() -> bool:
        context = day.alice.status_context(parent["id"])
        return any(s["uri"] == reply["uri"] for s in context["descendants"])

    wait_until(reply_in_context, timeout=20)
    day.seen["reply_uri"] = reply["uri"]


def test_favourite_and_boost_notify_the_author(day: Day) -> None:
    parent = day.seen["photo"]
    on_b = day.bob.search_v2(parent["uri"], resolve=True)["statuses"][0]
    day.bob.status_favourite(on_b["id"])
    day.bob.status_reblog(on_b["id"])

    def counted() -> bool:
        status = day.alice.status(parent["id"])
        return status["favourites_count"] == 1 and status["reblogs_count"] == 1

    wait_until(counted, timeout=20)

    def notified() -> set[str]:
        return {n["type"] for n in day.alice.notifications()}

    kinds = wait_until(
        lambda: notified() >= {"follow", "favourite", "reblog", "mention"} and notified(),
        timeout=20,
    )
    assert {"follow", "favourite", "reblog", "mention"} <= kinds


def test_pagination_with_fetch_next(day: Day) -> None:
    for i in range(5):
        day.alice.status_post(f"Homework {i}", visibility="unlisted")
    first = day.alice.account_statuses(day.alice.me()["id"], limit=2)
    assert len(first) == 2
    second = day.alice.fetch_next(first)
    assert second is not None
    assert len(second) == 2
    assert {s["id"] for s in first}.isdisjoint({s["id"] for s in second})


def test_profile_update(day: Day) -> None:
    day.alice.account_update_credentials(
        display_name="Alice, chemistry", fields=[("Subject", "Chemistry")]
    )
    me = day.alice.account_verify_credentials()
    assert me["display_name"] == "Alice, chemistry"
    assert me["fields"][0]["name"] == "Subject"

    def seen_on_b() -> bool:
        return day.bob.account(day.seen["alice_on_b"])["display_name"] == "Alice, chemistry"

    wait_until(seen_on_b, timeout=20)


class Collector(StreamListener):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.updates: list[dict[str, Any]] = []
        self.arrived = threading.Event()

    def on_update(self, status: dict[str, Any]) -> None:
        self.updates.append(status)
        self.arrived.set()


def test_streaming_update_for_a_post_from_another_node(day: Day) -> None:
    listener = Collector()
    stream = day.alice.stream_user(listener, run_async=True, reconnect_async=False)
    try:
        time.sleep(0.5)  # let the websocket subscribe before the cause
        posted = day.bob.status_post("Live from node B")
        sent_at = time.monotonic()
        assert listener.arrived.wait(timeout=20)
        assert any(s["uri"] == posted["uri"] for s in listener.updates)
        day.seen["stream_latency"] = time.monotonic() - sent_at
    finally:
        stream.close()


def test_delete_and_see_it_gone_on_the_other_node(day: Day) -> None:
    status = day.alice.status_post("Oops, wrong class")
    wait_until(lambda: any(s["uri"] == status["uri"] for s in day.bob.timeline_home()), timeout=20)
    day.alice.status_delete(status["id"])
    wait_until(lambda: all(s["uri"] != status["uri"] for s in day.bob.timeline_home()), timeout=20)


def test_private_posts_stay_private_through_the_api(day: Day) -> None:
    stranger_node = day.b
    stranger_node.create_user("mallory")
    mallory = Mastodon(
        access_token=stranger_node.token("mallory"), api_base_url=stranger_node.base_url
    )
    private = day.alice.status_post("Parents' evening notes", visibility="private")
    wait_until(lambda: any(s["uri"] == private["uri"] for s in day.bob.timeline_home()), timeout=20)
    assert all(s["uri"] != private["uri"] for s in mallory.timeline_home())
    assert all(s["uri"] != private["uri"] for s in mallory.timeline_public())
    assert mallory.search_v2("Parents", resolve=False)["statuses"] == []
    assert all(s["uri"] != private["uri"] for s in mallory.account_statuses(day.seen["alice_on_b"]))
