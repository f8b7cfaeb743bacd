"""Our own materials: create, edit and delete them, and publish what each one means.

One transaction per action, committed by the caller: the ``objects`` row
(the ``Article`` other servers read), the material's rows, its search entry
and the activity with its deliveries. Files are written through a
:class:`~content.materials.files.StagedFiles` the caller opened, so a refusal
or a failed commit removes them again; files an edit or a deletion drops are
removed when the commit has happened.

Everything the client sent is checked before the first write (codes,
lengths, links, every file's real type), so a refused material leaves
nothing behind. The material's row id is its object's id, which is its
status id in the Mastodon API.
"""

from __future__ import annotations

from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.minors import check_visibility
from content.edits import record_version
from content.materials import search
from content.materials.activities import material_activity, publish_update
from content.materials.as2 import material_object_fields, material_to_as2
from content.materials.attachments import link_rows, prepared_uploads, write_files, write_preview
from content.materials.drafts import MaterialDraft, MaterialEdit
from content.materials.files import StagedFiles, remove_after_commit
from content.materials.markdown import MAX_DESCRIPTION_CHARS, render_description, summary_of
from content.materials.model import LINK, MaterialView, load_view
from content.materials.rules import MaterialError, check_links, check_metadata, check_title
from content.materials.uploads import first_preview
from content.posts import delete_post
from content.sanitize import plain_text
from content.visibility import draft_addressing
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ContentObject, Material, MaterialGrade, MaterialSubject
from storage.types import utcnow

__all__ = ["MaterialError", "create_material"]


async def _set_codes(
    session: AsyncSession, material_id: int, subjects: list[str], grades: list[str]
) -> None:
    await session.exec(
        delete(MaterialSubject).where(col(MaterialSubject.material_id) == material_id)
    )
    await session.exec(delete(MaterialGrade).where(col(MaterialGrade.material_id) == material_id))
    for code in subjects:
        session.add(MaterialSubject(material_id=material_id, code=code))
    for code in grades:
        session.add(MaterialGrade(material_id=material_id, code=code))


def _describe(material: Material, description: str) -> None:
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise MaterialError(f"the description is longer than {MAX_DESCRIPTION_CHARS} characters")
    material.description_source = description
    material.description_html = render_description(description)
    material.summary = summary_of(material.description_html)


async def create_material(
    session: AsyncSession,
    node: NodeContext,
    author: Actor,
    draft: MaterialDraft,
    stage: StagedFiles,
) -> MaterialView:
    """Check, store and publish (``Create``) a new material of ``author``'s."""
    if not author.local or author.id is None:
        raise MaterialError("only local accounts publish materials here")
    title = check_title(draft.title)
    meta = check_metadata(
        subjects=draft.subjects,
        grades=draft.grades,
        material_type=draft.material_type,
        license=draft.license,
        language=draft.language,
        tags=draft.tags,
    )
    links = check_links(draft.links, node.config)
    await check_visibility(session, author, draft.visibility)
    if not draft.uploads and not links:
        raise MaterialError("a material needs at least one file or link")
    prepared = await prepared_uploads(draft.uploads, node)
    object_id = new_id()
    ap_id = node.config.object_url(author.username, object_id)
    visibility, to, cc = draft_addressing(
        draft.visibility, author, draft.community, draft.members_only
    )
    now = utcnow()
    material = Material(
        object_id=object_id,
        author_id=author.id,
        local=True,
        domain=node.config.domain,
        visibility=visibility,
        title=title,
        material_type=meta.material_type,
        license=meta.license,
        language=meta.language,
        tags=meta.tags,
        published=now,
    )
    _describe(material, draft.description)
    files = await write_files(node, stage, object_id, prepared, 0)
    files += link_rows(object_id, links, len(files))
    await write_preview(node, stage, material, prepared)
    view = MaterialView(material, files, meta.subjects, meta.grades)
    obj = ContentObject(
        id=object_id,
        ap_id=ap_id,
        type="Article",
        author_id=author.id,
        local=True,
        visibility=visibility,
        url=node.config.material_page_url(object_id),
        conversation=ap_id,
        to=to,
        cc=cc,
        published=now,
        **material_object_fields(view, node.config),
    )
    session.add(obj)
    await session.flush()
    session.add(material)
    await session.flush()
    session.add_all(files)
    await _set_codes(session, object_id, meta.subjects, meta.grades)
    await session.flush()
    await search.index(session, material, plain_text(material.description_html) or "")
    doc = material_to_as2(view, obj, author, node.config)
    await publish(session, author, material_activity(node, author, "Create", obj, doc))
    return view


