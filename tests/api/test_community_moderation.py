"""A community's moderation API on one node and both backends: every route, and who may.

olga owns ``club`` (join by approval); pavel asks to join and olga lets him
in, makes him a moderator and takes the role back; rita, a stranger, is
refused every moderator's door (403, nothing changed), banned, unbanned and
invited. A missing account or post is a 404, an unknown status action too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.node import Node, running_node, wait_until

COMMUNITIES = "/api/v1/staffroom/communities"
NAMES = ("olga", "pavel", "rita")


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with running_node(
        tmp_path_factory.mktemp("community-moderation"), module_db_kind, NAMES
    ) as served:
        yield served


def _http(node: Node, name: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {node.token(name)}"}
    return httpx.Client(base_url=node.base_url, headers=headers, timeout=30)


def _account_id(http: httpx.Client) -> str:
    found: str = http.get("/api/v1/accounts/verify_credentials").json()["id"]
    return found


def test_moderation_routes(node: Node) -> None:
    with _http(node, "olga") as olga, _http(node, "pavel") as pavel, _http(node, "rita") as rita:
        made = olga.post(COMMUNITIES, data={"name": "club", "join_policy": "approval"})
        assert made.status_code == 200, made.text
        club = made.json()["id"]
        base = f"{COMMUNITIES}/{club}"
        pavel_id, rita_id = _account_id(pavel), _account_id(rita)

        # A stranger is refused every moderator's door, and nothing changes.
        refusals: list[tuple[str, str, dict[str, Any]]] = [
            ("GET", "requests", {}),
            ("POST", f"requests/{pavel_id}/authorize", {}),
            ("POST", "bans", {"account_id": pavel_id}),
            ("POST", "moderators", {"account_id": rita_id}),
            ("POST", "invitations", {"account_id": rita_id}),
            ("DELETE", f"moderators/{pavel_id}", {}),
        ]
        for method, path, data in refusals:
            answer = rita.request(method, f"{base}/{path}", data=data or None)
            assert answer.status_code == 403, (path, answer.status_code, answer.text)

        pavel.post(f"/api/v1/accounts/{club}/follow").raise_for_status()
        wait_until(lambda: [a["id"] for a in olga.get(f"{base}/requests").json()] == [pavel_id])
        let_in = olga.post(f"{base}/requests/{pavel_id}/authorize")
        assert let_in.status_code == 200, let_in.text
        assert let_in.json()["members_count"] >= 1
        assert olga.get(f"{base}/requests").json() == []

        assert pavel.get(f"{base}/requests").status_code == 403
        made_mod = olga.post(f"{base}/moderators", data={"account_id": pavel_id})
        assert made_mod.status_code == 200, made_mod.text
        assert pavel.get(f"{base}/requests").status_code == 200
        # A moderator cannot be banned: the domain's refusal is a 422.
        refused = olga.post(f"{base}/bans", data={"account_id": pavel_id})
        assert refused.status_code == 422 and "moderator" in refused.json()["error"]
        assert olga.delete(f"{base}/moderators/{pavel_id}").status_code == 200
        assert pavel.get(f"{base}/requests").status_code == 403

        banned = olga.post(f"{base}/bans", data={"account_id": rita_id, "reason": "spam"})
        assert banned.status_code == 200, banned.text
        assert rita.get(f"{COMMUNITIES}/{club}").json()["membership"] == "banned"
        assert olga.delete(f"{base}/bans/{rita_id}").status_code == 200
        assert rita.get(f"{COMMUNITIES}/{club}").json()["membership"] is None
        invited = olga.post(f"{base}/invitations", data={"account_id": rita_id})
        assert invited.status_code == 200, invited.text

        # What does not exist is a 404.
        assert olga.post(f"{base}/members/{rita_id}/remove").status_code == 404
        assert olga.post(f"{base}/bans", data={"account_id": "999999"}).status_code == 404
        assert olga.post(f"{base}/statuses/999999/pin").status_code == 404
        assert olga.post(f"{base}/statuses/999999/frobnicate").status_code == 404
        assert olga.post(f"{base}/members/{pavel_id}/remove").status_code == 200


def test_only_a_moderator_changes_the_community(node: Node) -> None:
    with _http(node, "olga") as olga, _http(node, "rita") as rita:
        made = olga.post(COMMUNITIES, data={"name": "choir", "display_name": "Choir"})
        assert made.status_code == 200, made.text
        url = f"{COMMUNITIES}/{made.json()['id']}"
        assert rita.patch(url, data={"display_name": "Rita's"}).status_code == 403
        refused = olga.patch(url, data={"join_policy": "whenever"})
        assert refused.status_code == 422, refused.text
        changed = olga.patch(url, data={"display_name": "School choir", "subjects[]": ["music"]})
        assert changed.status_code == 200, changed.text
        assert changed.json()["display_name"] == "School choir"
        assert changed.json()["subjects"] == ["music"]
        assert rita.get(url).json()["display_name"] == "School choir"
