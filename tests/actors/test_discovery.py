"""Discovery over real HTTP: WebFinger, host-meta, NodeInfo, actor documents."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from federation.signatures.keys import load_public_key
from tests.support.node import Node

AS = "application/activity+json"


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("discovery"), module_db_kind)
    node.migrate()
    node.create_user(
        "alice",
        display_name="Alice Moreau",
        summary="Chemistry teacher",
        fields=[
            {"name": "Subject", "value": "Chemistry"},
            {"name": "School", "value": "Lycée Jean Moulin"},
            {"name": "Qualification", "value": "Agrégée"},
        ],
    )
    node.start()
    yield node
    node.close()


def get(node: Node, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(node.base_url + path, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_webfinger_resolves_an_account_and_round_trips(node: Node) -> None:
    r = get(node, "/.well-known/webfinger", params={"resource": f"acct:alice@{node.domain}"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/jrd+json")
    assert r.headers["access-control-allow-origin"] == "*"
    jrd = r.json()
    assert jrd["subject"] == f"acct:alice@{node.domain}"
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link["type"] == AS
    actor = get(node, self_link["href"].removeprefix(node.base_url), headers={"Accept": AS}).json()
    # Mastodon's check: preferredUsername@domain must resolve back to the same id.
    back = get(
        node,
        "/.well-known/webfinger",
        params={"resource": f"acct:{actor['preferredUsername']}@{node.domain}"},
    ).json()
    assert next(link for link in back["links"] if link["rel"] == "self")["href"] == actor["id"]
    profile = next(
        link for link in jrd["links"] if link["rel"] == "http://webfinger.net/rel/profile-page"
    )
    assert profile["href"] == f"{node.base_url}/@alice"


def test_webfinger_by_actor_url_and_case_insensitive_name(node: Node) -> None:
    by_url = get(
        node, "/.well-known/webfinger", params={"resource": f"{node.base_url}/users/alice"}
    )
    assert by_url.json()["subject"] == f"acct:alice@{node.domain}"
    upper = get(node, "/.well-known/webfinger", params={"resource": f"acct:ALICE@{node.domain}"})
    assert upper.status_code == 200


@pytest.mark.parametrize(
    "resource", ["", "alice", "acct:", "acct:@", "acct:alice@", "mailto:alice@x", "x" * 3000]
)
def test_malformed_webfinger_resource_is_400_json(node: Node, resource: str) -> None:
    r = get(node, "/.well-known/webfinger", params={"resource": resource})
    assert r.status_code == 400
    assert "error" in r.json()


def test_webfinger_without_resource_is_400(node: Node) -> None:
    r = get(node, "/.well-known/webfinger")
    assert r.status_code == 400
    assert r.json()["error"]


@pytest.mark.parametrize("resource", ["acct:nobody@{domain}", "acct:alice@elsewhere.example"])
def test_unknown_account_is_404(node: Node, resource: str) -> None:
    r = get(
        node, "/.well-known/webfinger", params={"resource": resource.format(domain=node.domain)}
    )
    assert r.status_code == 404
    assert r.json()["error"]


def test_host_meta_points_at_webfinger(node: Node) -> None:
    xml = get(node, "/.well-known/host-meta")
    assert xml.headers["content-type"].startswith("application/xrd+xml")
    assert f"{node.base_url}/.well-known/webfinger?resource={{uri}}" in xml.text
    assert get(node, "/.well-known/host-meta.json").json()["links"][0]["rel"] == "lrdd"


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo(node: Node, version: str) -> None:
    links = get(node, "/.well-known/nodeinfo").json()["links"]
    href = next(link["href"] for link in links if link["rel"].endswith(f"/{version}"))
    doc = httpx.get(href, timeout=5).json()
    assert doc["version"] == version
    assert doc["software"]["name"] == "staffroom"
    assert doc["software"]["version"]
    assert doc["protocols"] == ["activitypub"]
    assert doc["usage"]["users"]["total"] == 1
    assert doc["openRegistrations"] is False
    assert doc["metadata"]["nodeName"] == "Staffroom"
    assert get(node, "/nodeinfo/9.9").status_code == 404


@pytest.mark.parametrize(
    "accept", [AS, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"']
)
def test_actor_document(node: Node, accept: str) -> None:
    r = get(node, "/users/alice", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(AS)
    actor = r.json()
    base = f"{node.base_url}/users/alice"
    assert actor["id"] == base
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "alice"
    assert actor["name"] == "Alice Moreau"
    assert actor["summary"] == "Chemistry teacher"
    assert actor["url"] == f"{node.base_url}/@alice"
    assert actor["inbox"] == f"{base}/inbox"
    assert actor["outbox"] == f"{base}/outbox"
    assert actor["followers"] == f"{base}/followers"
    assert actor["following"] == f"{base}/following"
    assert actor["featured"] == f"{base}/collections/featured"
    assert actor["endpoints"]["sharedInbox"] == f"{node.base_url}/inbox"
    assert actor["manuallyApprovesFollowers"] is False
    assert actor["discoverable"] is True
    assert actor["published"].endswith("Z")
    key = actor["publicKey"]
    assert key["id"] == f"{base}#main-key"
    assert key["owner"] == base
    assert load_public_key(key["publicKeyPem"]).key_size == 2048  # type: ignore[union-attr]
    assert {(a["type"], a["name"], a["value"]) for a in actor["attachment"]} == {
        ("PropertyValue", "Subject", "Chemistry"),
        ("PropertyValue", "School", "Lycée Jean Moulin"),
        ("PropertyValue", "Qualification", "Agrégée"),
    }


def test_actor_context_defines_every_extension_term(node: Node) -> None:
    actor = get(node, "/users/alice", headers={"Accept": AS}).json()
    context = actor["@context"]
    assert context[0] == "https://www.w3.org/ns/activitystreams"
    assert "https://w3id.org/security/v1" in context
    inline: dict[str, object] = {}
    for entry in context:
        if isinstance(entry, dict):
            inline.update(entry)
    for term in ("manuallyApprovesFollowers", "discoverable", "featured", "PropertyValue", "value"):
        assert term in inline, term


def test_browsers_get_html(node: Node) -> None:
    r = get(node, "/users/alice", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.headers["content-type"].startswith("text/html")
    assert "Alice Moreau" in r.text
    assert "@alice@" in get(node, "/@alice").text


def test_instance_actor_is_an_application_with_a_key(node: Node) -> None:
    actor = get(node, "/actor", headers={"Accept": AS}).json()
    assert actor["type"] == "Application"
    assert actor["id"] == f"{node.base_url}/actor"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["inbox"] == f"{node.base_url}/actor/inbox"
    jrd = get(
        node, "/.well-known/webfinger", params={"resource": f"acct:instance.actor@{node.domain}"}
    ).json()
    assert next(link for link in jrd["links"] if link["rel"] == "self")["href"] == actor["id"]


def test_unknown_actor_is_404(node: Node) -> None:
    assert get(node, "/users/nobody", headers={"Accept": AS}).status_code == 404
    assert get(node, "/users/instance.actor", headers={"Accept": AS}).status_code == 404
