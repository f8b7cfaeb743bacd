"""Materials from other nodes: the guard on their files, and their rows here.

A remote ``Article`` with our ``materialType`` is stored as a post by the
inbox (its ``objects`` row) and, here, as a material beside it, so it is in
the same library as ours, marked with its node (``domain``).

**The guard.** Every file and the preview must be an http(s) URL that the
SSRF guard's URL check accepts (no credentials, no forbidden literal
address, http only where the node allows it). A file on the Article's own
origin is vouched for by the server that signed the activity; a file on
*another* origin must also resolve, now, to addresses the guard allows:
people on this node will download it, and a node that mirrors will fetch
it. One file that fails refuses the whole material (the inbox rejects the
activity, nothing of it is kept): a material is never kept without one of
its files. Links are only links (shown, never fetched) and pass the URL
check alone.

**Mirroring** (``STAFFROOM_MATERIAL_MIRROR_REMOTE``): each file row starts
``pending`` and :mod:`.mirror` copies it later, within the size limit and
through the guarded client.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from content.materials import search
from content.materials.as2 import MaterialFields
from content.materials.files import remove_after_commit
from content.materials.model import FILE
from content.materials.publishing import forget
from content.sanitize import plain_text
from federation.errors import FederationError
from federation.origin import same_origin
from federation.ssrf import Resolver, check_url, resolve_checked, system_resolver
from storage.ids import new_id
from storage.models import (
    Actor,
    ContentObject,
    Material,
    MaterialFile,
    MaterialGrade,
    MaterialSubject,
)
from storage.types import utcnow

PENDING = "pending"


class RemoteMaterialRefused(ValueError):
    """A remote material we will not keep; the reason is safe to log and store."""


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


async def guard_files(
    fields: MaterialFields,
    article_id: str,
    config: NodeConfig,
    *,
    resolver: Resolver = system_resolver,
) -> None:
    """Refuse the material if a file, the preview or a link fails the guard (see above)."""
    targets = [(f.kind, f.name, f.url) for f in fields.files]
    if fields.preview_url:
        targets.append((FILE, "the preview", fields.preview_url))
    for kind, name, url in targets:
        try:
            check_url(
                url,
                allow_http=config.allow_http or kind != FILE,
                allow_private_addresses=config.allow_private_addresses,
            )
            if kind == FILE and not same_origin(url, article_id):
                await resolve_checked(
                    urlsplit(url).hostname or "",
                    _port(url),
                    allow_private_addresses=config.allow_private_addresses,
                    resolver=resolver,
                )
        except FederationError as exc:
            where = "on another origin " if not same_origin(url, article_id) else ""
            raise RemoteMaterialRefused(
                f"the file {name[:80]!r} {where}at {url[:200]} fails the guard: {exc.reason}"
            ) from None


async def _set_rows(
    session: AsyncSession, material: Material, fields: MaterialFields, config: NodeConfig
) -> list[str]:
    """Replace files and codes; a file whose URL and digest stay keeps its row (and mirror).
    Returns stored mirror files that are no longer wanted."""
    old = (
        await session.exec(
            select(MaterialFile).where(MaterialFile.material_id == material.object_id)
        )
    ).all()
    keep = {(f.url, f.digest, f.kind): f for f in old}
    dropped: list[str] = []
    wanted: list[MaterialFile] = []
    for position, item in enumerate(fields.files):
        row = keep.pop((item.url, item.digest, item.kind), None)
        if row is None:
            row = MaterialFile(
                id=new_id(),
                material_id=material.object_id,
                kind=item.kind,
                url=item.url,
                name=item.name,
                media_type=item.media_type,
                size=item.size,
                digest=item.digest,
                mirror_state=PENDING
                if config.materials.mirror_remote and item.kind == FILE
                else None,
                mirror_next_at=utcnow(),
            )
        row.position, row.name = position, item.name
        wanted.append(row)
    for gone in keep.values():
        if gone.file_name:
            dropped.append(gone.file_name)
        await session.delete(gone)
    session.add_all(wanted)
    await session.exec(
        delete(MaterialSubject).where(col(MaterialSubject.material_id) == material.object_id)
    )
    await session.exec(
        delete(MaterialGrade).where(col(MaterialGrade.material_id) == material.object_id)
    )
    session.add_all(
        MaterialSubject(material_id=material.object_id, code=c) for c in fields.subjects
    )
    session.add_all(MaterialGrade(material_id=material.object_id, code=c) for c in fields.grades)
    await session.flush()
    return dropped


def _apply(material: Material, fields: MaterialFields, obj: ContentObject) -> None:
    material.visibility = obj.visibility
    material.title = fields.title
    material.summary = fields.summary
    material.description_html = fields.description_html
    material.description_source = fields.description_source
    material.material_type = fields.material_type
    material.license = fields.license
    material.language = fields.language or obj.language
    material.tags = fields.tags
    material.preview_url = fields.preview_url
    material.rating_average = fields.rating_average
    material.rating_count = fields.rating_count
    material.updated_at = fields.updated


async def store_remote(
    session: AsyncSession,
    config: NodeConfig,
    obj: ContentObject,
    author: Actor,
    fields: MaterialFields,
) -> Material:
    """The material row (new or replaced) for a stored remote ``Article``."""
    assert obj.id is not None and author.id is not None
    material = await session.get(Material, obj.id)
    if material is None:
        material = Material(
            object_id=obj.id,
            author_id=author.id,
            local=False,
            domain=author.domain,
            visibility=obj.visibility,
            title=fields.title,
            material_type=fields.material_type,
            license=fields.license,
            published=fields.published or obj.published,
        )
    _apply(material, fields, obj)
    session.add(material)
    await session.flush()
    dropped = await _set_rows(session, material, fields, config)
    await search.index(session, material, plain_text(material.description_html) or "")
    remove_after_commit(session, config, dropped)
    return material


async def forget_remote(session: AsyncSession, config: NodeConfig, material_id: int) -> None:
    """A remote material deleted at its origin: its rows, search entry and mirrors go."""
    names = (
        await session.exec(
            select(MaterialFile.file_name).where(
                MaterialFile.material_id == material_id, col(MaterialFile.file_name).is_not(None)
            )
        )
    ).all()
    await forget(session, material_id)
    remove_after_commit(session, config, [n for n in names if n])
