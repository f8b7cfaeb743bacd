"""The client-API gaps a new app hit: deleting an upload, stale uploads, trailing slashes,
and strict bodies at the C2S outbox and the API.

One node whose uploads expire after two seconds (``STAFFROOM_UNATTACHED_MEDIA_SECONDS``),
so the worker that removes them is seen at work; Mastodon.py drives the media calls
(it has no ``media_delete`` yet, so its request method sends the DELETE).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError
from PIL import Image
from sqlmodel import func, select

from storage.models import Activity, MediaAttachment
from tests.support.node import Node, wait_until

AS = "application/activity+json"


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("client-gaps"), module_db_kind)
    node.env["STAFFROOM_UNATTACHED_MEDIA_SECONDS"] = "2"
    node.migrate()
    node.create_user("alice")
    node.create_user("bob")
    node.start()
    yield node
    node.close()


def api(node: Node, name: str) -> Mastodon:
    return Mastodon(access_token=node.token(name), api_base_url=node.base_url)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def delete_media(client: Mastodon, media_id: Any) -> Any:
    return client._Mastodon__api_request("DELETE", f"/api/v1/media/{media_id}")


def files_of(node: Node, media: dict[str, Any]) -> list[Path]:
    media_dir = node.dir / "data" / "media"
    return [
        media_dir / "attachments" / url.rsplit("/", 1)[1]
        for url in (media["url"], media["preview_url"])
        if url
    ]


def rows(node: Node) -> int:
    async def count(session: Any) -> int:
        return int((await session.exec(select(func.count()).select_from(MediaAttachment))).one())

    return node.with_session(count)


def test_delete_media_through_mastodon_py(node: Node) -> None:
    alice, bob = api(node, "alice"), api(node, "bob")
    media = alice.media_post(png(), mime_type="image/png", description="draft")
    paths = files_of(node, media)
    assert paths and all(p.exists() for p in paths)
    with pytest.raises(MastodonNotFoundError):
        delete_media(bob, media["id"])  # not bob's: as if it did not exist
    assert all(p.exists() for p in paths)
    assert delete_media(alice, media["id"]) == {}
    assert not any(p.exists() for p in paths)
    with pytest.raises(MastodonNotFoundError):
        alice.media(media["id"])
    with pytest.raises(MastodonNotFoundError):
        delete_media(alice, media["id"])
    # Once a post uses it, it belongs to the post: 422, and nothing is removed.
    used = alice.media_post(png(), mime_type="image/png")
    alice.status_post("Lab photo", media_ids=[used["id"]])
    with pytest.raises(MastodonAPIError) as refused:
        delete_media(alice, used["id"])
    assert refused.value.args[1] == 422
    assert all(p.exists() for p in files_of(node, used))
    # The path with a trailing slash is the same route.
    again = alice.media_post(png(), mime_type="image/png")
    r = httpx.delete(
        f"{node.base_url}/api/v1/media/{again['id']}/",
        headers={"Authorization": f"Bearer {node.token('alice')}"},
    )
    assert (r.status_code, r.json()) == (200, {})


def test_uploads_never_attached_are_removed_by_the_worker(node: Node) -> None:
    alice = api(node, "alice")
    kept = alice.media_post(png(), mime_type="image/png")
    alice.status_post("Kept with its post", media_ids=[kept["id"]])
    stale = alice.media_post(png(), mime_type="image/png")
    paths = files_of(node, stale)
    assert all(p.exists() for p in paths)
    wait_until(lambda: not any(p.exists() for p in paths), timeout=30, interval=0.2)
    with pytest.raises(MastodonNotFoundError):
        alice.media(stale["id"])
    assert all(p.exists() for p in files_of(node, kept))
    assert rows(node) >= 1


def test_paths_with_a_trailing_slash_are_answered_not_redirected(node: Node) -> None:
    token = node.token("alice")
    bearer = {"Authorization": f"Bearer {token}"}
    slashed = {
        ("POST", "/oauth/token/"): {"data": {"grant_type": "password"}},
        ("POST", "/oauth/revoke/"): {"data": {"token": "x"}},
        ("GET", "/oauth/authorize/"): {"params": {"client_id": "nobody"}},
        ("GET", "/.well-known/webfinger/"): {"params": {"resource": f"acct:alice@{node.domain}"}},
        ("GET", "/.well-known/nodeinfo/"): {},
        ("GET", "/nodeinfo/2.1/"): {},
        ("GET", "/users/alice/"): {"headers": {"Accept": AS}},
        ("GET", "/users/alice/outbox/"): {"headers": {"Accept": AS}},
        ("GET", "/api/v1/accounts/verify_credentials/"): {"headers": bearer},
        ("GET", "/api/v2/instance/"): {},
    }
    for (method, path), options in slashed.items():
        with_slash = httpx.request(method, node.base_url + path, timeout=10, **options)
        bare = httpx.request(method, node.base_url + path.rstrip("/"), timeout=10, **options)
        assert with_slash.status_code not in (301, 302, 307, 308), (path, with_slash.headers)
        assert with_slash.status_code == bare.status_code, (path, with_slash.text, bare.text)
    token_answer = httpx.post(f"{node.base_url}/oauth/token/", data={"grant_type": "nonsense"})
    assert token_answer.status_code == 400
    assert token_answer.json()["error"] == "unsupported_grant_type"


def activity_count(node: Node) -> int:
    async def count(session: Any) -> int:
        return int((await session.exec(select(func.count()).select_from(Activity))).one())

    return node.with_session(count)


def test_the_c2s_outbox_and_the_api_parse_strictly(node: Node) -> None:
    token = node.token("alice")
    outbox = f"{node.base_url}/users/alice/outbox"
    auth = {"Authorization": f"Bearer {token}"}
    note = (
        '{"type": "Note", "content": "hi", "to": ["https://www.w3.org/ns/activitystreams#Public"]'
    )
    before = activity_count(node)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "text/html", None):
        headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
        r = httpx.post(outbox, content=note + "}", headers=headers)
        assert r.status_code == 415, (content_type, r.text)
    for bad in (
        note + ', "sensitive": NaN}',
        note + ', "x": Infinity}',
        note + ', "x": 1e999}',
        note + ', "x": "\\u0000"}',
        note + ', "x": ' + "[" * 5000 + "]" * 5000 + "}",
        "[]",
    ):
        r = httpx.post(outbox, content=bad, headers={**auth, "Content-Type": AS})
        assert r.status_code == 400, (bad[:60], r.text)
    assert activity_count(node) == before
    ok = httpx.post(outbox, content=note + "}", headers={**auth, "Content-Type": AS})
    assert ok.status_code == 201, ok.text
    # Mastodon API bodies: form or JSON, and JSON strictly.
    statuses = f"{node.base_url}/api/v1/statuses"
    for bad in ('{"status": "x", "sensitive": NaN}', '{"status": ' + "[" * 3000 + "]" * 3000 + "}"):
        r = httpx.post(statuses, content=bad, headers={**auth, "Content-Type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.json()["error"].startswith("Request body is not valid JSON")
    assert activity_count(node) == before + 1
