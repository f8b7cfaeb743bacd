"""The node's background workers, listed once.

``serve`` runs them inside the web process (one process, the default) and
``staffroom worker`` runs them in processes of their own; both take this
list, so a new queue (reminders, moderation jobs, ...) is one line here and
can never run in one shape of the node and be forgotten in the other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from actors.context import NodeContext
from content import media_cleanup
from content.account_data import worker as account_data_worker
from content.events import worker as events_worker
from content.materials import worker as materials_worker
from content.moderation import suspension
from inbox import worker as inbox_worker
from outbox import delivery
from outbox.config import DeliveryConfig
from staffroom.settings import Settings


def delivery_config(settings: Settings) -> DeliveryConfig:
    return DeliveryConfig(lease=timedelta(seconds=settings.delivery_lease_seconds))


def unattached_media_ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.unattached_media_seconds)


def background_workers(
    node: NodeContext, stop: asyncio.Event, settings: Settings
) -> list[Coroutine[Any, Any, None]]:
    """Every worker loop of the node; each returns once ``stop`` is set."""
    return [
        inbox_worker.run_forever(node, stop),
        delivery.run_forever(node, stop, delivery_config(settings)),
        materials_worker.run_forever(node, stop),
        events_worker.run_forever(node, stop),  # event counts and reminders, poll totals and ends
        media_cleanup.run_forever(node, stop, unattached_media_ttl(settings)),
        suspension.run_forever(node, stop, settings.suspension_sweep_seconds),
        account_data_worker.run_forever(node, stop),  # exports, imports, erasures
    ]
