"""What a safeguarding lead checks beyond the matrix: counts, defaults, warnings, remote
accounts and media, mentions of a child, and a held message released.

Node A (PostgreSQL when configured) has ``head`` (admin), ``mo`` (moderator),
``tess`` (teacher), ``sam`` and ``sia`` (students), ``pat`` (parent of sam)
and ``pia`` (a parent of nobody here); ``rex`` lives on a loopback remote
server the test signs for, so what node A fetches from it is counted.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from sqlmodel import select

from actors import guardians
from actors.local import account_by_name
from federation.constants import PUBLIC
from federation.signatures import sign_cavage
from storage.models import Account, ContentObject, Follow, Report, Role
from tests.support.databases import postgres_admin_url
from tests.support.node import Node, rows, wait_until
from tests.support.remote import RemoteActor, RemoteServer, remote_server

AS = "application/activity+json"
PASSWORD = "correct horse battery"
ADMIN_SCOPES = "read write follow admin:read admin:write"


@dataclass
class World:
    a: Node
    remote: RemoteServer
    rex: RemoteActor  # suspended by a test
    ada: RemoteActor
    tokens: dict[str, str]

    def api(self, name: str) -> Mastodon:
        return Mastodon(
            access_token=self.tokens[name], api_base_url=self.a.base_url, version_check_mode="none"
        )

    def call(self, name: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.a.base_url}{path}",
            headers={"Authorization": f"Bearer {self.tokens[name]}"},
            timeout=30,
            **kwargs,
        )

    def url(self, name: str) -> str:
        return f"{self.a.base_url}/users/{name}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    a = Node(tmp_path_factory.mktemp("gaps"), "postgres" if postgres_admin_url() else "sqlite")
    try:
        a.migrate()
        people = [
            ("head", "admin"),
            ("mo", "moderator"),
            ("tess", "teacher"),
            ("sam", "student"),
            ("sia", "student"),
            ("pat", "parent"),
            ("pia", "parent"),
        ]
        for name, role in people:
            a.create_user(name, role)

        async def link(session: Any) -> None:
            pat, sam = await account_by_name(session, "pat"), await account_by_name(session, "sam")
            assert pat is not None and sam is not None
            await guardians.link(session, parent_id=pat[1].id, student_id=sam[1].id, by=None)

        a.with_session(link)
        a.start()
        with remote_server() as remote:
            rex, ada = remote.add_actor("rex"), remote.add_actor("ada")
            tokens = {
                name: a.token(name, ADMIN_SCOPES if name in ("head", "mo") else "read write follow")
                for name, _role in people
            }
            tokens["tess_admin"] = a.token("tess", ADMIN_SCOPES)
            yield World(a, remote, rex, ada, tokens)
    finally:
        a.close()


def send(world: World, activity: dict[str, Any], actor: RemoteActor | None = None) -> None:
    who = actor or world.rex
    url = f"{world.a.base_url}/inbox"
    body = json.dumps(activity).encode()
    headers = {"Content-Type": AS}
    signed = sign_cavage("POST", url, dict(headers), who.key_id, who.private_pem, body)
    answer = httpx.post(url, content=body, headers={**headers, **signed}, timeout=20)
    assert answer.status_code == 202, answer.text


def note(world: World, text: str, **extra: Any) -> dict[str, Any]:
    """A post of ada's."""
    return {
        "id": f"{world.ada.id}/notes/{time.time_ns()}",
        "type": "Note",
        "attributedTo": world.ada.id,
        "content": f"<p>{text}</p>",
        "to": [PUBLIC],
        "cc": [],
        **extra,
    }


