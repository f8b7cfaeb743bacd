"""A profile edit from ``PATCH /api/v1/accounts/update_credentials``: parsed, checked, applied.

Mastodon's semantics: only the parameters sent change; ``fields_attributes``
replaces the whole list of profile fields (blank pairs dropped, at most
four); ``note`` is plain text, turned into HTML here; ``bot`` switches the
actor between ``Person`` and ``Service`` (communities stay groups). Every
applied edit ends in one ``Update`` of the actor to its followers
(:func:`actors.profile.publish_actor_update`).
"""

from __future__ import annotations

import re

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.minors import MinorProtectionError
from api.errors import ApiError
from api.params import Params
from content import limits, profile_changes
from content.profile_changes import ProfileChanges
from storage.models import Actor

_FIELD_RE = re.compile(r"^fields_attributes\[(\d+)\]\[(name|value)\]$")


def _too_long(name: str, limit: int) -> ApiError:
    return ApiError(422, f"Validation failed: {name} is too long (maximum is {limit} characters)")


def _fields(params: Params) -> list[dict[str, str]] | None:
    """``fields_attributes[N][name|value]`` (form or flattened JSON object) or a JSON list."""
    indexed: dict[int, dict[str, str]] = {}
    for key in params.names():
        match = _FIELD_RE.match(key)
        if match:
            indexed.setdefault(int(match.group(1)), {})[match.group(2)] = params.get(key) or ""
    pairs: list[dict[str, str]] = [indexed[i] for i in sorted(indexed)]
    if "fields_attributes" in params:
        pairs.extend(
            {"name": str(item.get("name", "")), "value": str(item.get("value", ""))}
            for item in params.objects("fields_attributes")
        )
    elif not indexed:
        return None
    kept = [
        {"name": p.get("name", "").strip(), "value": p.get("value", "").strip()}
        for p in pairs
        if p.get("name", "").strip() or p.get("value", "").strip()
    ]
    if len(kept) > limits.MAX_PROFILE_FIELDS:
        raise ApiError(
            422, f"Validation failed: Fields are too many (maximum is {limits.MAX_PROFILE_FIELDS})"
        )
    for pair in kept:
        if len(pair["name"]) > limits.MAX_FIELD_NAME_CHARACTERS:
            raise _too_long("Field name", limits.MAX_FIELD_NAME_CHARACTERS)
        if len(pair["value"]) > limits.MAX_FIELD_VALUE_CHARACTERS:
            raise _too_long("Field value", limits.MAX_FIELD_VALUE_CHARACTERS)
    return kept


def parse_profile_changes(params: Params) -> ProfileChanges:
    """What the request asks to change; 422 for a value Mastodon would refuse."""
    changes = ProfileChanges()
    name = params.get("display_name")
    if name is not None:
        if len(name) > limits.MAX_DISPLAY_NAME_CHARACTERS:
            raise _too_long("Display name", limits.MAX_DISPLAY_NAME_CHARACTERS)
        changes.display_name = name.strip()
    note = params.get("note")
    if note is not None:
        if len(note) > limits.MAX_NOTE_CHARACTERS:
            raise _too_long("Note", limits.MAX_NOTE_CHARACTERS)
        changes.note = note
    if "locked" in params:
        changes.locked = params.get_bool("locked")
    if "bot" in params:
        changes.bot = params.get_bool("bot")
    if "discoverable" in params:
        changes.discoverable = params.get_bool("discoverable")
    changes.fields = _fields(params)
    return changes


async def apply_profile_changes(
    session: AsyncSession, node: NodeContext, actor: Actor, changes: ProfileChanges
) -> None:
    """Apply ``changes`` (:mod:`content.profile_changes`); a student's protections: 422."""
    try:
        await profile_changes.apply_profile_changes(session, node, actor, changes)
    except MinorProtectionError as exc:
        raise ApiError(422, f"Validation failed: {exc.reason}") from None
