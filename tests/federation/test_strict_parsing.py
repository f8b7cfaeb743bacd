"""Strict parsing at the wire: JSON as RFC 8259 says, the media types an AP POST may carry,
JSON-LD context budgets, the Host a signature is for, plain text made inert."""

from __future__ import annotations

import json
import time

import pytest

from federation.errors import JsonLdError, SignatureError
from federation.inert_text import inert_text
from federation.jsonld import normalize
from federation.limits import (
    MAX_CONTEXT_URLS,
    MAX_JSON_DEPTH,
    UnsupportedMediaTypeError,
    require_activity_media_type,
)
from federation.signatures.verify import check_authority
from federation.strict_json import JsonError, loads, loads_object


@pytest.mark.parametrize(
    "text",
    [
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": 1e999}',
        '{"a": -1e400}',
        '{"a": ' + "9" * 5000 + "}",
        '{"a": "\\u0000"}',
        '{"a\\u0000": 1}',
        '{"a": "\\ud800"}',
        '{"a": ["\\udfff"]}',
        '{"a": 1,}',
        "{'a': 1}",
        "[" * 10_000 + "]" * 10_000,
        "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
        '{"a": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1),
        "",
    ],
)
def test_what_is_not_json_or_too_deep_is_a_json_error(text: str) -> None:
    with pytest.raises(JsonError) as refused:
        loads(text)
    assert refused.value.status == 400
    with pytest.raises(JsonError):
        loads(text.encode("utf-8", "surrogatepass"))


def test_ordinary_json_passes_unchanged() -> None:
    doc = {"a": [1, 2.5, -3e10, True, None, "é 😀 \\u0000 as text"], "b": {"c": "x"}}
    for text in (json.dumps(doc), json.dumps(doc, ensure_ascii=False)):
        assert loads(text) == doc
        assert loads(text.encode()) == doc
    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert loads(deepest) is not None
    assert loads('"\\ud83d\\ude00"') == "😀"  # a surrogate pair is one character
    with pytest.raises(JsonError, match="not a JSON object"):
        loads_object("[1]")
    with pytest.raises(JsonError):
        loads(b"\xff\xfe{}")  # not UTF-8


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/ld+json",
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/ACTIVITY+JSON",
    ],
)
def test_activity_media_types_are_accepted(content_type: str) -> None:
    require_activity_media_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        " ",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/html",
        "application/activity+jsonx",
        "application/xml",
        "json",
    ],
)
def test_other_media_types_are_415(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as refused:
        require_activity_media_type(content_type)
    assert refused.value.status == 415
    assert "Content-Type" in refused.value.reason


def scoped(depth: int) -> dict[str, object]:
    root: dict[str, object] = {}
    current = root
    for level in range(depth):
        inner: dict[str, object] = {}
        current[f"t{level}"] = {"@id": f"https://e.example/{level}", "@context": inner}
        current = inner
    return root


def doc(context: object, **extra: object) -> dict[str, object]:
    return {"@context": context, "id": "https://r.example/1", "type": "Note", **extra}


def used(depth: int) -> dict[str, object]:
    body: dict[str, object] = {"v": 1}
    for level in reversed(range(depth)):
        body = {f"t{level}": body}
    return body


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("nested scoped", doc(["https://www.w3.org/ns/activitystreams", scoped(12)], **used(12))),
        ("4 deep", doc(["https://www.w3.org/ns/activitystreams", scoped(4)])),
        (
            "many scoped",
            doc([{f"s{i}": {"@id": f"https://e.example/{i}", "@context": {}} for i in range(9)}]),
        ),
        ("many URLs", doc(["https://www.w3.org/ns/activitystreams"] * (MAX_CONTEXT_URLS + 1))),
        ("many terms", doc([{f"t{i}": f"https://e.example/{i}" for i in range(600)}])),
        ("many inline", doc([{"x": "https://e.example/x"}] * 20)),
        ("@import", doc([{"@import": "https://e.example/c"}] * 17)),
        (
            "embedded",
            doc(
                "https://www.w3.org/ns/activitystreams",
                tag=[{"@context": {"y": "https://e.example/y"}}] * 17,
            ),
        ),
        (
            "large slow path",
            doc(
                ["https://www.w3.org/ns/activitystreams", {"msg": "as:content"}],
                tag=[{"msg": str(i)} for i in range(1100)],
            ),
        ),
    ],
)
def test_costly_contexts_are_refused_before_pyld(name: str, document: dict[str, object]) -> None:
    started = time.monotonic()
    with pytest.raises(JsonLdError):
        normalize(document)
    assert time.monotonic() - started < 5, name  # before: 200 nested scoped contexts took 2 min


def test_contexts_within_the_limits_still_read() -> None:
    result = normalize(doc(["https://www.w3.org/ns/activitystreams", scoped(3)], **used(3)))
    assert result["id"] == "https://r.example/1"
    malformed = doc(["https://www.w3.org/ns/activitystreams", {"@import": "@id"}])
    with pytest.raises(JsonLdError):  # pyld's own ValueError, as a 400
        normalize(malformed)


@pytest.mark.parametrize(
    ("host", "ours", "scheme"),
    [
        ("school.example", "school.example", "https"),
        ("School.Example", "school.example", "https"),
        ("school.example:443", "school.example", "https"),
        ("127.0.0.1:8001", "127.0.0.1:8001", "http"),
        ("127.0.0.1:80", "127.0.0.1", "http"),
        ("[::1]:8001", "[::1]:8001", "http"),
    ],
)
def test_our_own_host_passes(host: str, ours: str, scheme: str) -> None:
    check_authority(host, ours, scheme)


@pytest.mark.parametrize(
    ("host", "ours", "scheme"),
    [
        ("other.example", "school.example", "https"),
        ("school.example:8443", "school.example", "https"),
        ("school.example:80", "school.example", "https"),
        ("127.0.0.1:8002", "127.0.0.1:8001", "http"),
        ("127.0.0.1", "127.0.0.1:8001", "http"),
        ("localhost:8001", "127.0.0.1:8001", "http"),
        ("school.example.evil.example", "school.example", "https"),
        ("", "school.example", "https"),
        (None, "school.example", "https"),
    ],
)
def test_another_host_is_refused(host: str | None, ours: str, scheme: str) -> None:
    with pytest.raises(SignatureError) as refused:
        check_authority(host, ours, scheme)
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("x < y", "x < y"),
        ("<3", "<3"),
        ("AT&T", "AT&T"),
        ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
        ("a<b", "a&lt;b"),
        ("<!-- x -->", "&lt;!-- x -->"),
        ("&lt;b&gt;", "&amp;lt;b&amp;gt;"),
        ("", ""),
    ],
)
def test_inert_text_escapes_only_what_would_be_markup(text: str, sent: str) -> None:
    assert inert_text(text) == sent