def activity(world: World, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return world.remote.activity(world.ada, kind, obj, to=obj["to"], cc=obj.get("cc", []))


def stored(world: World, ap_id: str) -> ContentObject | None:
    found = rows(world.a, select(ContentObject).where(ContentObject.ap_id == ap_id))
    return found[0] if found else None


def account_id(world: World, name: str) -> str:
    return str(world.api(name).account_verify_credentials()["id"])


def test_nodeinfo_counts_no_students(world: World) -> None:
    accounts = rows(world.a, select(Account))
    adults = [a for a in accounts if a.role != Role.STUDENT and not a.disabled]
    assert len(accounts) - len(adults) == 2  # sam and sia
    doc = httpx.get(f"{world.a.base_url}/nodeinfo/2.1").json()
    assert doc["usage"]["users"]["total"] == len(adults)
    instance = httpx.get(f"{world.a.base_url}/api/v1/instance").json()
    assert instance["stats"]["user_count"] == len(adults)


def test_a_students_source_privacy_is_their_real_default(world: World) -> None:
    sam = world.api("sam").account_verify_credentials()
    assert sam["source"]["privacy"] == "local"
    assert world.api("tess").account_verify_credentials()["source"]["privacy"] == "public"
    preferences = world.call("sam", "GET", "/api/v1/preferences").json()
    assert preferences["posting:default:visibility"] == "local"
    teacher = world.call("tess", "GET", "/api/v1/preferences").json()
    assert teacher["posting:default:visibility"] == "public"
    # A client that posts with the default it read is accepted.
    posted = world.call(
        "sam", "POST", "/api/v1/statuses", data={"status": "hello", "visibility": "local"}
    )
    assert posted.status_code == 200 and posted.json()["local_only"] is True


def test_a_warning_reaches_the_warned_person_as_a_notification(world: World) -> None:
    tess_id = account_id(world, "tess")
    done = world.call(
        "mo",
        "POST",
        f"/api/v1/admin/accounts/{tess_id}/action",
        data={"type": "none", "text": "Please keep the staffroom civil."},
    )
    assert done.status_code == 200, done.text
    (found,) = world.api("tess").notifications(types=["moderation_warning"])
    assert found["type"] == "moderation_warning"
    assert found["moderation_warning"]["text"] == "Please keep the staffroom civil."
    assert found["moderation_warning"]["action"] == "none"
    # The moderator stays anonymous: the notification names the warned account.
    assert str(found["account"]["id"]) == tess_id
    assert world.api("mo").notifications(types=["moderation_warning"]) == []


def test_suspending_a_remote_account_cuts_its_follows_both_ways(world: World) -> None:
    tess_url = world.url("tess")
    send(world, world.remote.activity(world.rex, "Follow", tess_url, to=[tess_url]))

    def followed() -> list[Follow]:
        return rows(world.a, select(Follow).where(Follow.state == "accepted"))

    wait_until(followed, timeout=20)
    rex_id = world.api("tess").search(world.rex.id, resolve=True)["accounts"][0]["id"]
    world.api("tess").account_follow(rex_id)
    assert len(rows(world.a, select(Follow))) == 2
    suspended = world.call(
        "mo",
        "POST",
        f"/api/v1/admin/accounts/{rex_id}/action",
        data={"type": "suspend", "text": "grooming attempts"},
    )
    assert suspended.status_code == 200, suspended.text
    assert rows(world.a, select(Follow)) == []

    def told() -> set[str]:
        kinds = {json.loads(r["body"])["type"] for r in world.remote.received}
        return kinds if {"Reject", "Undo"} <= kinds else set()

    wait_until(told, timeout=30)


def test_reject_media_keeps_a_domains_files_out(world: World) -> None:
    def picture(n: int) -> list[dict[str, Any]]:
        url = f"{world.remote.base_url}/media/{n}.png"
        return [{"type": "Document", "mediaType": "image/png", "name": "a picture", "url": url}]

    # The control: without the block, the attachment is kept.
    kept = note(world, "with a picture", attachment=picture(1))
    send(world, activity(world, "Create", kept), world.ada)
    assert wait_until(lambda: stored(world, kept["id"]), timeout=20).attachments
    blocked = world.call(
        "head",
        "POST",
        "/api/v1/admin/domain_blocks",
        data={
            "domain": world.remote.base_url.split("//")[1],
            "severity": "noop",
            "reject_media": "true",
        },
    )
    assert blocked.status_code == 200, blocked.text
    time.sleep(2.5)  # the inbox's policy snapshot reloads every 2 s
    dropped = note(world, "another picture", attachment=picture(2))
    send(world, activity(world, "Create", dropped), world.ada)
    row = wait_until(lambda: stored(world, dropped["id"]), timeout=20)
    assert row.attachments == [] and row.content  # the post, without its files
    # An edit cannot bring them in either, nor one to the earlier post.
    for doc in (dropped, kept):
        edited = {
            **doc,
            "content": "<p>edited</p>",
            "updated": "2030-01-01T00:00:00Z",
            "attachment": picture(3),
        }
        send(world, activity(world, "Update", edited), world.ada)
    wait_until(lambda: stored(world, dropped["id"]).content == "<p>edited</p>", timeout=20)
    wait_until(lambda: stored(world, kept["id"]).content == "<p>edited</p>", timeout=20)
    assert stored(world, dropped["id"]).attachments == []
    assert stored(world, kept["id"]).attachments == []
    # Nothing was ever fetched from the remote server's media.
    assert not [path for path in world.remote.fetches if path.startswith("/media/")]
    world.call("head", "DELETE", f"/api/v1/admin/domain_blocks/{blocked.json()['id']}")


def test_a_local_stranger_cannot_mention_a_student(world: World) -> None:
    sam_handle = f"@sam@{world.a.domain}"
    for stranger in ("sia", "pia"):
        refused = world.call(
            stranger, "POST", "/api/v1/statuses", data={"status": f"{sam_handle} hello"}
        )
        assert refused.status_code == 422, refused.text
        assert "sam is a student" in refused.json()["error"]
    own = world.call(
        "sam", "POST", "/api/v1/statuses", data={"status": "my drawing", "visibility": "local"}
    ).json()
    reply = world.call(
        "sia",
        "POST",
        "/api/v1/statuses",
        data={"status": "nice", "in_reply_to_id": own["id"], "visibility": "local"},
    )
    # Refused either way: a classmate does not see the post (404) or may not reply (422).
    assert reply.status_code in (404, 422), reply.text
    # The school's staff and the child's own parent may.
    for allowed in ("tess", "pat"):
        made = world.call(
            allowed,
            "POST",
            "/api/v1/statuses",
            data={"status": f"{sam_handle} well done", "visibility": "local"},
        )
        assert made.status_code == 200, made.text

    def mentioned_by() -> set[str]:
        notes = world.api("sam").notifications(types=["mention"])
        return {n["account"]["username"] for n in notes}

    wait_until(lambda: mentioned_by() == {"tess", "pat"}, timeout=20)


def _held_dm(world: World, text: str) -> tuple[str, Report]:
    sam = world.url("sam")
    dm = {
        **note(world, text),
        "to": [sam],
        "tag": [{"type": "Mention", "href": sam, "name": f"@sam@{world.a.domain}"}],
    }
    send(world, activity(world, "Create", dm), world.ada)

    def held() -> Report | None:
        found = rows(world.a, select(Report).where(Report.category == "held"))
        return next((r for r in found if r.object_ap_ids == [dm["id"]]), None)

    return dm["id"], wait_until(held, timeout=20)


def test_a_moderator_releases_a_held_message_to_the_student(world: World) -> None:
    note_id, report = _held_dm(world, "the trip form is attached")
    assert stored(world, note_id) is None
    assert (
        world.call("tess_admin", "POST", f"/api/v1/admin/reports/{report.id}/release").status_code
        == 403
    )
    released = world.call("mo", "POST", f"/api/v1/admin/reports/{report.id}/release")
    assert released.status_code == 200, released.text
    assert released.json()["action_taken"] is True
    assert stored(world, note_id) is not None
    notes = world.api("sam").notifications(types=["mention"])
    assert any("trip form" in (n["status"] or {}).get("content", "") for n in notes)
    again = world.call("mo", "POST", f"/api/v1/admin/reports/{report.id}/release")
    assert again.status_code == 422

    # From the report's page.
    note_id, report = _held_dm(world, "the choir meets on Friday")
    browser = httpx.Client(base_url=world.a.base_url, timeout=30, headers={"Accept-Language": "en"})
    with browser:
        page = browser.get("/login").text
        token = re.search(r'name="authenticity_token" value="([^"]+)"', page)
        assert token
        login = {"authenticity_token": token.group(1), "username": "mo", "password": PASSWORD}
        assert browser.post("/login", data=login).status_code == 303
        page = browser.get(f"/admin/reports/{report.id}").text
        assert 'id="release"' in page
        token = re.search(r'name="authenticity_token" value="([^"]+)"', page)
        assert token
        sent = browser.post(
            f"/admin/reports/{report.id}",
            data={"authenticity_token": token.group(1), "action": "release"},
        )
        assert sent.status_code == 303, sent.text
        assert 'id="released"' in browser.get(f"/admin/reports/{report.id}").text
    assert stored(world, note_id) is not None
