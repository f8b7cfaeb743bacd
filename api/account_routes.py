"""Every route of the accounts, instance and search part of the client API, in one list.

The composition root adds ``api.account_routes.routes`` to the application.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from api import images, profile_images
from api.v1 import account_actions, accounts, credentials, lists, markers, placeholders
from api.v1 import instance as instance_v1
from api.v2 import instance as instance_v2
from api.v2 import search

routes: list[BaseRoute] = [
    *images.routes,
    *profile_images.routes,
    *instance_v1.routes,
    *instance_v2.routes,
    *credentials.routes,
    *accounts.routes,
    *account_actions.routes,
    *lists.routes,
    *markers.routes,
    *placeholders.routes,
    *search.routes,
]
