"""The Mastodon ``Poll`` entity from a Question object.

A poll is not a row of its own: its options, counts and end live in the
Question's ``extra`` under their AS2 names (``oneOf`` or ``anyOf``, ``endTime``,
``closed``, ``votersCount``; see :mod:`content.as2`), the same for a poll
posted here and one received from another server. The poll's id is the
Question's id, so ``GET /api/v1/polls/:id`` finds it without a lookup table.

``hideTotals`` (kept only in our own polls' ``extra``, never federated) hides
the per-option counts from everyone but the author until the poll ends or
the viewer has voted, as Mastodon's ``hide_totals`` does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.entities.time import iso_ms
from content.as2 import parse_time
from content.polls import is_closed, options_of
from storage.models import ContentObject


def is_poll(obj: ContentObject) -> bool:
    return obj.type == "Question" and bool(options_of(obj)[0])


def poll_entity(
    obj: ContentObject,
    *,
    own_votes: list[int] | None = None,
    viewer_is_author: bool = False,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The poll of ``obj`` (None when it is not a poll). ``own_votes``: the
    viewer's chosen option indexes (None: an anonymous viewer)."""
    if not is_poll(obj):
        return None
    options, multiple = options_of(obj)
    expired = is_closed(obj, now)
    end = parse_time(obj.extra.get("endTime"))
    voted = viewer_is_author or bool(own_votes)
    hidden = bool(obj.extra.get("hideTotals")) and not (expired or voted)
    total = sum(int(o.get("votes") or 0) for o in options)
    voters = obj.extra.get("votersCount")
    if not isinstance(voters, int):
        voters = None if multiple else total
    return {
        "id": str(obj.id),
        "expires_at": iso_ms(end) if end is not None else None,
        "expired": expired,
        "multiple": multiple,
        "votes_count": total,
        "voters_count": voters,
        "options": [
            {
                "title": str(o.get("name", "")),
                "votes_count": None if hidden else int(o.get("votes") or 0),
            }
            for o in options
        ],
        "emojis": [],
        "voted": voted,
        "own_votes": sorted(own_votes or []),
    }
