"""Attacks on followers-only and direct posts served at their ids, on both databases.

The rule under test: a non-public object (and its activity) is served only to
a signed fetch from someone in its audience, or to a local reader with a
token who is in it, and everyone else gets the very same 404 as for an id
that never existed. Remote actors are played by tests/support/remote.py, whose
keys the test holds, so each forgery can be built exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from sqlmodel import select

from actors.as2 import remote_actor_fields
from actors.remote import upsert_remote_actor
from federation.constants import PUBLIC
from federation.signatures import sign_cavage, sign_rfc9421
from storage.models import Actor, Block, Follow, FollowState
from tests.support.node import Node
from tests.support.remote import RemoteActor, RemoteServer, remote_server

AS = "application/activity+json"


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteServer]:
    with remote_server() as server:
        for name in ("frank", "mallory", "dora", "petra", "blocked"):
            server.add_actor(name)
        yield server


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("access"), module_db_kind)
    node.migrate()
    for name in ("alice", "bob", "carl"):
        node.create_user(name)
    node.start()
    yield node
    node.close()


def issue(node: Node, name: str) -> str:
    result = node.staffroom("users", "token", name)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def world(node: Node, remote: RemoteServer) -> dict[str, Any]:
    """alice's posts; frank, blocked and carl follow her (accepted), petra only asked."""
    actors = remote.actors

    async def graph(session: Any) -> None:
        alice = (await session.exec(select(Actor).where(Actor.local_username == "alice"))).one()
        carl = (await session.exec(select(Actor).where(Actor.local_username == "carl"))).one()
        rows = {}
        for name, actor in actors.items():
            rows[name] = await upsert_remote_actor(
                session, remote_actor_fields(actor.document(), actor.id)
            )
        for name, state in (
            ("frank", FollowState.ACCEPTED),
            ("blocked", FollowState.ACCEPTED),
            ("petra", FollowState.PENDING),
        ):
            session.add(
                Follow(
                    follower_id=rows[name].id,
                    followee_id=alice.id,
                    state=state,
                    activity_ap_id=f"{actors[name].id}/follows/alice",
                )
            )
        session.add(
            Follow(
                follower_id=carl.id,
                followee_id=alice.id,
                state=FollowState.ACCEPTED,
                activity_ap_id=f"{carl.ap_id}/follows/alice",
            )
        )
        session.add(Block(actor_id=alice.id, target_id=rows["blocked"].id))

    node.with_session(graph)
    tokens = {name: issue(node, name) for name in ("alice", "bob", "carl")}
    followers = f"{node.base_url}/users/alice/followers"

    def post(content: str, to: list[str]) -> dict[str, Any]:
        r = httpx.post(
            f"{node.base_url}/users/alice/outbox",
            json={"type": "Note", "content": content, "to": to},
            headers={"Authorization": f"Bearer {tokens['alice']}"},
            timeout=20,
        )
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    return {
        "tokens": tokens,
        "public": post("Open day on Saturday", [PUBLIC]),
        "followers": post("Staff meeting moved to room 12", [followers]),
        "direct": post("Dora, your grades are in", [actors["dora"].id]),
    }


