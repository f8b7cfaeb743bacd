"""Every route of the pages, in one list the app puts first (before the API's).

Ours come first because some URLs are shared with ActivityPub documents
(``/users/NAME``, ``/users/NAME/statuses/ID``): the page answers a browser
and hands an ActivityPub client to the document's route.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from web import (
    account_data_pages,
    account_pages,
    admin_accounts,
    assets,
    communities,
    community_admin,
    event_forms,
    events,
    interact,
    join_pages,
    library,
    material_edit,
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
    *join_pages.routes,
    *oauth.routes,
    *public.routes,
    *library.routes,
    *event_forms.routes,
    *events.routes,
    *community_admin.routes,
    *material_edit.routes,
    *communities.routes,
    *teacher.routes,
    *interact.routes,
    *account_pages.routes,
    *admin_accounts.routes,
    *settings_pages.routes,
    *account_data_pages.routes,
    *moderation_pages.routes,
    *moderation_accounts.routes,
]
