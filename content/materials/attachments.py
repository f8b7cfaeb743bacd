"""A material's files and links as rows, written the same way when it is created and edited.

Creating and editing both turn checked uploads into staged files with their
rows, links into rows and the first previewable file into the preview;
keeping that here leaves :mod:`.publishing` to decide what a change keeps.
Its callers prepare every upload (:func:`prepared_uploads`) before writing
any, so a refused file leaves nothing behind.
"""

from __future__ import annotations

from actors.context import NodeContext
from content.materials.files import FILES_DIR, PREVIEWS_DIR, StagedFiles, new_key
from content.materials.model import FILE, LINK
from content.materials.rules import MaterialError
from content.materials.uploads import PreparedFile, Upload, UploadRefused, first_preview, prepare
from content.media import media_url
from storage.ids import new_id
from storage.models import Material, MaterialFile


async def prepared_uploads(
    uploads: list[Upload], node: NodeContext, existing: int = 0
) -> list[PreparedFile]:
    limits = node.config.materials
    if existing + len(uploads) > limits.max_files:
        raise MaterialError(f"a material may have at most {limits.max_files} files")
    try:
        return await prepare(uploads, limits)
    except UploadRefused as exc:
        raise MaterialError(str(exc)) from None


async def write_files(
    node: NodeContext,
    stage: StagedFiles,
    material_id: int,
    prepared: list[PreparedFile],
    start: int,
) -> list[MaterialFile]:
    rows = []
    for offset, item in enumerate(prepared):
        key = new_key()
        name = await stage.write(
            f"{FILES_DIR}/{material_id}-{key}.{item.file_type.extension}", item.data
        )
        rows.append(
            MaterialFile(
                id=new_id(),
                material_id=material_id,
                position=start + offset,
                kind=FILE,
                name=item.name,
                media_type=item.file_type.media_type,
                size=len(item.data),
                digest=item.digest,
                url=node.config.material_file_url(key, item.name),
                file_name=name,
                access_key=key,
            )
        )
    return rows


def link_rows(material_id: int, links: list[str], start: int) -> list[MaterialFile]:
    return [
        MaterialFile(
            id=new_id(),
            material_id=material_id,
            position=start + offset,
            kind=LINK,
            name=url.split("://", 1)[-1][:255],
            url=url,
        )
        for offset, url in enumerate(links)
    ]


async def write_preview(
    node: NodeContext, stage: StagedFiles, material: Material, prepared: list[PreparedFile]
) -> None:
    preview = first_preview(prepared)
    if preview is None:
        return
    name = await stage.write(
        f"{PREVIEWS_DIR}/{material.object_id}-{new_key()}-preview.{preview.extension}", preview.data
    )
    material.preview_name = name
    material.preview_url = media_url(node.config, name)
