"""Real Fedify payloads normalize to canonical AS2 (no peer needed).

``tests/fixtures/fedify/`` holds bodies captured from the Fedify peer
(``@fedify/fedify`` 2.3.6, ``build/fedify-peer``) on loopback, byte-for-byte
apart from pretty-printing:

* ``activity-follow.json``: the ``Follow`` that ``POST /_control/follow``
  delivered, with Fedify's seven-URL ``@context`` (``identity/v1`` first, for
  the LD signature), an ``RsaSignature2017`` and a FEP-8b32 ``proof``;
* ``activity-create-note.json``: the ``Create(Note)`` of a public post as
  delivered to a follower's inbox, with Fedify's inline context map;
* ``object-note.json``: the same Note as Fedify serves it on a GET of its id,
  where the addressing is the compact IRI ``"as:Public"`` (deliveries carry
  the full Public IRI).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from federation.jsonld import CANONICAL_CONTEXT, PUBLIC, normalize
from federation.vocab import as_list

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fedify"
NAMES = ["activity-follow", "activity-create-note", "object-note"]
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return doc


def walk(value: Any) -> list[dict[str, Any]]:
    """Every JSON object inside ``value`` (itself included)."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        found.append(value)
        for item in value.values():
            found.extend(walk(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(walk(item))
    return found


@pytest.mark.parametrize("name", NAMES)
def test_fedify_payload_normalizes_to_canonical_as2(name: str) -> None:
    doc = load(name)
    out = normalize(doc)
    # Fedify's context arrays are not the fast path: pyld rewrote the document.
    assert out is not doc
    assert out["@context"] == CANONICAL_CONTEXT
    assert (out["id"], out["type"]) == (doc["id"], doc["type"])
    for obj in walk({k: v for k, v in out.items() if k != "@context"}):
        for kind in as_list(obj.get("type")):
            # a plain AS2/security term, or a full IRI; never "prefix:Name"
            assert ":" not in kind or kind.startswith(("https://", "http://")), kind
        for field in ADDRESSING:
            for address in as_list(obj.get(field)):
                assert isinstance(address, str), address
                assert address.startswith(("https://", "http://")), address
    assert "as:Public" not in json.dumps(out)


def test_follow_keeps_actor_object_and_ld_signature() -> None:
    doc = load("activity-follow")
    out = normalize(doc)
    assert out["type"] == "Follow"
    assert (out["actor"], out["object"]) == (doc["actor"], doc["object"])
    # security/v1 is in our canonical context, so the LD signature keeps plain names.
    assert out["signature"]["type"] == "RsaSignature2017"
    assert out["signature"]["creator"] == doc["signature"]["creator"]


def test_create_is_public_with_plain_names() -> None:
    doc = load("activity-create-note")
    out = normalize(doc)
    assert out["type"] == "Create"
    assert PUBLIC in as_list(out["to"])
    assert as_list(out["cc"]) == [f"{doc['actor']}/followers"]
    note = out["object"]
    assert note["type"] == "Note"
    assert note["attributedTo"] == doc["actor"]
    assert PUBLIC in as_list(note["to"])
    assert note["content"] == doc["object"]["content"]


def test_dereferenced_note_as_public_becomes_the_full_iri() -> None:
    doc = load("object-note")
    assert doc["to"] == "as:Public"  # what Fedify serves on a GET
    out = normalize(doc)
    assert out["type"] == "Note"
    assert as_list(out["to"]) == [PUBLIC]
    assert out["content"] == doc["content"]
