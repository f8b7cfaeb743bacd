"""Every route of the pages, in one list the app puts first (before the API's).

Ours come first because some URLs are shared with ActivityPub documents
(``/users/NAME``, ``/users/NAME/statuses/ID``): the page answers a browser
and hands an ActivityPub client to the document's route.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from web import (
    account_data_pages,
    assets,
    communities,
    events,
    interact,
    library,
    moderation_accounts,
    moderation_pages,
    oauth,
    public,
    settings_pages,
    signin,
    teacher,
)

routes: list[BaseRoute] = [
    *assets.routes,
    *signin.routes,
    *oauth.routes,
    *public.routes,
    *library.routes,
    *events.routes,
    *communities.routes,
    *teacher.routes,
    *interact.routes,
    *settings_pages.routes,
    *account_data_pages.routes,
    *moderation_pages.routes,
    *moderation_accounts.routes,
]
