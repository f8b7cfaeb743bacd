"""Editing one's own material from its page: ``/materials/<id>/edit``.

The form is the publishing form with the material's values filled in and its
files listed to remove; new files upload with the same progress bar. The
change goes through ``content.materials.publishing.update_material`` (the
API's path), which keeps a version and sends one ``Update`` to the
material's audience. Only the author may open or post the form: anyone else
gets a 403 page, a material they may not see a 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.edits import html_to_text
from content.materials.drafts import MaterialEdit
from content.materials.files import staged_files
from content.materials.model import MaterialView, load_view
from content.materials.publishing import update_material
from content.materials.rules import MaterialError
from content.materials.uploads import Upload
from storage.models import Actor
from web.i18n import gettext as _
from web.library import form_limit, material_form, material_id_of
from web.library import visible as visible_material
from web.page import PageError, Visitor, handler, read_form, redirect


def _own(visitor: Visitor, view: MaterialView) -> Actor:
    actor = visitor.actor_required()
    if not view.material.local or view.material.author_id != actor.id:
        raise PageError(403, _("Only the author may change this material."))
    return actor


def _values(view: MaterialView) -> dict[str, str]:
    m = view.material
    return {
        "title": m.title,
        "description": m.description_source
        if m.description_source is not None
        else html_to_text(m.description_html),
        "links": "\n".join(f.url or "" for f in view.links),
        "type": m.material_type,
        "license": m.license,
        "language": m.language or "",
        "tags": ", ".join(m.tags),
    }


async def edit_page(request: Request, visitor: Visitor) -> Response:
    visitor.actor_required()
    view, _author, _ap_id = await visible_material(visitor, material_id_of(request))
    _own(visitor, view)
    return material_form(
        visitor,
        values=_values(view),
        chosen={"subjects": view.subjects, "grades": view.grades},
        editing=view,
    )


async def edit_submit(request: Request, visitor: Visitor) -> Response:
    visitor.actor_required()
    material_id = material_id_of(request)
    view, _author, _ap_id = await visible_material(visitor, material_id)
    actor = _own(visitor, view)
    limits = visitor.node.config.materials
    form = await read_form(
        request, visitor, max_bytes=form_limit(visitor), max_files=limits.max_files
    )
    removing = [int(x) for x in form.lists.get("remove_files", []) if x.isdigit() and len(x) < 19]
    edit = MaterialEdit(
        title=form.get("title"),
        description=form.get("description"),
        add_uploads=[
            Upload(f.filename or "file", await f.read()) for f in form.files.get("files", [])
        ],
        remove_files=removing,
        links=[line.strip() for line in form.get("links").splitlines() if line.strip()],
        subjects=form.lists.get("subjects", []),
        grades=form.lists.get("grades", []),
        material_type=form.get("type") or None,
        language=form.get("language"),
        license=form.get("license") or None,
        tags=[t.strip() for t in form.get("tags").split(",") if t.strip()],
    )
    node = visitor.node
    async with node.sessions() as session, staged_files(node.config) as stage:
        me = await session.get(Actor, actor.id)
        fresh = await load_view(session, material_id)
        assert me is not None and fresh is not None
        try:
            await update_material(session, node, me, fresh, edit, stage)
        except MaterialError as exc:
            return material_form(
                visitor,
                error=str(exc),
                values=form.fields,
                chosen={k: form.lists.get(k, []) for k in ("subjects", "grades")},
                editing=view,
            )
        await session.commit()
    return redirect(f"/materials/{material_id}")


routes = [
    Route("/materials/{id}/edit", handler(edit_page), methods=["GET"]),
    Route("/materials/{id}/edit", handler(edit_submit), methods=["POST"]),
]
