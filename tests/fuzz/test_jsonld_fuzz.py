"""JSON-LD under fuzz: any ``@context`` is read or refused with a JsonLdError, quickly."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from federation.errors import JsonLdError
from federation.jsonld import normalize
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import contexts, json_values


@settings(max_examples=examples(5))
@given(contexts(), json_values())
def test_any_context_is_read_or_refused(context: Any, extra: Any) -> None:
    doc = {
        "@context": context,
        "id": "https://remote.example/users/eve/activities/1",
        "type": "Create",
        "actor": "https://remote.example/users/eve",
        "object": {"id": "https://remote.example/n/1", "type": "Note", "x": extra},
    }
    refusal: JsonLdError | None = None
    try:
        result = normalize(doc)
    except JsonLdError as exc:
        refusal = exc
    if refusal is not None:
        assert refusal.status == 400 and refusal.reason
    else:
        assert isinstance(result, dict)
