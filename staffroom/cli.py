"""The ``staffroom`` command: serve, worker, migrate, users, materials, communities, events."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from actors.local import account_by_name, count_admins, create_person, list_accounts
from actors.passwords import generate_password
from actors.roles import parse_role
from actors.tokens import issue_token, parse_scopes
from staffroom import (
    cli_accounts,
    cli_communities,
    cli_demo,
    cli_events,
    cli_materials,
    cli_safety,
)
from staffroom.app import create_app, node_config, node_context
from staffroom.gc_tuning import tune_for_serving
from staffroom.processes import serve_many, worker_processes, workers_apart
from staffroom.settings import Settings, SettingsError, load_settings
from staffroom.workers import background_workers
from storage import migrate
from storage.engine import create_engine, create_sessionmaker
from storage.id_tags import claim_process_tag
from storage.models import Role


class CommandError(Exception):
    """A failure to report in one line, with exit status 1."""


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (override STAFFROOM_* variables)")
    group.add_argument("--domain", help="host[:port] this node is known by")
    group.add_argument("--database-url", help="sqlite:///PATH or postgresql://...")
    group.add_argument("--data-dir", help="where the SQLite file, secret key and media live")
    group.add_argument("--media-dir", help="where uploaded files are kept")
    group.add_argument(
        "--allow-http", action="store_const", const=True, help="http URLs (loopback, dev)"
    )
    group.add_argument(
        "--allow-private-addresses",
        action="store_const",
        const=True,
        help="let outgoing requests reach loopback and private networks (tests, dev)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "domain": args.domain,
        "database_url": args.database_url,
        "data_dir": args.data_dir,
        "media_dir": args.media_dir,
        "allow_http": args.allow_http,
        "allow_private_addresses": args.allow_private_addresses,
    }
    if getattr(args, "no_workers", False):
        overrides["workers"] = False
    for name in ("processes", "worker_processes"):
        if getattr(args, name, None) is not None:
            overrides[name] = getattr(args, name)
    for name in ("data_dir", "media_dir"):
        if overrides[name] is not None:
            overrides[name] = Path(overrides[name])
    return load_settings(overrides=overrides)


async def _ensure_migrated(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        behind = await migrate.pending(engine)
    finally:
        await engine.dispose()
    if behind:
        raise CommandError(
            "the database is not migrated to this version; run `staffroom migrate` first"
        )


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    asyncio.run(_ensure_migrated(settings))
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": args.access_log,
        "log_level": "info",
        "proxy_headers": False,
        # Open streaming connections would otherwise hold a shutdown forever.
        "timeout_graceful_shutdown": 5,
    }
    if settings.processes > 1:
        serve_many(settings, options)
        return
    with worker_processes(settings):
        claim_process_tag(settings.data_dir)
        in_process = settings.workers and not workers_apart(settings)
        app = create_app(replace(settings, workers=in_process))
        tune_for_serving()
        uvicorn.run(app, **options)


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> None:
    import uvloop

    async def run() -> None:
        await _ensure_migrated(settings)
        claim_process_tag(settings.data_dir)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with node_context(settings) as node:
            tune_for_serving()
            print(f"worker running for {settings.domain}", flush=True)
            await asyncio.gather(*background_workers(node, stop, settings))

    uvloop.run(run())


async def _with_session(
    settings: Settings, work: Callable[[Any], Awaitable[None]], *, check: bool = True
) -> None:
    if check:
        await _ensure_migrated(settings)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            await work(session)
            await session.commit()
    finally:
        await engine.dispose()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> None:
    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        # Opening the node context once creates the instance actor and its keys.
        async with node_context(settings):
            pass

    asyncio.run(run())
    print(f"database at revision {migrate.head_revision()}")


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("no password on standard input")
        return password, False
    return generate_password(), True


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> None:
    role = parse_role(args.role)
    password, generated = _read_password(args)
    fields = [
        {"name": name, "value": value}
        for name, value in (
            ("Subject", args.subject),
            ("School", args.school),
            ("Qualification", args.qualification),
        )
        if value
    ]

    async def work(session: Any) -> None:
        _account, actor = await create_person(
            session,
            node_config(settings),
            args.name,
            role=role,
            password=password,
            display_name=args.display_name or "",
            email=args.email,
            must_change_password=generated,
        )
        actor.fields = fields
        actor.summary = args.bio or ""

    asyncio.run(_with_session(settings, work))
    print(f"created {role.value} {args.name}@{settings.domain}")
    if generated:
        print(f"one-time password: {password}")


def cmd_users_ensure_admin(settings: Settings, args: argparse.Namespace) -> None:
    """Create the first admin on a node that has none (``make run`` calls this)."""
    password = generate_password()
    created: list[bool] = []

    async def work(session: Any) -> None:
        if await count_admins(session) == 0:
            await create_person(
                session,
                node_config(settings),
                args.name,
                role=Role.ADMIN,
                password=password,
                display_name="Administrator",
                must_change_password=True,
            )
            created.append(True)

    asyncio.run(_with_session(settings, work))
    if created:
        print(f"created the first admin: {args.name}@{settings.domain}")
        print(f"one-time password (shown once): {password}")


def cmd_users_list(settings: Settings, _args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        for account, actor in await list_accounts(session):
            state = " (disabled)" if account.disabled else ""
            print(f"{actor.username}@{settings.domain}\t{account.role}\t{actor.ap_id}{state}")

    asyncio.run(_with_session(settings, work))


def cmd_users_token(settings: Settings, args: argparse.Namespace) -> None:
    scopes = parse_scopes(args.scopes)
    tokens: list[str] = []

    async def work(session: Any) -> None:
        found = await account_by_name(session, args.name)
        if found is None:
            raise CommandError(f"no account named {args.name!r}")
        tokens.append(await issue_token(session, found[0], scopes, description="cli"))

    asyncio.run(_with_session(settings, work))
    print(tokens[0])


def cmd_users_rotate_key(settings: Settings, args: argparse.Namespace) -> None:
    """New key pair for an account, announced to its followers with Update(Person)."""
    from actors.profile import rotate_keys

    async def run() -> None:
        await _ensure_migrated(settings)
        async with node_context(settings) as node, node.sessions() as session:
            found = await account_by_name(session, args.name)
            if found is None:
                raise CommandError(f"no account named {args.name!r}")
            await rotate_keys(session, node, found[1])
            await session.commit()

    asyncio.run(run())
    print(f"new key for {args.name}@{settings.domain}; followers are told with Update")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="staffroom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve HTTP (with delivery workers unless told not)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-workers", action="store_true", help="run no background workers")
    serve.add_argument(
        "--processes",
        type=int,
        help="web processes (one per core); above 1, the workers get processes of their own",
    )
    serve.add_argument(
        "--worker-processes",
        type=int,
        help="processes for the inbox and delivery queues beside the web processes (default 1)",
    )
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run background workers only").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="manage local accounts").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="create an account")
    create.add_argument("name")
    create.add_argument("--role", default="teacher", help="admin, moderator, teacher, ...")
    create.add_argument("--display-name")
    create.add_argument("--email")
    create.add_argument("--bio")
    create.add_argument("--subject")
    create.add_argument("--school")
    create.add_argument("--qualification")
    create.add_argument("--password-stdin", action="store_true")
    create.set_defaults(func=cmd_users_create)
    users.add_parser("list", help="list accounts").set_defaults(func=cmd_users_list)
    token = users.add_parser("token", help="print a new bearer token for an account")
    token.add_argument("name")
    token.add_argument("--scopes", default="read,write,follow")
    token.set_defaults(func=cmd_users_token)
    rotate = users.add_parser("rotate-key", help="give an account a new key pair")
    rotate.add_argument("name")
    rotate.set_defaults(func=cmd_users_rotate_key)
    admin = users.add_parser("ensure-admin", help="create the first admin if there is none")
    admin.add_argument("--name", default="admin")
    admin.set_defaults(func=cmd_users_ensure_admin)

    material_commands = cli_materials.register(sub)
    community_commands = cli_communities.register(sub)
    event_commands = cli_events.register(sub)
    safety_commands = cli_safety.register(sub)
    demo_commands = cli_demo.register(sub)
    account_commands = cli_accounts.register(sub)
    leaves = (serve, sub.choices["worker"], sub.choices["migrate"], *users.choices.values())
    for leaf in (
        *leaves,
        *material_commands,
        *community_commands,
        *event_commands,
        *safety_commands,
        *demo_commands,
        *account_commands,
    ):
        _add_setting_flags(leaf)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request at INFO: one line per delivery is noise (and CPU in a fan-out).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
        args.func(settings, args)
    except SettingsError as exc:
        print(f"staffroom: invalid setting: {exc}", file=sys.stderr)
        return 2
    except (CommandError, cli_materials.ImportRefused, ValueError) as exc:
        print(f"staffroom: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
