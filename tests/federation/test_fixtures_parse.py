"""Every shared fixture with an ``@context`` normalizes (or is a known unknown).

The shared corpus (``/work/shared/fixtures``, payloads from ~30 fediverse
servers) is optional: without it this module is skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from federation.errors import JsonLdError
from federation.jsonld import normalize

SHARED = Path("/work/shared/fixtures")

if not SHARED.is_dir():
    pytest.skip(f"{SHARED} is absent", allow_module_level=True)

# Per-host contexts we do not bundle (their terms are read by name only with
# normalize(..., allow_unknown_contexts=True)). A new URL here is a decision:
# bundle the context, or accept it as unknown and list it.
KNOWN_UNKNOWN = {
    "https://kbin.test/contexts": "mbin",  # mbin/kbin serve /contexts per host
    "https://fedia.io/contexts": "mbin",
    "https://puckipedia.com/-/context": "kroeg",
    "https://funkwhale.audio/ns": "funkwhale",
    "https://hubzilla.example.org/apschema/v1.2": "hubzilla",
    "https://apfed.club/apschema/v1.4": "hubzilla (apfed)",
}


def _documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(SHARED.glob("*/*.json")):
        try:
            data = json.loads(path.read_text("utf-8"))
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("body"), str):
            try:  # WordPress-ActivityPub HTTP captures wrap the payload
                data = json.loads(data["body"])
            except ValueError:
                continue
        if isinstance(data, dict) and "@context" in data:
            found.append((str(path.relative_to(SHARED)), data))
    return found


DOCUMENTS = _documents()


def _outcome(doc: dict[str, Any]) -> str:
    """ "fast", "slow", or the unknown context URL that stopped it."""
    try:
        out = normalize(doc)
    except JsonLdError as exc:
        prefix = "unknown remote context: "
        if not exc.reason.startswith(prefix):
            raise
        return exc.reason[len(prefix) :]
    assert isinstance(out, dict)
    if out is doc:
        return "fast"
    assert out.get("type") or out.get("id"), "normalization lost the document"
    return "slow"


@pytest.mark.parametrize(("name", "doc"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_fixture_normalizes(name: str, doc: dict[str, Any]) -> None:
    outcome = _outcome(doc)
    if outcome not in ("fast", "slow"):
        assert outcome in KNOWN_UNKNOWN, f"{name}: new unknown remote context {outcome}"
        lenient = normalize(doc, allow_unknown_contexts=True)
        assert lenient.get("type") == doc.get("type")


def test_unknown_contexts_are_few_and_listed() -> None:
    outcomes = Counter(_outcome(doc) for _, doc in DOCUMENTS)
    unknown = {url: n for url, n in outcomes.items() if url not in ("fast", "slow")}
    total = sum(outcomes.values())
    # Report for whoever reads the test output (pytest -rA / -s).
    print(f"\n{total} documents: {outcomes['fast']} fast path, {outcomes['slow']} through pyld")
    for url, n in sorted(unknown.items(), key=lambda kv: -kv[1]):
        print(f"  {n:3} unknown context {url} ({KNOWN_UNKNOWN.get(url, 'NEW')})")
    assert set(unknown) <= set(KNOWN_UNKNOWN)
    assert sum(unknown.values()) <= total // 5
    # Most real-world documents must not need pyld at all.
    assert outcomes["fast"] >= total * 2 // 3
