"""The Mastodon scope vocabulary and its hierarchy.

A granted scope covers a required one when it is the same scope or a parent:
``read`` covers every ``read:*``, ``write`` every ``write:*``, ``admin:read``
every ``admin:read:*`` (likewise ``admin:write``), and the deprecated
``follow`` covers the six relationship scopes Mastodon gave it
(``read:``/``write:`` ``follows``, ``blocks``, ``mutes``). ``profile`` and
``push`` stand alone: ``read`` does not cover ``profile``; an endpoint that
accepts either says so by listing both (``verify_credentials`` accepts
``profile``, ``read`` or ``read:accounts``).
"""

from __future__ import annotations

from collections.abc import Iterable

READ = (
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:communities",  # Staffroom's communities: directory, members, join requests
    "read:events",  # Staffroom's events, their participants and calendars
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:materials",  # Staffroom's teaching materials and collections
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
)
WRITE = (
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:communities",  # create and moderate communities
    "write:conversations",
    "write:events",  # organize, edit, cancel, join and leave events
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:materials",  # publish, edit and review materials; curate collections
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
)
_ADMIN_OBJECTS = (
    "accounts",
    "reports",
    "domain_allows",
    "domain_blocks",
    "ip_blocks",
    "email_domain_blocks",
    "canonical_email_blocks",
)
ADMIN_READ = tuple(f"admin:read:{name}" for name in _ADMIN_OBJECTS)
ADMIN_WRITE = tuple(f"admin:write:{name}" for name in _ADMIN_OBJECTS)
FOLLOW = (
    "read:blocks",
    "write:blocks",
    "read:follows",
    "write:follows",
    "read:mutes",
    "write:mutes",
)

CHILDREN: dict[str, frozenset[str]] = {
    "read": frozenset(READ),
    "write": frozenset(WRITE),
    "follow": frozenset(FOLLOW),
    "admin:read": frozenset(ADMIN_READ),
    "admin:write": frozenset(ADMIN_WRITE),
}
TOP_LEVEL = ("read", "write", "follow", "push", "profile", "admin:read", "admin:write")
#: Every scope we know, in the order the authorization-server metadata lists them.
ALL: tuple[str, ...] = (*TOP_LEVEL, *READ, *WRITE, *ADMIN_READ, *ADMIN_WRITE)
KNOWN = frozenset(ALL)
DEFAULT = "read"


class ScopeError(ValueError):
    pass


def parse(raw: str | None, *, default: str = DEFAULT) -> tuple[str, ...]:
    """Split a scope string (spaces, as OAuth sends it; commas and ``+`` tolerated).

    Returns the distinct scopes in order; an empty or missing value means
    ``default``. Unknown scopes raise :class:`ScopeError` naming them.
    """
    text = (raw or "").replace(",", " ").replace("+", " ")
    scopes = tuple(dict.fromkeys(text.split())) or tuple(default.split())
    unknown = [scope for scope in scopes if scope not in KNOWN]
    if unknown:
        raise ScopeError("unknown scope " + ", ".join(repr(s) for s in unknown))
    return scopes


def covers(granted: Iterable[str], required: str) -> bool:
    """Whether holding ``granted`` permits an action needing ``required``."""
    held = set(granted)
    return required in held or any(required in CHILDREN.get(scope, ()) for scope in held)


def within(requested: Iterable[str], allowed: Iterable[str]) -> bool:
    """Whether every requested scope is covered by ``allowed`` (no escalation)."""
    allowed = tuple(allowed)
    return all(covers(allowed, scope) for scope in requested)


def join(scopes: Iterable[str]) -> str:
    return " ".join(scopes)


DESCRIPTIONS = {
    "read": "read all your account's data",
    "write": "change all your account's data and post for you",
    "follow": "follow, block and mute accounts for you",
    "push": "receive your push notifications",
    "profile": "read only your profile information",
    "admin:read": "read all data on the node (moderators)",
    "admin:write": "moderate the node",
}


def describe(scope: str) -> str:
    """A short human phrase for the consent page."""
    if scope in DESCRIPTIONS:
        return DESCRIPTIONS[scope]
    verb, _, obj = scope.rpartition(":")
    what = obj.replace("_", " ")
    if verb.startswith("admin:"):
        return f"{'read' if verb.endswith('read') else 'moderate'} {what} on the node"
    return f"{'read' if verb == 'read' else 'change'} your {what}"
