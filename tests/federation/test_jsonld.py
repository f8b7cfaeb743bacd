"""Bundled contexts, the offline loader, the fast path and pyld normalization."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld as pyld_jsonld

from federation import jsonld
from federation.errors import JsonLdError
from federation.jsonld import (
    AS2_URL,
    CANONICAL_CONTEXT,
    CONTEXT_URLS,
    PUBLIC,
    SECURITY_V1_URL,
    STAFFROOM_URL,
    bundled_context,
    canonical_context,
    context_file_for,
    document_loader,
    is_fast_path,
    normalize,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CONTEXTS_DIR = Path(jsonld.__file__).parent / "contexts"


def fixture(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / relative).read_text("utf-8"))
    if isinstance(data.get("body"), str):  # WordPress-ActivityPub HTTP captures
        body: dict[str, Any] = json.loads(data["body"])
        return body
    return data


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every way out of the process fail loudly, and record attempts."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args))
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


# --------------------------------------------------------------------------
# bundled contexts and the loader


def test_every_context_file_is_mapped_and_every_mapping_has_a_file() -> None:
    files = {p.name for p in CONTEXTS_DIR.glob("*.jsonld")}
    assert set(CONTEXT_URLS.values()) == files


@pytest.mark.parametrize("url", sorted(CONTEXT_URLS))
def test_every_bundled_context_loads_and_processes(url: str, no_network: list[str]) -> None:
    remote = document_loader(url)
    assert remote["documentUrl"] == url
    assert "@context" in remote["document"]
    # pyld can actually process it (nested bundled URLs resolve offline too).
    doc = {"@context": url, "@id": "https://example.com/x"}
    expanded = pyld_jsonld.expand(doc, {"documentLoader": document_loader, "base": None})
    assert expanded == [{"@id": "https://example.com/x"}] or expanded == []
    assert no_network == []


def test_loader_returns_copies() -> None:
    first = bundled_context(AS2_URL)
    first["@context"]["id"] = "tampered"
    assert bundled_context(AS2_URL)["@context"]["id"] == "@id"


@pytest.mark.parametrize(
    "url",
    [
        "https://pleroma.example/schemas/litepub-0.1.jsonld",
        "http://localhost:4001/schemas/litepub-0.1.jsonld",
        "https://litepub.social/litepub/context.jsonld",
    ],
)
def test_litepub_context_served_for_any_pleroma_host(url: str) -> None:
    assert context_file_for(url) == "litepub-0.1.jsonld"


def test_unknown_remote_context_raises_without_network(no_network: list[str]) -> None:
    doc = {
        "@context": [AS2_URL, "https://unknown.example/context.jsonld"],
        "type": "Note",
        "content": "hi",
    }
    with pytest.raises(
        JsonLdError,
        match=re.escape("unknown remote context: https://unknown.example/context.jsonld"),
    ):
        normalize(doc)
    with pytest.raises(JsonLdError, match="unknown remote context"):
        document_loader("https://www.w3.org/ns/activitystreams-but-not-quite")
    assert no_network == []


def test_plain_pyld_calls_are_offline_too(no_network: list[str]) -> None:
    """Importing federation.jsonld makes our loader pyld's default."""
    with pytest.raises(pyld_jsonld.JsonLdError):
        pyld_jsonld.expand({"@context": "https://unknown.example/ctx", "name": "x"})
    assert no_network == []


def test_lenient_mode_reads_unknown_context_as_empty_and_does_not_leak() -> None:
    doc = fixture("mbin/activity-create-note-microblog-post.json")
    with pytest.raises(JsonLdError, match=re.escape("https://kbin.test/contexts")):
        normalize(doc)
    out = normalize(doc, allow_unknown_contexts=True)
    assert out["type"] == "Create"
    assert out["object"]["type"] == "Note"
    assert out["object"]["sensitive"] is False  # undefined term kept its name
    assert out["object"]["content"] == doc["object"]["content"]
    # The lenient answer was not cached for strict callers.
    with pytest.raises(JsonLdError, match=re.escape("https://kbin.test/contexts")):
        normalize(doc)


def test_resolved_context_cache_is_bounded() -> None:
    cache = jsonld._LRU(2)
    cache["a"], cache["b"] = 1, 2
    assert cache.get("a") == 1
    cache["c"] = 3  # evicts "b", the least recently used
    assert cache.get("b") is None
    assert cache.get("a") == 1
    assert len(cache) == 2


# --------------------------------------------------------------------------
# the canonical context


