"""Mastodon's admin API (``/api/v1/admin/...``) and the moderation endpoints people use.

``common.py`` (moderators only, with the admin scopes), ``entities.py``
(Admin::Account, Admin::Report, Admin::DomainBlock, Admin::DomainAllow),
``accounts.py``, ``reports.py``, ``domains.py``; ``user_reports.py`` is
``POST /api/v1/reports``; ``filters.py`` is the v2 filters API;
``school.py`` is Staffroom's: accounts the school creates, invites, guardians;
``account_data.py`` a person's own data: exports, imports, erasure.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from api.admin import account_data, accounts, domains, filters, reports, school, user_reports

routes: list[BaseRoute] = [
    *accounts.routes,
    *reports.routes,
    *domains.routes,
    *user_reports.routes,
    *filters.routes,
    *school.routes,
    *account_data.routes,
]
