"""Request parameters of ``/api/v1/staffroom/materials`` turned into domain objects.

The names are the contract the issue fixed for scripts: ``title``,
``description``, ``files[]``, ``links[]``, ``subjects[]``, ``grades[]``,
``type``, ``language``, ``license``, ``tags[]``, ``community``,
``visibility`` to create; ``q``, ``subject``, ``grade``, ``type``,
``license``, ``language``, ``community``, ``node``, ``sort`` to list.
``community`` (a community's account id, or its URI) is resolved by the
routes, which need the database (:mod:`api.materials.community`); an edit
cannot move a material to another community.
"""

from __future__ import annotations

from api.errors import ApiError
from api.params import Params
from api.v1.statuses import VISIBILITIES
from content.materials.drafts import MaterialDraft, MaterialEdit
from content.materials.library import SORTS, LibraryQuery
from content.materials.uploads import Upload
from content.materials.vocabulary import DEFAULT_LICENSE, DEFAULT_TYPE
from storage.models import Visibility

NO_MOVES = "Validation failed: a material cannot change its community"


def _visibility(params: Params) -> Visibility:
    raw = (params.get("visibility") or "public").strip().lower()
    if raw not in VISIBILITIES:
        raise ApiError(422, "Validation failed: Visibility is not included in the list")
    return VISIBILITIES[raw]


def community_param(params: Params) -> str | None:
    return (params.get("community") or "").strip() or None


async def uploads(params: Params) -> list[Upload]:
    return [Upload(f.filename or "file", await f.read()) for f in params.files("files")]


async def draft(params: Params) -> MaterialDraft:
    return MaterialDraft(
        title=params.get("title") or "",
        description=params.get("description") or "",
        uploads=await uploads(params),
        links=params.get_list("links"),
        subjects=params.get_list("subjects"),
        grades=params.get_list("grades"),
        material_type=params.get("type") or DEFAULT_TYPE,
        language=params.get("language") or None,
        license=params.get("license") or DEFAULT_LICENSE,
        tags=params.get_list("tags"),
        visibility=_visibility(params),
    )


def _optional_list(params: Params, name: str) -> list[str] | None:
    return params.get_list(name) if name in params else None


async def edit(params: Params) -> MaterialEdit:
    if community_param(params):
        raise ApiError(422, NO_MOVES)
    removing = [v for v in params.get_list("remove_files") if v.strip()]
    if not all(v.strip().isdigit() for v in removing):
        raise ApiError(422, "Validation failed: remove_files must be file ids")
    return MaterialEdit(
        title=params.get("title"),
        description=params.get("description"),
        add_uploads=await uploads(params),
        remove_files=[int(v) for v in removing],
        links=_optional_list(params, "links"),
        subjects=_optional_list(params, "subjects"),
        grades=_optional_list(params, "grades"),
        material_type=params.get("type") or None,
        language=params.get("language"),
        license=params.get("license") or None,
        tags=_optional_list(params, "tags"),
    )


def library_query(params: Params) -> LibraryQuery:
    sort = (params.get("sort") or "newest").strip().lower()
    if sort not in SORTS:
        raise ApiError(422, f"Validation failed: sort must be one of {', '.join(SORTS)}")
    return LibraryQuery(
        q=(params.get("q") or "").strip() or None,
        subject=params.get("subject") or None,
        grade=params.get("grade") or None,
        material_type=params.get("type") or None,
        license=params.get("license") or None,
        language=params.get("language") or None,
        node=params.get("node") or None,
        sort=sort,
    )
