"""Every file the node stores for one account, by its name under the media directory.

The archive copies them and the erasure removes them, so both read this one
list: uploads (with their previews), the files and previews of the
account's teaching materials (mirrored copies too, for another node's
account), and its avatar and header (``accounts/<kind>/<actor id>-<random>``,
the names :mod:`api.profile_images` gives them).
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Actor, Material, MaterialFile, MediaAttachment

PROFILE_KINDS = ("avatars", "headers")


async def stored_files(session: AsyncSession, media_dir: Path, actor: Actor) -> list[str]:
    """Names (relative to ``media_dir``) of the account's files, whether or not still on disk."""
    names: list[str] = []
    uploads = await session.exec(
        select(MediaAttachment.file_name, MediaAttachment.preview_name).where(
            MediaAttachment.actor_id == actor.id
        )
    )
    for file_name, preview in uploads.all():
        names += [n for n in (file_name, preview) if n]
    materials = await session.exec(
        select(Material.object_id, Material.preview_name).where(Material.author_id == actor.id)
    )
    ids = []
    for object_id, preview in materials.all():
        ids.append(object_id)
        if preview:
            names.append(preview)
    if ids:
        files = await session.exec(
            select(MaterialFile.file_name).where(col(MaterialFile.material_id).in_(ids))
        )
        names += [n for n in files.all() if n]
    if actor.local:
        for kind in PROFILE_KINDS:
            folder = media_dir / "accounts" / kind
            if folder.is_dir():
                names += [f"accounts/{kind}/{p.name}" for p in folder.glob(f"{actor.id}-*")]
    return list(dict.fromkeys(names))


def remove(media_dir: Path, names: list[str]) -> int:
    """Unlink the files (those already gone are fine); how many were there."""
    root = media_dir.resolve()
    removed = 0
    for name in names:
        path = (root / name).resolve()
        if root not in path.parents:
            continue  # a stored name is ours, but never follow one out of the directory
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
