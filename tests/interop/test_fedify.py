"""Interop with Fedify, an ActivityPub implementation we did not write.

A real node (``staffroom serve``, one per database backend) and two Fedify
peers on loopback (see ``tests/support/fedify.py``):

* ``fred``: Fedify's defaults (RFC 9421 first, then draft-cavage; LD signature
  and FEP-8b32 proof in bodies);
* ``cara``: draft-cavage first, RSA only (no proof).

They prove that Fedify discovers and parses our actors, that what Fedify signs
verifies in our inbox (and what it must not, does not), and that what we sign
verifies in Fedify.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import select

from federation.auth import HttpSignatureAuth
from federation.client import ClientConfig, SafeClient
from federation.jsonld import PUBLIC
from federation.signatures.keys import load_public_key
from federation.vocab import as_list, id_of
from storage.models import Actor, InboxItem
from tests.support.fedify import require_fedify, rsa_key_id, started_peer
from tests.support.node import Node, run_async, wait_until

require_fedify()  # skips this module, saying to run `make fedify-peer`, if absent

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
INSTANCE_ACTOR = "instance.actor"
SCHEMES = ["draft-cavage", "rfc9421"]


# -- fixtures ---------------------------------------------------------------


@pytest.fixture(scope="module")
def fred(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with started_peer(tmp_path_factory.mktemp("fedify-fred"), "fred") as peer:
        yield peer


@pytest.fixture(scope="module")
def cara(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with started_peer(
        tmp_path_factory.mktemp("fedify-cara"), "cara", first_knock="cavage", ed25519=False
    ) as peer:
        yield peer


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("interop-fedify"), module_db_kind)
    node.migrate()
    node.create_user("alice")
    node.start()  # creates the instance actor and its keys
    yield node
    node.close()


# -- helpers ----------------------------------------------------------------


@dataclass(frozen=True)
class LocalActor:
    row_id: int
    ap_id: str
    key_id: str
    public_pem: str
    private_pem: str


def local_actor(node: Node, username: str) -> LocalActor:
    async def query(session: Any) -> LocalActor:
        rows = await session.exec(select(Actor).where(Actor.local_username == username))
        actor = rows.one()
        return LocalActor(
            actor.id, actor.ap_id, actor.public_key_id, actor.public_key_pem, actor.private_key_pem
        )

    return node.with_session(query)


def stored(node: Node, activity_id: str) -> list[InboxItem]:
    async def query(session: Any) -> list[InboxItem]:
        rows = await session.exec(select(InboxItem).where(InboxItem.activity_id == activity_id))
        return list(rows.all())

    return node.with_session(query)


def stored_once(node: Node, activity_id: str, timeout: float = 10.0) -> InboxItem:
    rows = wait_until(lambda: stored(node, activity_id), timeout=timeout)
    assert len(rows) == 1
    return rows[0]


def stored_where(node: Node, actor: str, kind: str) -> list[InboxItem]:
    async def query(session: Any) -> list[InboxItem]:
        rows = await session.exec(
            select(InboxItem).where(InboxItem.actor_ap_id == actor, InboxItem.activity_type == kind)
        )
        return list(rows.all())

    return node.with_session(query)


def same_key(pem_a: str, pem_b: str) -> bool:
    a, b = load_public_key(pem_a), load_public_key(pem_b)
    return a.public_numbers() == b.public_numbers()  # type: ignore[union-attr]


def sent_for(peer: Any, activity_id: str) -> list[dict[str, Any]]:
    """The peer's outgoing requests that carried ``activity_id`` (one per knock)."""
    return [s for s in peer.sent() if s.get("activityId") == activity_id]


def fresh_create(
    peer: Any, *, actor: str | None = None, content: str = "<p>Titration</p>"
) -> dict[str, Any]:
    """A Create(Note) in the peer's name (or ``actor``'s), with ids on that actor's origin."""
    actor = actor or peer.actor
    stamp = time.time_ns()
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor}/create/{stamp}",
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "object": {
            "id": f"{actor}/note/{stamp}",
            "type": "Note",
            "attributedTo": actor,
            "content": content,
            "to": [PUBLIC],
        },
    }


def refused(result: dict[str, Any], reason: str) -> None:
    """A raw-post answer that is our 401 with ``reason`` in the error."""
    assert result["status"] == 401, result
    assert reason.lower() in json.loads(result["body"])["error"].lower(), result


