"""``staffroom events``: list the node's events, export a calendar, send due reminders now.

* ``list [--past] [--all]`` prints upcoming events (the node's own; ``--all``
  with those from other nodes): id, start in UTC and in the event's zone,
  participants/capacity, status, title.
* ``calendar [--out FILE]`` writes the node's ``.ics`` (what
  ``/api/v1/staffroom/events/calendar.ics`` serves) to FILE or stdout.
* ``remind`` sends the reminders due now, once, as the workers would (a
  reminder already sent by a worker is not sent again).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from content.events import queries, reminders
from content.events.as2 import when_text
from content.events.calendar import calendar
from staffroom.app import node_context
from staffroom.settings import Settings
from storage.models import ContentObject
from storage.types import utcnow


async def _rows(settings: Settings, args: argparse.Namespace) -> list[Any]:
    query = queries.EventQuery(past=args.past, local_only=not args.all, limit=queries.MAX_LIMIT)
    async with node_context(settings) as node, node.sessions() as session:
        rows = await queries.find(session, None, query)
        out = []
        for row in rows:
            obj = await session.get(ContentObject, row.object_id)
            if obj is not None:
                out.append((row, obj))
        return out


def cmd_list(settings: Settings, args: argparse.Namespace) -> None:
    for row, _obj in asyncio.run(_rows(settings, args)):
        places = f"{row.participant_count}/{row.capacity or '-'}"
        start = f"{row.start_at:%Y-%m-%d %H:%M}Z"
        print(f"{row.object_id}  {start}  {when_text(row)}  {places}  {row.status}  {row.title}")


def cmd_calendar(settings: Settings, args: argparse.Namespace) -> None:
    args.past, args.all = False, False
    body = calendar(settings.node_name, asyncio.run(_rows(settings, args)))
    if args.out:
        Path(args.out).write_bytes(body)
    else:
        sys.stdout.buffer.write(body)


def cmd_remind(settings: Settings, _args: argparse.Namespace) -> None:
    async def run() -> int:
        async with node_context(settings) as node:
            return await reminders.send_due(node, utcnow())

    print(f"sent {asyncio.run(run())} reminders")


def register(subparsers: Any) -> list[argparse.ArgumentParser]:
    """Add ``events list``, ``events calendar`` and ``events remind``; returns the leaf parsers."""
    events = subparsers.add_parser("events", help="events and their calendars").add_subparsers(
        dest="events_command", required=True
    )
    listing = events.add_parser("list", help="list upcoming events")
    listing.add_argument("--past", action="store_true", help="past events instead, newest first")
    listing.add_argument("--all", action="store_true", help="with events from other nodes")
    listing.set_defaults(func=cmd_list)
    export = events.add_parser("calendar", help="write the node's .ics")
    export.add_argument("--out", help="the file (default: standard output)")
    export.set_defaults(func=cmd_calendar)
    remind = events.add_parser("remind", help="send the reminders due now")
    remind.set_defaults(func=cmd_remind)
    return [listing, export, remind]
