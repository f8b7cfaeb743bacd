"""Mastodon's list paging: ``max_id``, ``since_id``, ``min_id``, ``limit`` and ``Link`` headers.

Lists are newest first by a time-sortable id (the row's own id, or for
follower lists the follow's id, as Mastodon does). ``max_id`` pages towards
older items; ``since_id`` returns the newest items above an id; ``min_id``
returns the items *immediately* above an id (what ``fetch_previous`` and
streaming catch-up use), still rendered newest first. The ``Link`` header
names the next (older) page by ``max_id`` and the previous (newer) one by
``min_id``, keeping the request's other parameters, which is what
Mastodon.py's ``fetch_next`` / ``fetch_previous`` follow.

Usage in a list route::

    page = page_params(params)                      # 422 on a non-numeric id
    rows = await some_query(session, page)          # apply(...) inside, newest_first(...) after
    headers = link_header(request, [row.id for row in rows])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api.entities.account import account_entities
from api.errors import ApiError
from api.params import Params
from content.timelines import bounded
from storage.models import Actor

Q = TypeVar("Q")


@dataclass(frozen=True)
class PageParams:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20
    offset: int = 0

    @property
    def ascending(self) -> bool:
        """A ``min_id`` page is read oldest-first from the database (then reversed)."""
        return self.min_id is not None and self.max_id is None


def _id(params: Params, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw)
    except ValueError:
        # Ids are ours; anything else matches nothing, as Mastodon's would.
        raise ApiError(422, f"Validation failed: {name} is not a valid id") from None


def page_params(params: Params, *, default: int = 20, maximum: int = 40) -> PageParams:
    """Paging parameters; ``limit`` is clamped to 1..``maximum`` as Mastodon clamps it."""
    limit = params.get_int("limit", default) or default
    return PageParams(
        max_id=_id(params, "max_id"),
        since_id=_id(params, "since_id"),
        min_id=_id(params, "min_id"),
        limit=max(1, min(limit, maximum)),
        offset=max(0, params.get_int("offset", 0) or 0),
    )


def apply(query: Q, column: Any, page: PageParams) -> Q:
    """Restrict and order ``query`` (a select) by ``column`` for ``page``; one row extra
    is not fetched: a short page simply ends the list. Read the rows back with
    :func:`content.timelines.newest_first`."""
    result: Q = bounded(query, column, page, page.limit)
    return result


async def account_page(
    request: Request,
    session: AsyncSession,
    node: NodeContext,
    rows: Sequence[tuple[int, Actor]],
) -> Response:
    """A page of accounts listed by a cursor (a follow's, block's, like's id): the
    ``Account`` entities and the ``Link`` header that pages by those cursors."""
    entities = await account_entities(session, node, [actor for _, actor in rows])
    return JSONResponse(entities, headers=link_header(request, [cursor for cursor, _ in rows]))


def _url(request: Request, **changes: str) -> str:
    kept = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in {"max_id", "min_id", "since_id", "offset"}
    ]
    kept.extend(changes.items())
    return f"{request.url.replace(query='')!s}?{urlencode(kept)}"


def link_header(request: Request, ids: Sequence[int | None]) -> dict[str, str]:
    """``Link: <...max_id=oldest>; rel="next", <...min_id=newest>; rel="prev"`` for a
    newest-first page of ``ids``; no header for an empty page (Mastodon sends none)."""
    present = [i for i in ids if i is not None]
    if not present:
        return {}
    newest, oldest = max(present), min(present)
    links = [
        f'<{_url(request, max_id=str(oldest))}>; rel="next"',
        f'<{_url(request, min_id=str(newest))}>; rel="prev"',
    ]
    return {"Link": ", ".join(links)}


def offset_link_header(request: Request, page: PageParams, count: int) -> dict[str, str]:
    """For lists paged by ``offset`` (search results): a next link while pages are full."""
    links = []
    if count >= page.limit:
        links.append(f'<{_url(request, offset=str(page.offset + page.limit))}>; rel="next"')
    if page.offset > 0:
        links.append(f'<{_url(request, offset=str(max(0, page.offset - page.limit)))}>; rel="prev"')
    return {"Link": ", ".join(links)} if links else {}
