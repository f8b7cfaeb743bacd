"""Log-in attempts and app registrations are limited per client IP (a node of its own).

The node runs with tiny limits (``STAFFROOM_LOGIN_RATE_LIMIT=3``,
``STAFFROOM_APP_REGISTRATION_RATE_LIMIT=2``) so the tests reach them quickly;
every request here comes from 127.0.0.1, one bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from actors.oauth.apps import register_app
from tests.support.node import Node
from tests.support.oauth import OOB, PASSWORD, Browser, Page, authorize_url


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("oauth-limits"), module_db_kind, workers=False)
    node.env["STAFFROOM_LOGIN_RATE_LIMIT"] = "3"
    node.env["STAFFROOM_APP_REGISTRATION_RATE_LIMIT"] = "2"
    node.migrate()
    node.create_user("alice")
    node.start()
    yield node
    node.close()


def register(node: Node) -> httpx.Response:
    return httpx.post(
        f"{node.base_url}/api/v1/apps", data={"client_name": "App", "redirect_uris": OOB}
    )


def test_app_registration_is_rate_limited(node: Node) -> None:
    first, second, third = register(node), register(node), register(node)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert second.headers["X-RateLimit-Remaining"] == "0"
    assert third.status_code == 429
    assert third.json() == {"error": "Too many requests"}
    assert third.headers["X-RateLimit-Limit"] == "2"
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert third.headers["X-RateLimit-Reset"].endswith("Z")
    assert int(third.headers["Retry-After"]) > 0
    assert third.headers["Access-Control-Allow-Origin"] == "*"


def local_app(node: Node) -> dict[str, Any]:
    """An app made in-process, so this test does not spend registration tokens."""

    async def make(session: Any) -> str:
        new = await register_app(session, name="Limits", redirect_uris=[OOB])
        return new.app.client_id

    return {"client_id": node.with_session(make), "redirect_uris": [OOB], "scopes": ["read"]}


def test_login_attempts_are_rate_limited(node: Node) -> None:
    app = local_app(node)
    with Browser(node) as browser:
        page = browser.get(authorize_url(node, app))
        statuses = [
            browser.submit(page, "login", username="alice", password="wrong password").status_code
            for _ in range(3)
        ]
        assert statuses == [422, 422, 422]
        limited = browser.submit(page, "login", username="alice", password=PASSWORD)
        assert limited.status_code == 429
        assert "staffroom_session" not in limited.cookies
        assert "Too many" in Page(limited.text).texts["error"]
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert int(limited.headers["Retry-After"]) > 0


@pytest.fixture(scope="module")
def limited(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("api-limits"), module_db_kind, workers=False)
    node.env["STAFFROOM_API_RATE_LIMIT"] = "4"
    node.migrate()
    node.create_user("alice")
    node.create_user("bob")
    node.start()
    yield node
    node.close()


def test_every_api_answer_carries_the_rate_limit_headers(limited: Node) -> None:
    token = limited.token("alice")
    url = f"{limited.base_url}/api/v1/accounts/verify_credentials"
    headers = {"Authorization": f"Bearer {token}"}
    answers = [httpx.get(url, headers=headers) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers[:4]] == ["3", "2", "1", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "4" for r in answers)
    assert answers[0].headers["X-RateLimit-Reset"].endswith("Z")
    assert answers[4].json() == {"error": "Too many requests"}
    assert int(answers[4].headers["Retry-After"]) >= 1
    # Another account's token has its own bucket, even from the same address.
    other = {"Authorization": f"Bearer {limited.token('bob')}"}
    assert httpx.get(url, headers=other).status_code == 200
