"""Staffroom's own client API for communities: ``/api/v1/staffroom/communities``.
The composition root adds :data:`routes`."""

from __future__ import annotations

from starlette.routing import BaseRoute

from api.communities import communities, moderation

routes: list[BaseRoute] = [*communities.routes, *moderation.routes]
