"""``staffroom demo``: seed a fresh node with a school's people and content (see
:mod:`staffroom.demo`), then say who can sign in."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from staffroom.app import node_context
from staffroom.demo import PASSWORD, PEOPLE, DemoRefused, seed
from staffroom.settings import Settings


class DemoError(ValueError):
    """Printed as one line by ``staffroom``'s main (exit status 1)."""


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> None:
    from storage import migrate
    from storage.engine import create_engine

    async def run() -> Any:
        engine = create_engine(settings.database_url)
        try:
            if await migrate.pending(engine):
                raise DemoError("the database is not migrated; run `staffroom migrate` first")
        finally:
            await engine.dispose()
        async with node_context(settings) as node:
            try:
                return await seed(node)
            except DemoRefused as exc:
                raise DemoError(str(exc)) from None

    seeded = asyncio.run(run())
    print(f"seeded {settings.domain}: {len(seeded.people)} people, a community with a thread,")
    print(f"{len(seeded.materials)} materials with reviews, an event and a poll")
    for person in PEOPLE:
        print(f"  {person.name:8} {person.role.value:8} {person.display_name}")
    print(f"every demo account's password: {PASSWORD}")


def register(subparsers: Any) -> list[argparse.ArgumentParser]:
    demo = subparsers.add_parser(
        "demo", help="seed a fresh node with a school's teachers, materials and events"
    )
    demo.set_defaults(func=cmd_demo)
    return [demo]