def client() -> SafeClient:
    return SafeClient(ClientConfig(allow_http=True, allow_private_addresses=True))


# -- Fedify discovers and parses our actors ---------------------------------


def test_fedify_finds_our_person_by_webfinger(fred: Any, node: Node) -> None:
    alice = local_actor(node, "alice")
    found = fred.lookup(f"acct:alice@{node.domain}")

    assert found["webfinger"]["subject"] == f"acct:alice@{node.domain}"
    assert (found["type"], found["isActor"], found["id"]) == ("Person", True, alice.ap_id)
    person = found["object"]
    assert person["type"] == "Person"
    assert person["preferredUsername"] == "alice"
    assert person["inbox"] == f"{alice.ap_id}/inbox"
    assert person["endpoints"]["sharedInbox"] == f"{node.base_url}/inbox"
    # Fedify re-exports the key it parsed: a usable RSA key, ours, owned by alice.
    keys = as_list(person.get("publicKey"))
    assert len(keys) == 1
    key = keys[0]
    assert key["id"] == alice.key_id
    assert key["owner"] == alice.ap_id
    assert same_key(key["publicKeyPem"], alice.public_pem)
    # We publish no Multikey, so Fedify must not have invented one.
    assert person.get("assertionMethod") is None


def test_fedify_parses_our_instance_actor_as_application(fred: Any, node: Node) -> None:
    instance = local_actor(node, INSTANCE_ACTOR)
    found = fred.lookup(f"{node.base_url}/actor")
    assert (found["type"], found["isActor"], found["id"]) == ("Application", True, instance.ap_id)
    key = found["object"]["publicKey"]
    assert (key["id"], key["owner"]) == (instance.key_id, instance.ap_id)
    assert same_key(key["publicKeyPem"], instance.public_pem)


# -- what Fedify signs verifies in our inbox ---------------------------------


def test_fedify_follow_signed_rfc9421_is_stored(fred: Any, node: Node) -> None:
    alice = local_actor(node, "alice")
    follow = fred.follow(f"alice@{node.domain}")  # WebFinger, lookup, signed delivery

    row = stored_once(node, follow["id"])
    assert (row.activity_type, row.actor_ap_id) == ("Follow", fred.actor)
    assert row.key_id == rsa_key_id(fred)
    assert row.recipient_id == alice.row_id  # the personal inbox
    assert id_of(row.body["object"]) == alice.ap_id
    # One knock was enough: our inbox took RFC 9421, Fedify's first choice.
    deliveries = [s for s in sent_for(fred, follow["id"]) if s["method"] == "POST"]
    assert [(s["scheme"], s["status"]) for s in deliveries] == [("rfc9421", 202)]
    assert deliveries[0]["url"] == f"{alice.ap_id}/inbox"
    assert deliveries[0]["hasLdSignature"]
    assert deliveries[0]["hasProof"]


def test_fedify_follow_signed_cavage_is_stored(cara: Any, node: Node) -> None:
    follow = cara.follow(f"alice@{node.domain}")

    row = stored_once(node, follow["id"])
    assert (row.activity_type, row.actor_ap_id) == ("Follow", cara.actor)
    assert row.key_id == rsa_key_id(cara)
    deliveries = [s for s in sent_for(cara, follow["id"]) if s["method"] == "POST"]
    assert [(s["scheme"], s["status"]) for s in deliveries] == [("draft-cavage", 202)]
    assert not deliveries[0]["hasProof"]


@pytest.mark.parametrize("spec", ["cavage", "rfc9421"])
def test_create_signed_by_fedify_is_stored(fred: Any, node: Node, spec: str) -> None:
    create = fresh_create(fred)
    result = fred.raw_post(f"{node.base_url}/inbox", create, spec=spec)

    assert result["status"] == 202, result
    assert json.loads(result["body"]) == {"id": create["id"], "stored": True}
    row = stored_once(node, create["id"])
    assert (row.activity_type, row.actor_ap_id) == ("Create", fred.actor)
    assert row.key_id == rsa_key_id(fred)
    assert row.recipient_id is None  # the shared inbox
    assert row.body["object"]["content"] == "<p>Titration</p>"
    (request,) = sent_for(fred, create["id"])
    assert request["scheme"] == ("draft-cavage" if spec == "cavage" else "rfc9421")


