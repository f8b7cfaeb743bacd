"""Copies of remote materials' files, for a node that mirrors them (a setting, off by default).

A file row waits ``pending``; :func:`mirror_due` fetches it through a
guarded client of its own (the node's SSRF guard, its timeouts, and the
file size limit as the body cap), checks it exactly as an upload is checked
(its real type, the zip checks) and against the size and digest its node
published, stores it under an unguessable name and marks it ``mirrored``.
A failure is retried with backoff until ``failed`` (the download route then
sends people to the file's origin, as without mirroring).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import col, select

from actors.context import NodeContext
from content.materials.archives import ArchiveLimits
from content.materials.detect import FileRefused, detect
from content.materials.files import FILES_DIR, digest_of, new_key, staged_files
from federation.client import SafeClient
from federation.errors import FederationError
from storage.models import MaterialFile
from storage.types import utcnow

log = logging.getLogger(__name__)

MIRRORED = "mirrored"
FAILED = "failed"
MAX_ATTEMPTS = 6
BATCH = 5


def retry_after(attempts: int) -> timedelta:
    base = min(6 * 3600.0, 60.0 * 4**attempts)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


class MirrorRefused(ValueError):
    """The fetched bytes are not what the material's node published."""


def _check(data: bytes, row: MaterialFile, node: NodeContext) -> str:
    limits = node.config.materials
    try:
        found = detect(data, ArchiveLimits(limits.max_unpacked_bytes, limits.max_zip_ratio))
    except FileRefused as exc:
        raise MirrorRefused(str(exc)) from None
    if row.size is not None and row.size != len(data):
        raise MirrorRefused(f"{len(data)} bytes, not the {row.size} its node published")
    if row.digest and row.digest != digest_of(data):
        raise MirrorRefused("the digest differs from the one its node published")
    return found.extension


async def _mirror_one(node: NodeContext, client: SafeClient, file_id: int) -> None:
    async with node.sessions() as session:
        row = await session.get(MaterialFile, file_id)
        if row is None or row.mirror_state != "pending":
            return
        url = row.url
    try:
        if (await node.gate.rules()).rejects_media(urlsplit(url).netloc):
            raise MirrorRefused("this node rejects media from its server")
        response = await client.get(url)
        if response.status_code != 200:
            raise MirrorRefused(f"its server answered {response.status_code}")
        data = response.content
        extension = await asyncio.to_thread(_check, data, row, node)
    except (FederationError, MirrorRefused) as exc:
        reason = exc.reason if isinstance(exc, FederationError) else str(exc)
        await _failed(node, file_id, reason)
        return
    async with node.sessions() as session, staged_files(node.config) as stage:
        row = await session.get(MaterialFile, file_id)
        if row is None or row.mirror_state != "pending":
            await stage.discard()
            return
        key = new_key()
        row.file_name = await stage.write(f"{FILES_DIR}/{row.material_id}-{key}.{extension}", data)
        row.access_key, row.mirror_state, row.mirror_error = key, MIRRORED, None
        session.add(row)
        await session.commit()


async def _failed(node: NodeContext, file_id: int, reason: str) -> None:
    async with node.sessions() as session:
        row = await session.get(MaterialFile, file_id)
        if row is None:
            return
        row.mirror_attempts += 1
        row.mirror_error = reason[:2000]
        if row.mirror_attempts >= MAX_ATTEMPTS:
            row.mirror_state = FAILED
        else:
            row.mirror_next_at = utcnow() + retry_after(row.mirror_attempts)
        session.add(row)
        await session.commit()
    log.info("mirror of material file %s failed: %s", file_id, reason)


async def mirror_due(node: NodeContext, now: datetime) -> int:
    """Mirror the pending files whose time has come; returns how many were tried."""
    if not node.config.materials.mirror_remote:
        return 0
    async with node.sessions() as session:
        rows = await session.exec(
            select(MaterialFile.id)
            .where(MaterialFile.mirror_state == "pending", col(MaterialFile.mirror_next_at) <= now)
            .limit(BATCH)
        )
        due = [i for i in rows.all() if i is not None]
    if not due:
        return 0
    config = replace(
        node.client.config,
        max_response_bytes=node.config.materials.max_file_bytes,
        total_timeout=300.0,
    )
    async with SafeClient(config) as client:
        for file_id in due:
            await _mirror_one(node, client, file_id)
    return len(due)
