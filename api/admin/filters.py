"""Mastodon's v2 filters API: ``/api/v2/filters`` and their keywords.

Mastodon.py's ``filters_v2``, ``create_filter_v2``, ``update_filter_v2``,
``delete_filter_v2``, ``filter_keywords_v2``, ``add_filter_keyword_v2`` and
``delete_filter_keyword_v2`` speak to these. Only the owner sees a filter;
anyone else's id is 404.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.admin.common import int_id, node_of
from api.auth import require_user
from api.entities.time import iso_ms_or_none
from api.errors import ApiError
from api.params import Params, read_params
from api.routing import api_routes
from content.moderation import filters
from storage.models import Filter, FilterKeyword

NOT_FOUND = "Record not found"


def keyword_entity(kw: FilterKeyword) -> dict[str, Any]:
    return {"id": str(kw.id), "keyword": kw.keyword, "whole_word": kw.whole_word}


def filter_entity(row: Filter, keywords: list[FilterKeyword]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "title": row.title,
        "context": list(row.contexts),
        "expires_at": iso_ms_or_none(row.expires_at),
        "filter_action": row.action,
        "keywords": [keyword_entity(k) for k in keywords],
        "statuses": [],
    }


async def _entity(session: AsyncSession, row: Filter) -> dict[str, Any]:
    assert row.id is not None
    return filter_entity(row, (await filters.keywords_of(session, [row.id]))[row.id])


def _keyword_drafts(params: Params) -> list[filters.KeywordDraft]:
    drafts: dict[int, dict[str, Any]] = {}
    for name in params.names():
        if name.startswith("keywords_attributes[") and name.count("[") == 2:
            index, field = name[len("keywords_attributes[") :].split("][")
            drafts.setdefault(int(index) if index.isdigit() else 0, {})[field.rstrip("]")] = (
                params.get(name)
            )
    for item in params.objects("keywords_attributes"):
        drafts[len(drafts) + 1000] = item
    out = []
    for _, d in sorted(drafts.items()):
        whole = d.get("whole_word", True)
        if isinstance(whole, str):
            whole = whole.lower() not in ("false", "0", "")
        out.append(filters.KeywordDraft(str(d.get("keyword") or ""), bool(whole)))
    return out


def _contexts(params: Params) -> list[str]:
    return params.get_list("context[]") or params.get_list("context")


async def list_filters(request: Request) -> Response:
    user = await require_user(request, "read:filters")
    node = node_of(request)
    async with node.sessions() as session:
        assert user.actor.id is not None
        rows = await filters.of(session, user.actor.id)
        words = await filters.keywords_of(session, [r.id for r in rows if r.id is not None])
        return JSONResponse([filter_entity(r, words[r.id or 0]) for r in rows])


async def _own(session: AsyncSession, actor_id: int | None, raw: object) -> Filter:
    assert actor_id is not None
    row = await filters.owned(session, actor_id, int_id(raw))
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return row


async def show(request: Request) -> Response:
    user = await require_user(request, "read:filters")
    node = node_of(request)
    async with node.sessions() as session:
        row = await _own(session, user.actor.id, request.path_params["id"])
        return JSONResponse(await _entity(session, row))


async def create(request: Request) -> Response:
    user = await require_user(request, "write:filters")
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        assert user.actor.id is not None
        try:
            row = await filters.create(
                session,
                user.actor.id,
                title=params.get("title") or "",
                contexts=_contexts(params),
                action=params.get("filter_action") or "warn",
                expires_in=params.get_int("expires_in"),
                keywords=_keyword_drafts(params),
            )
        except filters.FilterError as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        await session.commit()
        return JSONResponse(await _entity(session, row))


async def update(request: Request) -> Response:
    user = await require_user(request, "write:filters")
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        row = await _own(session, user.actor.id, request.path_params["id"])
        title = params.get("title") or row.title
        contexts = _contexts(params) or list(row.contexts)
        action = params.get("filter_action") or row.action
        try:
            filters.check(title, contexts, action)
            row.title, row.contexts, row.action = title, sorted(set(contexts)), action
            if "expires_in" in params:
                row.expires_at = filters.expiry(params.get_int("expires_in"))
            session.add(row)
            for draft in _keyword_drafts(params):
                await filters.add_keyword(session, row, draft)
        except filters.FilterError as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        await session.commit()
        return JSONResponse(await _entity(session, row))


async def remove(request: Request) -> Response:
    user = await require_user(request, "write:filters")
    node = node_of(request)
    async with node.sessions() as session:
        row = await _own(session, user.actor.id, request.path_params["id"])
        await filters.remove(session, row)
        await session.commit()
    return JSONResponse({})


async def list_keywords(request: Request) -> Response:
    user = await require_user(request, "read:filters")
    node = node_of(request)
    async with node.sessions() as session:
        row = await _own(session, user.actor.id, request.path_params["id"])
        return JSONResponse((await _entity(session, row))["keywords"])


async def add_keyword(request: Request) -> Response:
    user = await require_user(request, "write:filters")
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        row = await _own(session, user.actor.id, request.path_params["id"])
        try:
            kw = await filters.add_keyword(
                session,
                row,
                filters.KeywordDraft(params.get("keyword") or "", params.get_bool("whole_word")),
            )
        except filters.FilterError as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        await session.commit()
        return JSONResponse(keyword_entity(kw))


async def _own_keyword(session: AsyncSession, actor_id: int | None, raw: object) -> FilterKeyword:
    kw = await session.get(FilterKeyword, int_id(raw))
    if kw is None:
        raise ApiError(404, NOT_FOUND)
    await _own(session, actor_id, kw.filter_id)
    return kw


async def show_keyword(request: Request) -> Response:
    user = await require_user(request, "read:filters")
    node = node_of(request)
    async with node.sessions() as session:
        kw = await _own_keyword(session, user.actor.id, request.path_params["id"])
        return JSONResponse(keyword_entity(kw))


async def remove_keyword(request: Request) -> Response:
    user = await require_user(request, "write:filters")
    node = node_of(request)
    async with node.sessions() as session:
        kw = await _own_keyword(session, user.actor.id, request.path_params["id"])
        await session.delete(kw)
        await session.commit()
    return JSONResponse({})


routes = api_routes(
    ("/api/v2/filters", list_filters, ["GET"]),
    ("/api/v2/filters", create, ["POST"]),
    ("/api/v2/filters/{id}", show, ["GET"]),
    ("/api/v2/filters/{id}", update, ["PUT"]),
    ("/api/v2/filters/{id}", remove, ["DELETE"]),
    ("/api/v2/filters/{id}/keywords", list_keywords, ["GET"]),
    ("/api/v2/filters/{id}/keywords", add_keyword, ["POST"]),
    ("/api/v2/filters/keywords/{id}", show_keyword, ["GET"]),
    ("/api/v2/filters/keywords/{id}", remove_keyword, ["DELETE"]),
)
