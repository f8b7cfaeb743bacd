"""Run-time node settings: typed names with defaults over ``storage.models.NodeSetting``.

Every setting an admin may change while the node runs is declared once here
with its default, so a reader never guesses a name or a fallback and an
unknown name is a programming error, not a silent ``None``. Domains add their
switches to ``DEFAULTS``; values are plain JSON (str, int, bool, list, dict).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import NodeSetting
from storage.types import utcnow

# name → default. Keep names dotted by area: "node.*" what the node shows of
# itself, "registrations.*", "federation.*", "accounts.*".
DEFAULTS: dict[str, Any] = {
    "node.name": "",
    "node.description": "",
    "node.default_language": "ru",
    # The web pages: the rules shown on the front page, and the time zone for
    # visitors and for people who chose none (an IANA name).
    "node.rules": "",
    "node.time_zone": "UTC",
    # Anyone may make an account at /signup (a teacher's); None: as
    # STAFFROOM_OPEN_REGISTRATIONS says. Otherwise people join by invite links.
    "registrations.open": None,
    # Federate only with the domains the admin allows (storage.repos.domain_rules).
    "federation.allowlist_mode": False,
    # Publish the domain blocks at /api/v1/instance/domain_blocks.
    "federation.publish_domain_blocks": False,
    # What of a student may leave the node: "none" (everything stays local),
    # or "followers" (followers-only posts reach approved remote followers).
    "students.federation": "none",
    # A suspended local account's Delete goes out after this many seconds.
    "moderation.suspension_grace_seconds": 30 * 86400,
    # Reports (Flags and local reports) accepted per reporting host per hour.
    "moderation.reports_per_host_per_hour": 20,
}


class UnknownSetting(KeyError):
    """A name nobody declared in ``DEFAULTS``."""


def _check(name: str) -> None:
    if name not in DEFAULTS:
        raise UnknownSetting(name)


async def read(session: AsyncSession, name: str) -> Any:
    """The stored value, or the declared default."""
    _check(name)
    row = await session.get(NodeSetting, name)
    return DEFAULTS[name] if row is None else row.value


async def read_all(session: AsyncSession) -> dict[str, Any]:
    """Every declared setting, stored values over defaults (one query, for pages)."""
    values = dict(DEFAULTS)
    rows = (await session.exec(select(NodeSetting))).all()
    values.update({row.name: row.value for row in rows if row.name in DEFAULTS})
    return values


async def write(session: AsyncSession, name: str, value: Any) -> None:
    """Stores a value in the caller's transaction; the caller commits."""
    _check(name)
    row = await session.get(NodeSetting, name)
    if row is None:
        session.add(NodeSetting(name=name, value=value, updated_at=utcnow()))
    else:
        row.value = value
        row.updated_at = utcnow()
        session.add(row)