@pytest.mark.parametrize("spec", ["cavage", "rfc9421"])
def test_body_changed_after_fedify_signed_is_401(fred: Any, node: Node, spec: str) -> None:
    create = fresh_create(fred)
    result = fred.raw_post(f"{node.base_url}/inbox", create, spec=spec, tamper=True)
    refused(result, "digest")  # Digest / Content-Digest no longer matches
    assert stored(node, create["id"]) == []


def test_unsigned_post_from_fedify_is_401(fred: Any, node: Node) -> None:
    create = fresh_create(fred)
    refused(fred.raw_post(f"{node.base_url}/inbox", create, spec="none"), "signature")
    assert stored(node, create["id"]) == []


@pytest.mark.parametrize("spec", ["cavage", "rfc9421"])
def test_fedify_signing_for_another_actor_is_401(
    fred: Any, cara: Any, node: Node, spec: str
) -> None:
    # A valid signature by fred, on activities that claim to be by cara (another
    # Fedify server) and by our own alice: the key's owner is not the actor.
    alice = local_actor(node, "alice")
    for actor in (cara.actor, alice.ap_id):
        create = fresh_create(fred, actor=actor)
        result = fred.raw_post(f"{node.base_url}/inbox", create, spec=spec)
        refused(result, "owner")
        assert stored(node, create["id"]) == []


# -- what we sign verifies in Fedify ----------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_fedify_serves_a_get_we_sign(fred: Any, node: Node, scheme: str) -> None:
    # The peer has no authorized fetch, so this shows our signed GET is not
    # refused; the POST test below shows Fedify *verifies* our signatures.
    instance = local_actor(node, INSTANCE_ACTOR)
    auth = HttpSignatureAuth(instance.key_id, instance.private_pem, scheme=scheme)  # type: ignore[arg-type]

    async def fetch() -> dict[str, Any]:
        async with client() as http:
            return await http.get_json(fred.actor, auth=auth)

    person = run_async(fetch)
    assert (person["type"], person["id"]) == ("Person", fred.actor)
    assert id_of(person["publicKey"]) == rsa_key_id(fred)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_follow_we_sign_verifies_in_fedify(fred: Any, node: Node, scheme: str) -> None:
    alice = local_actor(node, "alice")
    follow = {
        "@context": AS_CONTEXT,
        "id": f"{alice.ap_id}/follows/{time.time_ns()}",
        "type": "Follow",
        "actor": alice.ap_id,
        "object": fred.actor,
    }
    auth = HttpSignatureAuth(alice.key_id, alice.private_pem, scheme=scheme)  # type: ignore[arg-type]

    async def deliver() -> int:
        async with client() as http:
            response = await http.post(fred.inbox, json.dumps(follow).encode(), auth=auth)
            return response.status_code

    assert run_async(deliver) == 202
    # Fedify's own status for the POST is the truth...
    (logged,) = [e for e in fred.inbox_log() if e.get("activityId") == follow["id"]]
    assert logged["status"] == 202, logged
    # ...and only the HTTP signature can have proved it: we send no LD signature
    # or proof, so Fedify fetched alice's key from our node and verified it.
    got = fred.wait_for(type="Follow", predicate=lambda r: r["id"] == follow["id"], timeout=10)
    assert got["ldSignature"] is None
    assert got["proof"] is None
    signature = got["httpSignature"]
    assert signature["verified"] is True, signature
    assert (signature["scheme"], signature["keyId"]) == (scheme, alice.key_id)
    assert signature["owner"] == alice.ap_id
    assert got["verifiedKeyId"] == alice.key_id
    assert any(
        s["method"] == "GET" and s["url"] == alice.ap_id and s["status"] == 200 for s in fred.sent()
    )
    # Fedify auto-accepts: its queued Accept(Follow) is signed and lands in our inbox.
    accept = wait_until(
        lambda: [
            row
            for row in stored_where(node, fred.actor, "Accept")
            if id_of(row.body["object"]) == follow["id"]
        ],
        timeout=15,
    )
    assert accept[0].recipient_id == alice.row_id
    assert accept[0].key_id == rsa_key_id(fred)
