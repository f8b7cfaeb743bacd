"""Accounts through Mastodon.py on a running node: credentials, profile edits, reads,
account statuses (and their privacy), follows, relationships, blocks, mutes, requests.

One node per backend; people are created in-process, everything else goes
through the API as an app would drive it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError
from PIL import Image

from tests.api.accounts_support import check_account, check_relationship, client, post
from tests.support.node import Node, wait_until


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("accounts"), module_db_kind)
    node.migrate()
    node.create_user("admin", role="admin")
    node.create_user("alice", display_name="Alice Teacher")
    for name in ("carol", "dave", "erin", "frank"):
        node.create_user(name, role="student" if name == "dave" else "teacher")
    node.create_user("locked", manually_approves_followers=True)
    node.create_user("chemistry", type="Group", display_name="Chemistry teachers")
    node.start()
    yield node
    node.close()


@pytest.fixture(scope="module")
def api(node: Node) -> dict[str, Mastodon]:
    names = ("admin", "alice", "carol", "dave", "erin", "frank", "locked")
    return {name: client(node, node.token(name)) for name in names}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def png(width: int, height: int, colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def account_id(api: dict[str, Mastodon], name: str) -> str:
    return str(api["admin"].account_lookup(name)["id"])


def follow_and_wait(api: dict[str, Mastodon], follower: str, followee: str) -> None:
    target = account_id(api, followee)
    api[follower].account_follow(target)
    wait_until(lambda: api[follower].account_relationships(target)[0]["following"])


# -- credentials and profile -------------------------------------------------------------


def test_verify_credentials(node: Node, api: dict[str, Mastodon]) -> None:
    me = httpx.get(
        f"{node.base_url}/api/v1/accounts/verify_credentials",
        headers=bearer(node.token("dave", "profile")),
        timeout=10,
    ).json()
    check_account(me)
    assert me["acct"] == me["username"] == "dave"
    assert me["roles"] == [{"id": "4", "name": "Student", "color": "#7ed321"}]
    assert me["role"]["name"] == "Student"
    assert set(me["source"]) >= {
        "privacy", "sensitive", "language", "note", "fields", "follow_requests_count"
    }  # fmt: skip
    assert api["alice"].account_verify_credentials()["display_name"] == "Alice Teacher"


def test_verify_credentials_needs_an_account_scope(node: Node) -> None:
    r = httpx.get(
        f"{node.base_url}/api/v1/accounts/verify_credentials",
        headers=bearer(node.token("dave", "read:statuses")),
        timeout=10,
    )
    assert r.status_code == 403
    assert r.json() == {"error": "This action is outside the authorized scopes"}


def test_update_credentials_with_avatar_header_and_fields(
    node: Node, api: dict[str, Mastodon]
) -> None:
    me = api["erin"].account_update_credentials(
        display_name="Erin Physics",
        note="Teaching physics.\n\nSee https://example.org",
        fields=[("Subject", "Physics"), ("School", "Lyceum 7")],
        avatar=png(800, 600),
        avatar_mime_type="image/png",
        header=png(3000, 1000, "blue"),
        header_mime_type="image/png",
    )
    assert me["display_name"] == "Erin Physics"
    assert me["note"].startswith("<p>Teaching physics.</p>")
    assert 'href="https://example.org"' in me["note"]
    assert me["source"]["note"] == "Teaching physics.\n\nSee https://example.org"
    assert [(f["name"], f["value"]) for f in me["source"]["fields"]] == [
        ("Subject", "Physics"),
        ("School", "Lyceum 7"),
    ]
    assert "/system/accounts/avatars/" in me["avatar"]
    avatar = httpx.get(me["avatar"], timeout=10)
    assert avatar.status_code == 200
    assert Image.open(io.BytesIO(avatar.content)).size == (400, 400)
    header = httpx.get(me["header"], timeout=10)
    assert Image.open(io.BytesIO(header.content)).size == (1500, 500)
    # Only what is sent changes.
    again = api["erin"].account_update_credentials(locked=True)
    assert again["display_name"] == "Erin Physics"
    assert again["locked"] is True
    assert again["avatar"] == me["avatar"]
    api["erin"].account_update_credentials(locked=False)


def test_update_credentials_refusals(node: Node) -> None:
    url = f"{node.base_url}/api/v1/accounts/update_credentials"
    token = node.token("frank")
    bad = httpx.patch(
        url, headers=bearer(token), files={"avatar": ("x.png", b"not an image", "image/png")}
    )
    assert bad.status_code == 422
    assert bad.json()["error"].startswith("Validation failed: Avatar")
    many = {f"fields_attributes[{i}][name]": f"n{i}" for i in range(5)}
    assert httpx.patch(url, headers=bearer(token), data=many).status_code == 422
    json_fields = httpx.patch(
        url,
        headers=bearer(token),
        json={"fields_attributes": [{"name": "Subject", "value": "Maths"}]},
    ).json()
    assert json_fields["fields"][0]["name"] == "Subject"
    read_only = httpx.patch(url, headers=bearer(node.token("frank", "read")), data={"note": "x"})
    assert read_only.status_code == 403


# -- reading accounts ----------------------------------------------------------------------


def test_get_and_lookup(node: Node, api: dict[str, Mastodon]) -> None:
    alice = api["carol"].account_lookup("alice")
    raw = httpx.get(f"{node.base_url}/api/v1/accounts/lookup?acct=alice", timeout=10).json()
    check_account(raw)
    assert raw["id"] == str(alice["id"])
    assert api["carol"].account(alice["id"])["acct"] == "alice"
    assert api["carol"].account_lookup(f"alice@{node.domain}")["id"] == alice["id"]
    anonymous = httpx.get(f"{node.base_url}/api/v1/accounts/{alice['id']}", timeout=10)
    assert anonymous.status_code == 200
    assert anonymous.json()["id"] == str(alice["id"])
    missing = httpx.get(f"{node.base_url}/api/v1/accounts/123", timeout=10)
    assert missing.status_code == 404
    assert missing.json() == {"error": "Record not found"}
    with pytest.raises(MastodonNotFoundError):
        api["carol"].account_lookup("nobody")
    # The instance actor is no account.
    lookup = httpx.get(f"{node.base_url}/api/v1/accounts/lookup?acct=instance.actor", timeout=10)
    assert lookup.status_code == 404
    # Communities are groups; a bot flag makes a Service.
    community = httpx.get(f"{node.base_url}/api/v1/accounts/lookup?acct=chemistry").json()
    assert community["group"] is True and community["bot"] is False
    assert api["carol"].account_update_credentials(bot=True)["bot"] is True
    assert api["carol"].account_update_credentials(bot=False)["bot"] is False
    many = api["carol"].accounts([alice["id"], account_id(api, "dave")])
    assert [a["username"] for a in many] == ["alice", "dave"]


def test_account_search(api: dict[str, Mastodon]) -> None:
    found = api["carol"].account_search("ali")
    assert [a["acct"] for a in found] == ["alice"]
    assert [a["acct"] for a in api["carol"].account_search("Alice Tea")] == ["alice"]
    assert api["carol"].account_search("zzz") == []


# -- follows, relationships, lists of accounts -----------------------------------------------


def test_follow_unfollow_and_relationship(node: Node, api: dict[str, Mastodon]) -> None:
    alice = account_id(api, "alice")
    raw = httpx.post(
        f"{node.base_url}/api/v1/accounts/{alice}/follow", headers=bearer(node.token("frank"))
    )
    check_relationship(raw.json())
    wait_until(lambda: api["frank"].account_relationships(alice)[0]["following"])
    back = api["alice"].account_relationships(account_id(api, "frank"))[0]
    assert back["followed_by"] is True
    assert any(a["acct"] == "frank" for a in api["frank"].account_followers(alice))
    assert any(
        a["acct"] == "alice" for a in api["frank"].account_following(account_id(api, "frank"))
    )
    rel = api["frank"].account_unfollow(alice)
    assert rel["following"] is False and rel["requested"] is False


def test_followers_paginate_with_link_headers(api: dict[str, Mastodon]) -> None:
    for name in ("carol", "dave", "erin"):
        follow_and_wait(api, name, "admin")
    admin = account_id(api, "admin")
    first = api["alice"].account_followers(admin, limit=2)
    assert len(first) == 2
    second = api["alice"].fetch_next(first)
    assert second is not None and len(second) >= 1
    names = [a["acct"] for a in [*first, *second]]
    assert sorted(names) == ["carol", "dave", "erin"]
    newer = api["alice"].fetch_previous(second)
    assert newer is not None and [a["acct"] for a in newer] == [a["acct"] for a in first]
    familiar = api["carol"].account_familiar_followers(admin)
    assert familiar[0]["id"] == admin


def test_read_only_token_cannot_follow(node: Node, api: dict[str, Mastodon]) -> None:
    read_only = client(node, node.token("dave", "read"))
    with pytest.raises(MastodonAPIError) as caught:
        read_only.account_follow(account_id(api, "alice"))
    assert caught.value.args[1] == 403
    assert api["dave"].account_relationships(account_id(api, "alice"))[0]["requested"] is False


def test_cannot_follow_yourself(node: Node, api: dict[str, Mastodon]) -> None:
    me = account_id(api, "dave")
    r = httpx.post(
        f"{node.base_url}/api/v1/accounts/{me}/follow", headers=bearer(node.token("dave"))
    )
    assert r.status_code == 403


def test_follow_requests_authorize_and_reject(api: dict[str, Mastodon]) -> None:
    locked = account_id(api, "locked")
    rel = api["carol"].account_follow(locked)
    api["dave"].account_follow(locked)
    wait_until(lambda: len(api["locked"].follow_requests()) == 2)
    assert rel["following"] is False
    requests = {a["acct"]: a["id"] for a in api["locked"].follow_requests()}
    assert api["locked"].account_verify_credentials()["source"]["follow_requests_count"] == 2
    api["locked"].follow_request_authorize(requests["carol"])
    api["locked"].follow_request_reject(requests["dave"])
    wait_until(lambda: api["carol"].account_relationships(locked)[0]["following"])
    assert api["dave"].account_relationships(locked)[0]["following"] is False
    assert api["locked"].follow_requests() == []
    with pytest.raises(MastodonNotFoundError):
        api["locked"].follow_request_authorize(requests["dave"])


def test_block_and_unblock(api: dict[str, Mastodon]) -> None:
    dave = account_id(api, "dave")
    rel = api["erin"].account_block(dave)
    assert rel["blocking"] is True
    assert api["dave"].account_relationships(account_id(api, "erin"))[0]["blocked_by"] is True
    assert [a["acct"] for a in api["erin"].blocks()] == ["dave"]
    with pytest.raises(MastodonAPIError) as caught:
        api["dave"].account_follow(account_id(api, "erin"))
    assert caught.value.args[1] == 403
    assert api["erin"].account_unblock(dave)["blocking"] is False
    assert api["erin"].blocks() == []


def test_mute_and_unmute(api: dict[str, Mastodon]) -> None:
    dave = account_id(api, "dave")
    rel = api["erin"].account_mute(dave, notifications=False)
    assert rel["muting"] is True and rel["muting_notifications"] is False
    muted = api["erin"].mutes()
    assert [a["acct"] for a in muted] == ["dave"]
    assert muted[0]["mute_expires_at"] is None
    timed = api["erin"].account_mute(dave, duration=3600)
    assert timed["muting_notifications"] is True
    assert api["erin"].mutes()[0]["mute_expires_at"] is not None
    assert api["erin"].account_unmute(dave)["muting"] is False
    assert api["erin"].mutes() == []


# -- account statuses -------------------------------------------------------------------------


def test_account_statuses_respect_visibility(node: Node, api: dict[str, Mastodon]) -> None:
    follow_and_wait(api, "carol", "alice")
    public = post(node, "alice", "a public lesson plan #maths")
    private = post(node, "alice", "followers only: staff meeting notes", "followers")
    direct = post(node, "alice", f"@erin@{node.domain} a direct word", "direct")
    alice = account_id(api, "alice")

    def ids(viewer: Mastodon, **filters: object) -> list[str]:
        return [str(s["id"]) for s in viewer.account_statuses(alice, **filters)]

    stranger = ids(api["dave"])
    assert str(public) in stranger
    assert str(private) not in stranger and str(direct) not in stranger
    follower = ids(api["carol"])
    assert str(private) in follower and str(direct) not in follower
    assert str(direct) in ids(api["erin"])
    assert {str(public), str(private), str(direct)} <= set(ids(api["alice"]))
    anonymous = httpx.get(f"{node.base_url}/api/v1/accounts/{alice}/statuses", timeout=10).json()
    assert [s["id"] for s in anonymous] == [str(public)]
    assert ids(api["carol"], tagged="maths") == [str(public)]
    assert ids(api["carol"], only_media=True) == []
    assert ids(api["carol"], pinned=True) == []


def test_account_statuses_pagination(node: Node, api: dict[str, Mastodon]) -> None:
    made = [post(node, "frank", f"note {i}") for i in range(5)]
    frank = account_id(api, "frank")
    first = api["dave"].account_statuses(frank, limit=2)
    assert [s["id"] for s in first] == [str(made[4]), str(made[3])]
    rest = api["dave"].fetch_remaining(first)
    assert [str(s["id"]) for s in rest] == [str(i) for i in reversed(made)]
    since = api["dave"].account_statuses(frank, min_id=made[1])
    assert [s["id"] for s in since] == [str(i) for i in reversed(made[2:])]
    assert api["dave"].account(frank)["statuses_count"] == 5
    assert api["dave"].account(frank)["last_status_at"] is not None


# -- client state --------------------------------------------------------------------------------


def test_lists(api: dict[str, Mastodon]) -> None:
    follow_and_wait(api, "frank", "carol")
    created = api["frank"].list_create("Science department")
    assert set(created) >= {"id", "title", "replies_policy", "exclusive"}
    carol = account_id(api, "carol")
    api["frank"].list_accounts_add(created["id"], [carol])
    assert [a["acct"] for a in api["frank"].list_accounts(created["id"])] == ["carol"]
    assert [lst["title"] for lst in api["frank"].lists()] == ["Science department"]
    api["frank"].list_update(created["id"], "Science")
    assert api["frank"].list(created["id"])["title"] == "Science"
    with pytest.raises(MastodonNotFoundError):
        api["dave"].list(created["id"])
    with pytest.raises(MastodonNotFoundError):  # not followed
        api["frank"].list_accounts_add(created["id"], [account_id(api, "locked")])
    api["frank"].list_accounts_delete(created["id"], [carol])
    assert api["frank"].list_accounts(created["id"]) == []
    api["frank"].list_delete(created["id"])
    assert api["frank"].lists() == []


def test_markers(api: dict[str, Mastodon]) -> None:
    saved = api["dave"].markers_set(["home", "notifications"], ["111", "222"])
    assert saved["home"]["last_read_id"] == "111"
    again = api["dave"].markers_set("home", "333")
    assert again["home"]["version"] == saved["home"]["version"] + 1
    got = api["dave"].markers_get(["home", "notifications"])
    assert got["home"]["last_read_id"] == "333"
    assert got["notifications"]["last_read_id"] == "222"


def test_login_time_endpoints_answer(node: Node, api: dict[str, Mastodon]) -> None:
    prefs = api["dave"].preferences()
    assert prefs["posting:default:visibility"] == "local"  # dave is a student
    assert api["carol"].preferences()["posting:default:visibility"] == "public"
    assert api["dave"].custom_emojis() == []
    assert api["dave"].filters() == []
    token = node.token("dave")
    for path in (
        "/api/v1/custom_emojis", "/api/v1/filters", "/api/v2/filters", "/api/v1/trends",
        "/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/announcements",
        "/api/v2/suggestions", "/api/v1/followed_tags", "/api/v1/domain_blocks",
        "/api/v1/endorsements", "/api/v1/featured_tags", "/api/v1/lists/",
    ):  # fmt: skip
        r = httpx.get(node.base_url + path, headers=bearer(token), timeout=10)
        assert r.status_code == 200, path
        assert r.json() == [], path
    assert httpx.get(f"{node.base_url}/api/v1/lists/42", headers=bearer(token)).status_code == 404
