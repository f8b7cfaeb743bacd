"""One shape for a route that changes one thing: the caller, the thing, one domain call, the answer.

CONVENTIONS 3 (thin routes) as a function, so that the event and community
routes spell it once: authenticate with the route's scope, ``find`` the
thing (``404 Record not found`` for what does not exist or the caller may
not see, ``403`` for what they may not change), ``do`` the one domain call
(a refusal of one of ``refusals`` types is Mastodon's ``422 Validation
failed: <reason>`` and nothing is committed), commit, ``render`` the answer.
The request's form or JSON body is read only when a step asks for it
(:meth:`Acting.params`), after authentication.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api.auth import require_user
from api.params import Params, read_params
from api.status_support import node_of, refused
from storage.models import Actor

Found = TypeVar("Found")
Done = TypeVar("Done")


@dataclass
class Acting:
    """What every step of :func:`act` works with: one session, the node, the caller."""

    request: Request
    session: AsyncSession
    node: NodeContext
    actor: Actor
    _params: Params | None = field(default=None, repr=False)

    async def params(self) -> Params:
        if self._params is None:
            self._params = await read_params(self.request)
        return self._params


async def nothing(_acting: Acting) -> None:
    """The ``find`` of a route that creates: there is nothing to find."""


async def act(
    request: Request,
    scope: str,
    find: Callable[[Acting], Awaitable[Found]],
    do: Callable[[Acting, Found], Awaitable[Done]],
    render: Callable[[Acting, Done], Awaitable[Any]],
    refusals: tuple[type[Exception], ...] = (),
) -> Response:
    """Authenticate, find, do, commit, render (see the module's docstring)."""
    user = await require_user(request, scope)
    node = node_of(request)
    async with node.sessions() as session:
        acting = Acting(request, session, node, user.actor)
        found = await find(acting)
        try:
            done = await do(acting, found)
        except refusals as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await render(acting, done))
