"""The materials library for people: search, filters and sort; a material's page; publishing.

``/materials`` lists what the viewer may find (``content.materials.library``:
visibility is part of the query); ``/materials/<id>`` is the material's
``url`` in its ActivityPub ``Article``, with files, preview, license and
reviews, OpenGraph tags and ``rel=alternate`` to the Article. A signed-in
teacher publishes (``/materials/new``, files uploaded with a progress bar
when scripts run) and reviews from here; an oversized upload is refused
before it is read.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.materials import library
from content.materials.drafts import MaterialDraft
from content.materials.files import staged_files
from content.materials.model import MaterialView, load_view, load_views
from content.materials.publishing import MaterialError, create_material
from content.materials.ratings import RatingError
from content.materials.reviews import (
    ReviewError,
    ReviewNotFound,
    list_reviews,
    review_of,
    visible_material,
    write_review,
)
from content.materials.uploads import Upload
from content.materials.vocabulary import (
    DEFAULT_LICENSE,
    DEFAULT_TYPE,
    GRADES,
    LICENSE_URLS,
    LICENSES,
    MATERIAL_TYPES,
    SUBJECTS,
)
from content.sanitize import sanitize_html
from storage.models import Actor, Visibility
from web.i18n import gettext as _
from web.page import PageError, Visitor, handler, read_form, redirect, render
from web.views import paging

PAGE = 20
FORM_SLACK = 1024 * 1024
FILTERS = ("q", "subject", "grade", "type", "license", "language", "sort")


def _query(params: dict[str, str]) -> library.LibraryQuery:
    sort = params.get("sort") or "newest"
    if sort not in library.SORTS:
        sort = "newest"

    def known(value: str | None, table: dict[str, object]) -> str | None:
        return value if value in table else None

    language = params.get("language") or None
    return library.LibraryQuery(
        q=(params.get("q") or "").strip()[:200] or None,
        subject=known(params.get("subject"), dict(SUBJECTS)),
        grade=known(params.get("grade"), dict(GRADES)),
        material_type=known(params.get("type"), dict(MATERIAL_TYPES)),
        license=known(params.get("license"), dict(LICENSES)),
        language=language if language in {"ru", "en"} else None,
        sort=sort,
    )


def _offset(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 0


async def index(request: Request, visitor: Visitor) -> Response:
    params = {k: request.query_params.get(k, "") for k in FILTERS}
    query = _query(params)
    offset = _offset(request.query_params.get("offset"))
    page = paging(request.query_params.get("max_id"), PAGE)
    async with visitor.node.sessions() as session:
        found = await library.find(session, visitor.actor, query, page, offset)
        views = await load_views(session, found)
    kept = {k: v for k, v in params.items() if v}
    older = None
    if len(found) >= PAGE:
        if query.sort == "newest":
            older = "?" + urlencode({**kept, "max_id": found[-1].object_id})
        else:
            older = "?" + urlencode({**kept, "offset": offset + PAGE})
    return render(
        visitor,
        "library.html",
        views=views,
        params=params,
        older=older,
        subjects=SUBJECTS,
        grades=GRADES,
        types=MATERIAL_TYPES,
        licenses=LICENSES,
        sorts=library.SORTS,
    )


def material_id_of(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 19:
        raise PageError(404, _("This material does not exist, or you may not see it."))
    return int(raw)


async def visible(visitor: Visitor, material_id: int) -> tuple[MaterialView, Actor, str]:
    async with visitor.node.sessions() as session:
        try:
            _material, obj, author = await visible_material(session, material_id, visitor.actor)
        except ReviewNotFound:
            raise PageError(
                404, _("This material does not exist, or you may not see it.")
            ) from None
        view = await load_view(session, material_id)
    if view is None:
        raise PageError(404, _("This material does not exist, or you may not see it."))
    return view, author, obj.ap_id


async def material_page(request: Request, visitor: Visitor) -> Response:
    material_id = material_id_of(request)
    view, author, ap_id = await visible(visitor, material_id)
    async with visitor.node.sessions() as session:
        reviews = await list_reviews(session, material_id)
        mine = (
            None if visitor.actor is None else await review_of(session, material_id, visitor.actor)
        )
    config = visitor.node.config
    files = [
        (f, config.material_file_url(f.access_key, f.name) if f.access_key else f.url)
        for f in view.documents
    ]
    return render(
        visitor,
        "material.html",
        view=view,
        m=view.material,
        author=author,
        ap_id=ap_id,
        page_url=config.material_page_url(material_id),
        description=sanitize_html(view.material.description_html),
        files=files,
        links=view.links,
        reviews=[(r, who, sanitize_html(r.text_html)) for r, who in reviews],
        reviewed=mine is not None,
        license_url=LICENSE_URLS.get(view.material.license),
    )


async def review(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    material_id = material_id_of(request)
    form = await read_form(request, visitor)
    rating = form.get("rating").strip()
    if not rating.isdigit():
        raise PageError(422, _("Choose a rating from 1 to 5."))
    async with visitor.node.sessions() as session:
        try:
            await write_review(
                session,
                visitor.node,
                actor,
                material_id,
                rating=int(rating),
                text=form.get("text"),
            )
        except ReviewNotFound:
            raise PageError(
                404, _("This material does not exist, or you may not see it.")
            ) from None
        except RatingError:
            raise PageError(422, _("Choose a rating from 1 to 5.")) from None
        except ReviewError as exc:
            raise PageError(422, str(exc)) from None
        await session.commit()
    return redirect(f"/materials/{material_id}#reviews")


def form_limit(visitor: Visitor) -> int:
    limits = visitor.node.config.materials
    return limits.max_file_bytes * limits.max_files + FORM_SLACK


async def new_material(request: Request, visitor: Visitor) -> Response:
    visitor.actor_required()
    return material_form(visitor)


def material_form(
    visitor: Visitor,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    chosen: dict[str, list[str]] | None = None,
    editing: MaterialView | None = None,
) -> Response:
    """The material form: publishing, or (``editing``) changing one's own material."""
    limits = visitor.node.config.materials
    action = (
        "/materials/new" if editing is None else f"/materials/{editing.material.object_id}/edit"
    )
    return render(
        visitor,
        "material_form.html",
        status=422 if error else 200,
        error=error,
        values=values or {},
        chosen=chosen or {"subjects": [], "grades": []},
        editing=editing,
        action=action,
        current_files=[] if editing is None else editing.documents,
        subjects=SUBJECTS,
        grades=GRADES,
        types=MATERIAL_TYPES,
        licenses=LICENSES,
        default_type=DEFAULT_TYPE,
        default_license=DEFAULT_LICENSE,
        max_file_mb=max(1, limits.max_file_bytes // (1024 * 1024)),
        max_files=limits.max_files,
    )


async def publish(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    form = await read_form(
        request,
        visitor,
        max_bytes=form_limit(visitor),
        max_files=visitor.node.config.materials.max_files,
    )
    uploads = [Upload(f.filename or "file", await f.read()) for f in form.files.get("files", [])]
    visibility = form.get("visibility", "public")
    if visibility not in {v.value for v in Visibility}:
        visibility = "public"
    draft = MaterialDraft(
        title=form.get("title"),
        description=form.get("description"),
        uploads=uploads,
        links=[line.strip() for line in form.get("links").splitlines() if line.strip()],
        subjects=form.lists.get("subjects", []),
        grades=form.lists.get("grades", []),
        material_type=form.get("type") or DEFAULT_TYPE,
        language=form.get("language") or None,
        license=form.get("license") or DEFAULT_LICENSE,
        tags=[t.strip() for t in form.get("tags").split(",") if t.strip()],
        visibility=Visibility(visibility),
    )
    node = visitor.node
    async with node.sessions() as session, staged_files(node.config) as stage:
        try:
            view = await create_material(session, node, actor, draft, stage)
        except MaterialError as exc:
            return material_form(
                visitor,
                error=str(exc),
                values=form.fields,
                chosen={k: form.lists.get(k, []) for k in ("subjects", "grades")},
            )
        await session.commit()
    return redirect(f"/materials/{view.material.object_id}")


routes = [
    Route("/materials", handler(index), methods=["GET"]),
    Route("/materials/new", handler(new_material), methods=["GET"]),
    Route("/materials/new", handler(publish), methods=["POST"]),
    Route("/materials/{id}", handler(material_page), methods=["GET"]),
    Route("/materials/{id}/reviews", handler(review), methods=["POST"]),
]