def test_canonical_context_shape() -> None:
    assert CANONICAL_CONTEXT[:2] == [AS2_URL, SECURITY_V1_URL]
    terms = CANONICAL_CONTEXT[2]
    assert isinstance(terms, dict)
    assert terms == bundled_context(STAFFROOM_URL)["@context"]
    assert terms["staffroom"] == "https://staffroom.social/ns#"
    for name in ("PropertyValue", "value", "discoverable", "manuallyApprovesFollowers", "featured"):
        assert name in terms
    for name in ("schoolSubject", "grade", "materialType", "license"):
        assert terms[name].startswith("staffroom:")
    assert "subject" not in terms  # AS2 already has "subject" (Relationship)
    assert is_fast_path(CANONICAL_CONTEXT)


def test_canonical_context_copies_are_independent() -> None:
    copy = canonical_context()
    copy[2]["grade"] = "tampered"  # type: ignore[index]
    assert canonical_context()[2]["grade"] == "staffroom:grade"  # type: ignore[index]


# --------------------------------------------------------------------------
# the fast path


@pytest.mark.parametrize(
    "relative",
    [
        "mastodon/actor-person-activitypub-academy.json",
        "mastodon/activity-create-note-hashtag.json",
        "mastodon/activity-create-question.json",
        "mastodon/object-note-1.json",
        "gotosocial/activity-create-note-reply-interactionpolicy.json",
        "pleroma/object-note.json",
        "pleroma/actor-person-karen.json",
        "misskey/actor-person-2.json",
    ],
)
def test_common_documents_take_the_fast_path(relative: str) -> None:
    doc = fixture(relative)
    snapshot = json.dumps(doc, sort_keys=True)
    assert is_fast_path(doc["@context"])
    assert normalize(doc) is doc
    assert json.dumps(doc, sort_keys=True) == snapshot


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (AS2_URL, True),
        ([AS2_URL, SECURITY_V1_URL], True),
        (["http://www.w3.org/ns/activitystreams", "http://w3id.org/security/v1"], True),
        ([AS2_URL, {"toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji"}], True),
        (
            [AS2_URL, {"schema": "http://schema.org/", "PropertyValue": "schema:PropertyValue"}],
            True,
        ),
        # Mastodon's legacy E2EE terms override security/v1 names nobody reads.
        (
            [
                AS2_URL,
                SECURITY_V1_URL,
                {
                    "toot": "http://joinmastodon.org/ns#",
                    "EncryptedMessage": "toot:EncryptedMessage",
                },
            ],
            True,
        ),
        ([AS2_URL, {"isCat": "https://misskey-hub.net/ns#isCat", "@language": "und"}], True),
        (["https://gotosocial.org/ns", AS2_URL, {"sensitive": "as:sensitive"}], True),
        (["https://pleroma.example/schemas/litepub-0.1.jsonld", AS2_URL], True),
        ([AS2_URL, STAFFROOM_URL], True),
        (None, False),
        ({"toot": "http://joinmastodon.org/ns#"}, False),  # no AS2
        ([AS2_URL, "https://unknown.example/ns"], False),
        ([AS2_URL, "https://join-lemmy.org/context.json"], False),  # "expires" = endTime
        ([AS2_URL, "https://w3id.org/security/data-integrity/v1"], False),  # scoped contexts
        ([AS2_URL, {"@vocab": "https://www.w3.org/ns/activitystreams#"}], False),
        ([AS2_URL, {"msg": "as:content"}], False),  # alias of a term we read
        ([AS2_URL, {"content": "http://schema.org/text"}], False),  # redefines one
        ([AS2_URL, {"orderedItems": "as:items"}], False),  # drops the @list container
        ([AS2_URL, {"sensitive": None}], False),
        ([AS2_URL, {"x": {"@reverse": "as:actor"}}], False),
        ([AS2_URL, 42], False),
    ],
)
def test_is_fast_path(context: Any, expected: bool) -> None:
    assert is_fast_path(context) is expected


def test_body_spelling_a_term_as_iri_leaves_the_fast_path() -> None:
    doc = {"@context": AS2_URL, "type": "as:Note", "as:content": "hi"}
    out = normalize(doc)
    assert out is not doc
    assert out["type"] == "Note"
    assert out["content"] == "hi"


def test_nested_context_that_renames_leaves_the_fast_path() -> None:
    doc = {
        "@context": AS2_URL,
        "type": "Create",
        "object": {"@context": {"msg": "as:content"}, "type": "Note", "msg": "hello"},
    }
    out = normalize(doc)
    assert out["object"] == {"type": "Note", "content": "hello"}


def test_document_without_context_is_read_as_as2() -> None:
    doc = {"type": "Note", "content": "hi"}
    assert normalize(doc) is doc
    odd = {"type": "Note", "as:content": "hi"}
    assert normalize(odd)["content"] == "hi"


