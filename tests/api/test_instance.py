"""The Instance entities (v1, v2), their sub-resources and NodeInfo's Mastodon-API hints.

Proves: Mastodon.py's version check reads ``4.3.0`` and the API level from
``/api/v2/instance``; every documented key is there with the configured
limits; the admin is the contact account; peers, activity and rules answer;
NodeInfo tells flavour detectors (megalodon) that the Mastodon API is spoken;
the default ``missing.png`` images exist.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from mastodon import Mastodon

from tests.api.accounts_support import check_account
from tests.support.node import Node


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("instance"), module_db_kind, workers=False)
    node.migrate()
    node.create_user("principal", role="admin", display_name="Head Teacher")
    node.create_user("alice")
    node.start()
    yield node
    node.close()


def get(node: Node, path: str) -> httpx.Response:
    return httpx.get(node.base_url + path, timeout=10)


def test_mastodon_py_detects_a_4_3_server(node: Node) -> None:
    api = Mastodon(api_base_url=node.base_url, version_check_mode="created")
    assert api.retrieve_mastodon_version() == "4.3.0"
    assert api.verify_minimum_version("4.3.0")
    assert api.mastodon_api_version == 2
    info = api.instance_v2()
    assert info.domain == node.domain


def test_v2_instance_has_every_documented_key(node: Node) -> None:
    for path in ("/api/v2/instance", "/api/v2/instance/"):
        r = get(node, path)
        assert r.status_code == 200
        doc = r.json()
        assert doc["version"].startswith("4.3.0 (compatible; Staffroom ")
        for key in (
            "domain", "title", "version", "source_url", "description", "usage", "thumbnail",
            "icon", "languages", "configuration", "registrations", "api_versions", "contact",
            "rules",
        ):  # fmt: skip
            assert key in doc, key
        config = doc["configuration"]
        assert config["statuses"] == {
            "max_characters": 5000,
            "max_media_attachments": 4,
            "characters_reserved_per_url": 23,
        }
        assert config["polls"] == {
            "max_options": 4,
            "max_characters_per_option": 50,
            "min_expiration": 300,
            "max_expiration": 2629746,
        }
        media = config["media_attachments"]
        assert "image/png" in media["supported_mime_types"]
        for key in ("image_size_limit", "image_matrix_limit", "video_size_limit",
                    "video_frame_rate_limit", "video_matrix_limit"):  # fmt: skip
            assert isinstance(media[key], int)
        assert config["accounts"]["max_featured_tags"] >= 0
        assert config["accounts"]["max_pinned_statuses"] >= 0
        assert config["urls"]["streaming"] == f"ws://{node.domain}"
        assert doc["registrations"]["enabled"] is False
        contact = doc["contact"]["account"]
        check_account(contact)
        assert contact["username"] == "principal"
        assert contact["roles"][0]["name"] == "Admin"
        assert doc["rules"] and all(set(r) == {"id", "text", "hint"} for r in doc["rules"])
        assert doc["usage"]["users"]["active_month"] >= 0


def test_v1_instance(node: Node) -> None:
    doc = get(node, "/api/v1/instance").json()
    assert doc["uri"] == node.domain
    assert doc["version"].startswith("4.3.0 (compatible; Staffroom ")
    assert doc["stats"] == {"user_count": 2, "status_count": 0, "domain_count": 0}
    assert doc["urls"]["streaming_api"] == f"ws://{node.domain}"
    assert doc["configuration"]["statuses"]["max_characters"] == 5000
    assert doc["contact_account"]["acct"] == "principal"
    assert doc["registrations"] is False
    assert isinstance(doc["thumbnail"], str)
    assert get(node, "/api/v1/instance/").status_code == 200


def test_sub_resources(node: Node) -> None:
    assert get(node, "/api/v1/instance/peers").json() == []
    weeks = get(node, "/api/v1/instance/activity").json()
    assert len(weeks) == 12
    assert set(weeks[0]) == {"week", "statuses", "logins", "registrations"}
    assert all(isinstance(v, str) for v in weeks[0].values())
    assert int(weeks[0]["registrations"]) == 2
    rules = get(node, "/api/v1/instance/rules").json()
    assert rules == get(node, "/api/v2/instance").json()["rules"]
    api = Mastodon(api_base_url=node.base_url, version_check_mode="none")
    assert api.instance_peers() == []
    assert len(api.instance_rules()) == len(rules)


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo_advertises_the_mastodon_api(node: Node, version: str) -> None:
    doc = get(node, f"/nodeinfo/{version}").json()
    assert doc["software"]["name"] == "staffroom"
    # megalodon's detector: an unknown software whose upstream is Mastodon speaks its API.
    assert doc["metadata"]["upstream"]["name"] == "mastodon"
    assert "mastodon_api" in doc["metadata"]["features"]
    api = Mastodon(api_base_url=node.base_url, version_check_mode="none")
    assert api.instance_nodeinfo().metadata["upstream"]["name"] == "mastodon"


def test_default_images_exist(node: Node) -> None:
    for path in ("/avatars/original/missing.png", "/headers/original/missing.png"):
        r = get(node, path)
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG\r\n\x1a\n")
    thumbnail = get(node, "/api/v2/instance").json()["thumbnail"]["url"]
    assert httpx.get(thumbnail, timeout=10).status_code == 200