def own_material(view: MaterialView, author: Actor) -> None:
    if not view.material.local or view.material.author_id != author.id:
        raise MaterialError("only the author may change a material")


async def update_material(
    session: AsyncSession,
    node: NodeContext,
    author: Actor,
    view: MaterialView,
    edit: MaterialEdit,
    stage: StagedFiles,
) -> tuple[MaterialView, list[str]]:
    """Edit ``author``'s material and publish ``Update``; returns the view and the
    stored files the edit dropped (removed when the session commits)."""
    own_material(view, author)
    material = view.material
    obj = await session.get(ContentObject, material.object_id)
    if obj is None or obj.deleted_at is not None:
        raise MaterialError("the material has been deleted")
    meta = check_metadata(
        subjects=view.subjects if edit.subjects is None else edit.subjects,
        grades=view.grades if edit.grades is None else edit.grades,
        material_type=edit.material_type or material.material_type,
        license=edit.license or material.license,
        language=material.language if edit.language is None else (edit.language or None),
        tags=material.tags if edit.tags is None else edit.tags,
    )
    removing = set(edit.remove_files)
    kept_files = [f for f in view.documents if f.id not in removing]
    links = (
        check_links(edit.links, node.config)
        if edit.links is not None
        else [f.url for f in view.links]
    )
    prepared = await prepared_uploads(edit.add_uploads, node, existing=len(kept_files))
    if not kept_files and not prepared and not links:
        raise MaterialError("a material needs at least one file or link")
    await record_version(session, obj)
    if edit.title is not None:
        material.title = check_title(edit.title)
    if edit.description is not None:
        _describe(material, edit.description)
    material.material_type, material.license = meta.material_type, meta.license
    material.language, material.tags = meta.language, meta.tags
    material.updated_at = utcnow()
    dropped = [f.file_name for f in view.documents if f.id in removing and f.file_name]
    for row in view.files:
        if row.kind == LINK or row.id in removing:
            await session.delete(row)
    added = await write_files(node, stage, material.object_id, prepared, 0)
    files = kept_files + added + link_rows(material.object_id, links, 0)
    for position, row in enumerate(files):
        row.position = position
    session.add_all(files)
    if prepared and first_preview(prepared) is not None and material.preview_name is None:
        await write_preview(node, stage, material, prepared)
    session.add(material)
    await _set_codes(session, material.object_id, meta.subjects, meta.grades)
    await session.flush()
    fresh = await load_view(session, material.object_id)
    assert fresh is not None
    await publish_update(session, node, author, obj, fresh)
    remove_after_commit(session, node.config, dropped)
    return fresh, dropped


async def delete_material(
    session: AsyncSession, node: NodeContext, author: Actor, view: MaterialView
) -> list[str]:
    """Delete ``author``'s material (its object becomes a tombstone, ``Delete`` is sent);
    returns its stored files, removed when the session commits."""
    own_material(view, author)
    obj = await session.get(ContentObject, view.material.object_id)
    if obj is None or obj.deleted_at is not None:
        raise MaterialError("the material has been deleted")
    names = [f.file_name for f in view.files if f.file_name]
    if view.material.preview_name:
        names.append(view.material.preview_name)
    await delete_post(session, node, author, obj)
    await forget(session, view.material.object_id)
    remove_after_commit(session, node.config, names)
    return names


async def forget(session: AsyncSession, material_id: int) -> None:
    """Remove a material's rows and search entry (its object is a tombstone by now)."""
    await search.remove(session, material_id)
    await session.exec(delete(Material).where(col(Material.object_id) == material_id))
    await session.flush()