# --------------------------------------------------------------------------
# the slow path: pyld against the canonical context

FEDIFY_SHAPED = {
    "@context": [
        AS2_URL,
        "https://w3id.org/security/v1",
        "https://w3id.org/security/data-integrity/v1",
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
        "https://w3id.org/identity/v1",
        "https://gotosocial.org/ns",
        {
            "toot": "http://joinmastodon.org/ns#",
            "Emoji": "toot:Emoji",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
        },
    ],
    "id": "https://fedify.example/users/alice/posts/1#activity",
    "type": "Create",
    "actor": "https://fedify.example/users/alice",
    "to": "as:Public",
    "cc": ["https://fedify.example/users/alice/followers"],
    "published": "2025-01-10T09:00:00Z",
    "object": {
        "id": "https://fedify.example/users/alice/posts/1",
        "type": "Note",
        "attributedTo": "https://fedify.example/users/alice",
        "to": ["as:Public"],
        "cc": ["https://fedify.example/users/alice/followers", "https://school.example/users/bob"],
        "inReplyTo": "https://school.example/users/bob/statuses/9",
        "content": "<p>Fractions worksheet, year 5</p>",
        "contentMap": {"en": "<p>Fractions worksheet, year 5</p>"},
        "sensitive": False,
        "published": "2025-01-10T09:00:00Z",
        "tag": [
            {"type": "Hashtag", "href": "https://fedify.example/tags/maths", "name": "#maths"},
            {
                "type": "Mention",
                "href": "https://school.example/users/bob",
                "name": "@bob@school.example",
            },
        ],
    },
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": "https://fedify.example/users/alice#ed25519-key",
        "proofPurpose": "assertionMethod",
        "proofValue": "z3sXaxjKs4M3BRicwWA9peyNPJvJqxtGsDmpt1jjoHCjgeUf71TRFz56osPSfDErszyLp5K",
        "created": "2025-01-10T09:00:01Z",
    },
}


def test_fedify_shaped_document_normalizes_to_canonical_as2(no_network: list[str]) -> None:
    out = normalize(FEDIFY_SHAPED)
    assert out is not FEDIFY_SHAPED
    assert out["@context"] == CANONICAL_CONTEXT
    assert out["type"] == "Create"
    assert out["id"] == FEDIFY_SHAPED["id"]
    assert out["actor"] == "https://fedify.example/users/alice"
    assert out["to"] == PUBLIC  # "as:Public" expanded
    assert out["cc"] == "https://fedify.example/users/alice/followers"  # 1-element array compacted
    note = out["object"]
    assert note["type"] == "Note"
    assert note["to"] == PUBLIC
    assert note["cc"] == [
        "https://fedify.example/users/alice/followers",
        "https://school.example/users/bob",
    ]
    assert note["content"] == "<p>Fractions worksheet, year 5</p>"
    assert note["contentMap"] == {"en": "<p>Fractions worksheet, year 5</p>"}
    assert note["sensitive"] is False
    assert note["published"] == "2025-01-10T09:00:00Z"
    assert note["inReplyTo"] == "https://school.example/users/bob/statuses/9"
    assert {t["type"] for t in note["tag"]} == {"Hashtag", "Mention"}
    # The proof is not ours to read, but its values survive.
    assert FEDIFY_SHAPED["proof"]["proofValue"] in json.dumps(out)  # type: ignore[index]
    assert no_network == []


def test_identity_v1_takes_over_name_and_url() -> None:
    """identity/v1 after AS2 redefines name/url as schema.org terms; we keep
    the JSON-LD meaning (and thus a ``schema:`` key) rather than guess."""
    doc = {
        "@context": [AS2_URL, "https://w3id.org/identity/v1"],
        "type": "Note",
        "name": "Title",
        "content": "Body",
    }
    out = normalize(doc)
    assert out["content"] == "Body"
    assert out["schema:name"] == "Title"
    assert "name" not in out


def test_real_mitra_actor_with_data_integrity_contexts() -> None:
    doc = fixture("mitra/actor-person-multikey.json")
    out = normalize(doc)
    assert out["type"] == "Person"
    assert out["id"] == doc["id"]
    assert out["inbox"] == doc["inbox"]
    assert out["publicKey"]["publicKeyPem"] == doc["publicKey"]["publicKeyPem"]
    assert out["publicKey"]["owner"] == doc["id"]
    assert out["featured"] == doc["featured"]  # toot:featured, untyped there
    assert out["manuallyApprovesFollowers"] is doc["manuallyApprovesFollowers"]
    assert out["name"] == doc["name"]
    assert out["preferredUsername"] == doc["preferredUsername"]


