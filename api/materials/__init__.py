"""Staffroom's own client API for teaching materials: ``/api/v1/staffroom/materials`` and
``/api/v1/staffroom/collections``. The composition root adds :data:`routes`."""

from __future__ import annotations

from starlette.routing import BaseRoute

from api.materials import collections, materials, reviews

routes: list[BaseRoute] = [*materials.routes, *reviews.routes, *collections.routes]
