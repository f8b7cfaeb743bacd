"""The node's federation policy as one snapshot: domain blocks and the allowlist.

Every place content crosses the node's edge asks the same question (may this
host reach us, may we reach it?): the inbox before a signature is checked,
every fetch and every delivery (``federation.client.SafeClient``'s host
gate), ``outbox.publish`` when it queues deliveries. They all read this
snapshot, so a block means the same thing everywhere. A block covers the
domain and its subdomains, as Mastodon's do.

The allowlist switch is a run-time node setting; its name is declared here
(storage knows no ``actors``) and listed with its default in
``actors.node_settings.DEFAULTS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DomainPolicy, DomainSeverity, NodeSetting

ALLOWLIST_MODE = "federation.allowlist_mode"


def normalize_domain(value: str) -> str:
    """``Example.ORG.`` → ``example.org``; a port (loopback nodes) is kept."""
    return value.strip().lower().rstrip(".")


def _covers(domains: frozenset[str], host: str) -> bool:
    if not domains:
        return False  # most nodes list no domain at all; every delivery and inbox POST asks
    host = normalize_domain(host)
    if host in domains:
        return True
    name, _, port = host.partition(":")
    parts = name.split(".")
    for i in range(1, len(parts)):
        parent = ".".join(parts[i:])
        if parent in domains or (port and f"{parent}:{port}" in domains):
            return True
    return False


@dataclass(frozen=True)
class DomainRules:
    suspended: frozenset[str] = field(default_factory=frozenset)
    silenced: frozenset[str] = field(default_factory=frozenset)
    media_rejected: frozenset[str] = field(default_factory=frozenset)
    reports_rejected: frozenset[str] = field(default_factory=frozenset)
    allowed: frozenset[str] = field(default_factory=frozenset)
    allowlist_mode: bool = False

    def refusal(self, host: str) -> str | None:
        """Why the node does not federate with ``host``, or None when it does."""
        if not host:
            return None
        if _covers(self.suspended, host):
            return f"this node has suspended {normalize_domain(host)}"
        if self.allowlist_mode and not _covers(self.allowed, host):
            return (
                f"this node federates only with the nodes its admin lists; "
                f"{normalize_domain(host)} is not one of them"
            )
        return None

    def silences(self, host: str) -> bool:
        return _covers(self.silenced, host)

    def rejects_media(self, host: str) -> bool:
        return _covers(self.media_rejected, host)

    def rejects_reports(self, host: str) -> bool:
        return _covers(self.reports_rejected, host)


async def load_rules(session: AsyncSession) -> DomainRules:
    """The current snapshot (two small queries)."""
    rows = (await session.exec(select(DomainPolicy))).all()
    mode = await session.get(NodeSetting, ALLOWLIST_MODE)
    return DomainRules(
        suspended=frozenset(r.domain for r in rows if r.severity == DomainSeverity.SUSPEND),
        silenced=frozenset(r.domain for r in rows if r.severity == DomainSeverity.SILENCE),
        media_rejected=frozenset(r.domain for r in rows if r.reject_media),
        reports_rejected=frozenset(r.domain for r in rows if r.reject_reports),
        allowed=frozenset(r.domain for r in rows if r.allowed),
        allowlist_mode=bool(mode.value) if mode is not None else False,
    )
