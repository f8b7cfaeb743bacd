"""Search and remote resolution across two real nodes, driven with Mastodon.py.

Proves: ``account_search("bob@host", resolve=True)`` finds an account on
another node by WebFinger and it can be followed (the Accept comes back);
a post is resolved by its URL; a profile edit reaches the other node; and
search never reveals a followers-only post (or its hashtags) to anyone
outside its audience, whether matched by text or looked up by URL; and a
post stored by another transaction while we fetch it is taken, not a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from sqlalchemy import delete
from sqlmodel import col

from storage.models import ContentObject
from tests.api.accounts_support import check_account, client, post
from tests.support.node import Node, wait_until
from tests.support.statements import before_each_statement


@pytest.fixture(scope="module")
def nodes(
    module_db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Node, Node]]:
    a = Node(tmp_path_factory.mktemp("search-a"), module_db_kind)
    b = Node(tmp_path_factory.mktemp("search-b"), module_db_kind)
    for node in (a, b):
        node.migrate()
    for name in ("alice", "carol", "dave"):
        a.create_user(name, display_name=f"{name.title()} Example")
    b.create_user("bob", display_name="Bob Remote")
    a.start()
    b.start()
    yield a, b
    a.close()
    b.close()


@pytest.fixture(scope="module")
def api(nodes: tuple[Node, Node]) -> dict[str, Mastodon]:
    a, b = nodes
    clients = {name: client(a, a.token(name)) for name in ("alice", "carol", "dave")}
    clients["bob"] = client(b, b.token("bob"))
    return clients


@pytest.fixture(scope="module")
def bob_on_a(nodes: tuple[Node, Node], api: dict[str, Mastodon]) -> str:
    """Alice resolves bob@B and follows him; his id on node A."""
    _, b = nodes
    found = api["alice"].account_search(f"bob@{b.domain}", resolve=True)
    assert [x["acct"] for x in found] == [f"bob@{b.domain}"]
    bob = str(found[0]["id"])
    api["alice"].account_follow(bob)
    wait_until(lambda: api["alice"].account_relationships(bob)[0]["following"], timeout=20)
    return bob


def test_resolve_and_follow_a_remote_account(
    nodes: tuple[Node, Node], api: dict[str, Mastodon], bob_on_a: str
) -> None:
    a, b = nodes
    raw = httpx.get(f"{a.base_url}/api/v1/accounts/{bob_on_a}", timeout=10).json()
    check_account(raw)
    assert raw["acct"] == f"bob@{b.domain}"
    assert raw["display_name"] == "Bob Remote"
    assert raw["uri"] == f"{b.base_url}/users/bob"
    assert raw["roles"] == []
    # Bob's own node now counts alice among his followers.
    bob_home = api["bob"].account_verify_credentials()
    followers = api["bob"].account_followers(bob_home["id"])
    assert [f["acct"] for f in followers] == [f"alice@{a.domain}"]
    # Once known, the remote account is found without resolving too.
    assert str(api["dave"].account_lookup(f"bob@{b.domain}")["id"]) == bob_on_a
    v2 = api["dave"].search_v2(f"@bob@{b.domain}", resolve=False, result_type="accounts")
    assert [x["acct"] for x in v2["accounts"]] == [f"bob@{b.domain}"]


def test_resolve_a_remote_post_by_url(
    nodes: tuple[Node, Node], api: dict[str, Mastodon], bob_on_a: str
) -> None:
    _, b = nodes
    public = post(b, "bob", "a public note about fractions")
    url = f"{b.base_url}/users/bob/statuses/{public}"
    found = api["dave"].search_v2(url, resolve=True)
    assert [s["uri"] for s in found["statuses"]] == [url]
    assert found["statuses"][0]["account"]["acct"] == f"bob@{b.domain}"


def test_a_delivered_followers_only_post_is_not_revealed_by_url(
    nodes: tuple[Node, Node], api: dict[str, Mastodon], bob_on_a: str
) -> None:
    _, b = nodes
    private = post(b, "bob", "followers only: bob's exam dates", "followers")
    url = f"{b.base_url}/users/bob/statuses/{private}"
    # Delivered to node A because alice follows bob.
    wait_until(lambda: api["alice"].search_v2(url, resolve=True)["statuses"], timeout=20)
    assert api["dave"].search_v2(url, resolve=True)["statuses"] == []
    assert api["dave"].search_v2("exam dates", result_type="statuses")["statuses"] == []
    assert api["alice"].account_statuses(bob_on_a)[0]["uri"] == url
    assert all(s["uri"] != url for s in api["dave"].account_statuses(bob_on_a))


def test_profile_update_reaches_the_other_node(api: dict[str, Mastodon], bob_on_a: str) -> None:
    api["bob"].account_update_credentials(display_name="Bob Chemistry")
    wait_until(
        lambda: api["alice"].account(bob_on_a)["display_name"] == "Bob Chemistry", timeout=20
    )


def test_status_search_only_finds_readable_posts(
    nodes: tuple[Node, Node], api: dict[str, Mastodon]
) -> None:
    a, _ = nodes
    alice = str(api["dave"].account_lookup("alice")["id"])
    api["carol"].account_follow(alice)
    wait_until(lambda: api["carol"].account_relationships(alice)[0]["following"])
    open_post = post(a, "alice", "open staffroom plans #algebra")
    closed_post = post(a, "alice", "closed staffroom plans #secretcurriculum", "followers")

    def found(viewer: Mastodon, query: str) -> set[str]:
        return {str(s["id"]) for s in viewer.search_v2(query, resolve=False)["statuses"]}

    assert found(api["dave"], "staffroom plans") == {str(open_post)}
    assert found(api["carol"], "staffroom plans") == {str(open_post), str(closed_post)}
    assert found(api["alice"], "STAFFROOM PLANS") == {str(open_post), str(closed_post)}
    tags = api["dave"].search_v2("alg", resolve=False, result_type="hashtags")["hashtags"]
    assert [t["name"] for t in tags] == ["algebra"]
    assert set(tags[0]) >= {"name", "url", "history"}
    # A tag used only in a followers-only post is not revealed.
    hidden = api["carol"].search_v2("secretcurr", resolve=False, result_type="hashtags")
    assert hidden["hashtags"] == []


def test_search_accounts_and_anonymous_rules(
    nodes: tuple[Node, Node], api: dict[str, Mastodon]
) -> None:
    a, _ = nodes
    result = api["dave"].search_v2("Carol Ex", resolve=False)
    assert [x["acct"] for x in result["accounts"]] == ["carol"]
    assert set(result) >= {"accounts", "statuses", "hashtags"}
    anonymous = httpx.get(f"{a.base_url}/api/v2/search", params={"q": "plans"}, timeout=10)
    assert anonymous.status_code == 200
    assert anonymous.json()["statuses"] == []
    refused = httpx.get(
        f"{a.base_url}/api/v2/search", params={"q": "bob@x.example", "resolve": "true"}
    )
    assert refused.status_code == 401
    bad_type = httpx.get(f"{a.base_url}/api/v2/search", params={"q": "x", "type": "nope"})
    assert bad_type.status_code == 422
    following = api["alice"].account_search("b", following=True)
    assert all(x["acct"].startswith("bob@") for x in following)


def test_a_post_stored_meanwhile_is_taken_not_a_500(nodes: tuple[Node, Node]) -> None:
    """Another transaction stores the post between our last look and our insert.

    A search resolves a post whose delivery reaches our inbox at the same
    moment: the inbox worker's row must win, not a unique violation. The first
    fetch records the INSERT it makes, then the post is deleted; the second
    replays that INSERT on its own connection just before it stores (before
    its savepoint, or its INSERT), exactly as a commit by the inbox worker
    would look to it.
    """
    from content.objects import fetch_object

    a, b = nodes
    # An author nobody follows: no delivery of this post races the test's own.
    b.create_user("erin")
    url = f"{b.base_url}/users/erin/statuses/{post(b, 'erin', 'Who has the lab key?')}"
    recorded: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO objects"):
            recorded.append((statement, parameters))

    def replay(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if recorded and statement.startswith(("SAVEPOINT", "INSERT INTO objects")):
            cursor.execute(*recorded.pop())

    async def fetch_twice(_session: Any, ctx: Any) -> tuple[int | None, int | None]:
        engine = ctx.sessions.kw["bind"].sync_engine
        async with ctx.sessions() as session:
            with before_each_statement(engine, record):
                first = await fetch_object(session, ctx, url)
            assert first is not None and len(recorded) == 1
            # Keep the author it stored, forget the post: as if never fetched.
            await session.exec(delete(ContentObject).where(col(ContentObject.id) == first.id))
            await session.commit()
        async with ctx.sessions() as session:
            with before_each_statement(engine, replay):
                second = await fetch_object(session, ctx, url)
            await session.commit()
        assert not recorded, "the other transaction's insert never ran"
        return first.id, None if second is None else second.id

    first_id, second_id = a.with_node(fetch_twice)
    assert second_id == first_id  # the row the "other transaction" stored
