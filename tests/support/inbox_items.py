"""A stored inbox item's values, as the inbox writer and ``insert_once`` take them."""

from __future__ import annotations

from typing import Any


def item_values(n: int) -> dict[str, Any]:
    """Activity ``n`` of one remote actor: a distinct id per ``n``, the same sender."""
    return {
        "activity_id": f"https://remote.example/a/{n}",
        "activity_type": "Create",
        "actor_ap_id": "https://remote.example/u/x",
        "key_id": "https://remote.example/u/x#main-key",
        "body": {"id": f"https://remote.example/a/{n}", "n": n},
    }