def test_schema_org_namespace_variants_are_one() -> None:
    """Mastodon says http://schema.org#, others http://schema.org/."""
    doc = {
        "@context": [
            AS2_URL,
            "https://w3id.org/security/data-integrity/v1",  # forces the slow path
            {"sc": "http://schema.org/", "PropertyValue": "sc:PropertyValue", "value": "sc:value"},
        ],
        "type": "Person",
        "attachment": [{"type": "PropertyValue", "name": "Subject", "value": "Chemistry"}],
    }
    out = normalize(doc)
    assert out["attachment"] == {"type": "PropertyValue", "name": "Subject", "value": "Chemistry"}


def test_lemmy_actor_normalizes() -> None:
    doc = fixture("lemmy/http-capture-actor-person-lemmy-ml.json")
    assert not is_fast_path(doc["@context"])
    out = normalize(doc)
    assert out["type"] == "Person"
    assert out["preferredUsername"] == "pfefferle"
    assert out["inbox"] == "https://lemmy.ml/u/pfefferle/inbox"
    assert out["endpoints"] == {"sharedInbox": "https://lemmy.ml/inbox"}
    assert out["publicKey"]["publicKeyPem"] == doc["publicKey"]["publicKeyPem"]
    assert out["published"] == doc["published"]


def test_lemmy_announce_and_expires_alias() -> None:
    doc = fixture("lemmy/activity-announce-create-note-lemmy-ml.json")
    out = normalize(doc)
    assert out["type"] == "Announce"
    assert out["to"] == PUBLIC
    create = out["object"]
    assert create["type"] == "Create"
    assert create["object"]["type"] == "Note"
    assert create["object"]["content"] == doc["object"]["object"]["content"]
    assert create["audience"] == "https://lemmy.ml/c/asklemmy"

    question = {
        "@context": ["https://join-lemmy.org/context.json", AS2_URL],
        "type": "Question",
        "expires": "2024-01-01T00:00:00Z",
        "oneOf": [{"type": "Note", "name": "yes"}],
    }
    assert normalize(question)["endTime"] == "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "context",
    [
        {"@vocab": "https://www.w3.org/ns/activitystreams#"},
        [AS2_URL, {"msg": "as:content", "who": {"@id": "as:to", "@type": "@id"}}],
        [AS2_URL, {"a": "https://www.w3.org/ns/activitystreams#"}],
    ],
)
def test_renamed_terms_come_out_canonical(context: Any) -> None:
    doc = {
        "@context": context,
        "id": "https://odd.example/notes/1",
        "type": "a:Note" if isinstance(context, list) and "a" in context[1] else "Note",
    }
    if isinstance(context, dict):
        doc |= {"content": "hello", "to": "https://www.w3.org/ns/activitystreams#Public"}
    elif "msg" in context[1]:
        doc |= {"msg": "hello", "who": "as:Public"}
    else:
        doc |= {"a:content": "hello", "a:to": {"id": "a:Public"}}
    out = normalize(doc)
    assert out["type"] == "Note"
    assert out["content"] == "hello"
    assert out["to"] == PUBLIC
    assert out["@context"] == CANONICAL_CONTEXT


def test_slow_path_details() -> None:
    doc = {
        "@context": [
            AS2_URL,
            {"msg": "as:content", "@language": "und", "ostatus": "http://ostatus.org#"},
        ],
        "type": "Note",
        "msg": "stays a string despite @language",
        "cc": ["Public"],
        "sensitive": True,  # never defined by this sender: keeps its name
        "unknownThing": {"a": 1},
        "atomUri": "tag:x",
    }
    out = normalize(doc)
    assert out["content"] == "stays a string despite @language"
    assert "contentMap" not in out
    assert out["cc"] == PUBLIC
    assert out["sensitive"] is True
    assert out["unknownThing"] == {"a": 1}
    assert out["atomUri"] == "tag:x"


def test_undefined_prefix_read_as_well_known_namespace() -> None:
    doc = {
        "@context": [AS2_URL, {"msg": "as:content"}],
        "type": "Note",
        "ostatus:atomUri": "tag:y",
        "msg": "x",
    }
    out = normalize(doc)
    assert out["atomUri"] == "tag:y"


def test_invalid_documents() -> None:
    with pytest.raises(JsonLdError):
        normalize([])  # type: ignore[arg-type]
    with pytest.raises(JsonLdError, match="invalid JSON-LD"):
        normalize({"@context": [AS2_URL, {"x": {"@id": 5}}], "x": 1})
    deep: dict[str, Any] = {"@context": AS2_URL, "type": "Note"}
    node = deep
    for _ in range(5000):
        node["object"] = {"type": "Note"}
        node = node["object"]
    with pytest.raises(JsonLdError, match="nested too deeply"):
        normalize(deep)