def signed_get(
    url: str,
    signer: RemoteActor,
    *,
    key_id: str | None = None,
    private_pem: str | None = None,
    scheme: str = "cavage",
    extra: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {"Accept": AS, **(extra or {})}
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    signed = sign(
        "GET",
        url,
        dict(headers),
        key_id or signer.key_id,
        private_pem or signer.private_pem,
        None,
    )
    return httpx.get(url, headers={**headers, **signed}, timeout=10)


def get(url: str, token: str | None = None, accept: str = AS) -> httpx.Response:
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.get(url, headers=headers, timeout=10)


def not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert "Staff meeting" not in response.text and "grades" not in response.text


def ids(world: dict[str, Any], kind: str) -> tuple[str, str]:
    """(object id, activity id) of one of alice's posts."""
    return world[kind]["object"]["id"], world[kind]["id"]


def test_a_public_object_is_served_to_anyone(world: dict[str, Any]) -> None:
    for url in ids(world, "public"):
        assert get(url).status_code == 200


@pytest.mark.parametrize("which", [0, 1], ids=["object", "activity"])
def test_followers_only_unsigned_or_outsiders_get_404(
    world: dict[str, Any], remote: RemoteServer, which: int
) -> None:
    url = ids(world, "followers")[which]
    not_found(get(url))
    not_found(get(url, accept="text/html"))
    not_found(signed_get(url, remote.actors["mallory"]))  # signed, but no follower
    not_found(signed_get(url, remote.actors["petra"]))  # only a pending request
    not_found(signed_get(url, remote.actors["blocked"]))  # a follower alice blocks
    not_found(signed_get(url, remote.actors["dora"]))
    not_found(get(url, world["tokens"]["bob"]))  # a local non-follower with a token


@pytest.mark.parametrize("which", [0, 1], ids=["object", "activity"])
@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_followers_only_is_served_to_an_accepted_follower(
    world: dict[str, Any], remote: RemoteServer, which: int, scheme: str
) -> None:
    url = ids(world, "followers")[which]
    r = signed_get(url, remote.actors["frank"], scheme=scheme)
    assert r.status_code == 200, r.text
    assert "Staff meeting" in r.text
    assert "private" in r.headers["cache-control"]
    assert get(url, world["tokens"]["carl"]).status_code == 200  # a local follower's token
    assert get(url, world["tokens"]["alice"]).status_code == 200  # the author's token


@pytest.mark.parametrize("which", [0, 1], ids=["object", "activity"])
def test_direct_is_served_only_to_the_addressed_actor(
    world: dict[str, Any], remote: RemoteServer, which: int
) -> None:
    url = ids(world, "direct")[which]
    r = signed_get(url, remote.actors["dora"])
    assert r.status_code == 200 and "grades" in r.text
    not_found(signed_get(url, remote.actors["frank"]))  # a follower, but not addressed
    not_found(signed_get(url, remote.actors["mallory"]))
    not_found(get(url))
    not_found(get(url, world["tokens"]["carl"]))
    assert get(url, world["tokens"]["alice"]).status_code == 200


def test_forged_signatures_get_404(world: dict[str, Any], remote: RemoteServer) -> None:
    url = ids(world, "followers")[0]
    frank, mallory = remote.actors["frank"], remote.actors["mallory"]
    # mallory claims frank's key but can only sign with her own
    not_found(signed_get(url, frank, private_pem=mallory.private_pem))
    # a good signature, replayed for another URL
    other = signed_get(ids(world, "public")[0], frank)
    assert other.status_code == 200
    good = {"Accept": AS}
    signed = sign_cavage(
        "GET", ids(world, "public")[0], dict(good), frank.key_id, frank.private_pem
    )
    not_found(httpx.get(url, headers={**good, **signed}, timeout=10))
    # a stale Date
    stale = {"Date": formatdate(1_000_000_000, usegmt=True)}
    not_found(signed_get(url, frank, extra=stale))
    # garbage
    not_found(httpx.get(url, headers={"Accept": AS, "Signature": "nonsense"}, timeout=10))
    # a key the node cannot fetch
    not_found(signed_get(url, frank, key_id=f"{remote.base_url}/users/nobody#main-key"))
    # a bad token is nobody, too
    not_found(get(url, "not-a-token"))


def test_a_private_object_looks_exactly_like_a_missing_one(
    node: Node, world: dict[str, Any]
) -> None:
    url = ids(world, "followers")[0]
    missing = url.rsplit("/", 1)[0] + "/1"
    hidden, absent = get(url), get(missing)
    assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json())
    # an id under someone else's name is not another address for it
    number = url.rsplit("/", 1)[1]
    not_found(get(f"{node.base_url}/users/bob/statuses/{number}", world["tokens"]["alice"]))
    not_found(get(f"{node.base_url}/users/alice/statuses/not-a-number"))


def test_tombstones_answer_410_but_only_to_the_audience(
    node: Node, world: dict[str, Any], remote: RemoteServer
) -> None:
    token = world["tokens"]["alice"]
    followers = f"{node.base_url}/users/alice/followers"
    made = []
    for to in ([PUBLIC], [followers]):
        r = httpx.post(
            f"{node.base_url}/users/alice/outbox",
            content=json.dumps({"type": "Note", "content": "to be deleted", "to": to}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": AS},
            timeout=20,
        )
        assert r.status_code == 201
        object_id = r.json()["object"]["id"]
        deleted = httpx.post(
            f"{node.base_url}/users/alice/outbox",
            json={"type": "Delete", "object": object_id},
            headers={"Authorization": f"Bearer {token}"},
            timeout=20,
        )
        assert deleted.status_code == 201
        made.append(object_id)
    public, private = made
    gone = get(public)
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone" and gone.json()["id"] == public
    not_found(get(private))  # outsiders do not even learn it existed
    assert signed_get(private, remote.actors["frank"]).status_code == 410
