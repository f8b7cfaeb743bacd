"""Every route of the statuses, timelines, media and polls part of the client API, in one list.

The composition root adds ``api.status_routes.routes`` to the application.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from api import media_files
from api.v1 import media, polls, status_actions, statuses, timelines

routes: list[BaseRoute] = [
    *statuses.routes,
    *status_actions.routes,
    *timelines.routes,
    *media.routes,
    *polls.routes,
    *media_files.routes,
]
