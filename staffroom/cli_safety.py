"""``staffroom safety``: the school's switches and links, from the command line.

* ``link-parent PARENT STUDENT`` / ``unlink-parent PARENT STUDENT``
* ``invite --role student|parent|teacher [--student NAME] --by NAME [--uses N] [--days N]``
* ``domain-block DOMAIN [--severity suspend|silence|noop] [--reject-media] [--reject-reports]
  [--comment TEXT]`` / ``domain-unblock DOMAIN`` / ``domain-allow DOMAIN`` /
  ``domain-disallow DOMAIN`` / ``domains`` (the list)
* ``allowlist on|off``, ``students-federation none|followers``,
  ``publish-domain-blocks on|off``
* ``reports`` (the open queue) and ``audit`` (the log, newest first)

A running node sees a policy change within two seconds (its gate reloads).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from actors import guardians, invites, node_settings
from actors.local import account_by_name
from content.moderation import audit, domains, reports
from staffroom.app import node_config
from staffroom.settings import Settings
from storage.engine import create_engine, create_sessionmaker
from storage.models import DomainSeverity
from storage.repos.locality import STUDENT_FEDERATION


class SafetyCommandError(ValueError):
    pass


def _run(settings: Settings, work: Callable[[Any], Awaitable[None]]) -> None:
    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                await work(session)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


async def _account(session: Any, name: str) -> Any:
    found = await account_by_name(session, name)
    if found is None:
        raise SafetyCommandError(f"no local account {name!r}")
    return found


def cmd_link(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        parent, student = (
            await _account(session, args.parent),
            await _account(session, args.student),
        )
        if args.unlink:
            await guardians.unlink(session, parent_id=parent[1].id, student_id=student[1].id)
        else:
            await guardians.link(session, parent_id=parent[1].id, student_id=student[1].id, by=None)

    _run(settings, work)
    print(f"{'unlinked' if args.unlink else 'linked'} {args.parent} and {args.student}")


def cmd_invite(settings: Settings, args: argparse.Namespace) -> None:
    out: dict[str, str] = {}

    async def work(session: Any) -> None:
        issuer = await _account(session, args.by)
        student = await _account(session, args.student) if args.student else None
        _invite, code = await invites.issue(
            session,
            issuer[0],
            role=args.role,
            student_id=student[1].id if student else None,
            max_uses=args.uses,
            valid_days=args.days,
        )
        out["url"] = f"{node_config(settings).base_url}/invite/{code}"

    _run(settings, work)
    print(out["url"])


def cmd_domain_block(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        if args.unblock:
            if not await domains.unblock(session, args.target):
                raise SafetyCommandError(f"{args.target} is not blocked")
            return
        await domains.block(
            session,
            args.target,
            severity=args.severity,
            reject_media=args.reject_media,
            reject_reports=args.reject_reports,
            public_comment=args.comment or "",
        )

    _run(settings, work)
    print(f"{'unblocked' if args.unblock else 'blocked'} {args.target}")


def cmd_domain_allow(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        if args.disallow:
            if not await domains.disallow(session, args.target):
                raise SafetyCommandError(f"{args.target} is not on the allowlist")
        else:
            await domains.allow(session, args.target)

    _run(settings, work)
    print(f"{'removed' if args.disallow else 'allowed'} {args.target}")


def cmd_domains(settings: Settings, _args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        mode = await node_settings.read(session, "federation.allowlist_mode")
        print(f"allowlist mode: {'on' if mode else 'off'}")
        for row in await domains.policies(session):
            flags = [row.severity] + [
                name
                for name, on in (
                    ("reject-media", row.reject_media),
                    ("reject-reports", row.reject_reports),
                    ("allowed", row.allowed),
                )
                if on
            ]
            print(f"{row.domain}\t{' '.join(flags)}")

    _run(settings, work)


def _switch(name: str, values: dict[str, Any]) -> Callable[[Settings, argparse.Namespace], None]:
    def command(settings: Settings, args: argparse.Namespace) -> None:
        async def work(session: Any) -> None:
            if name == "federation.allowlist_mode":
                dropped = await domains.set_allowlist_mode(session, values[args.value])
                if dropped:
                    print(f"dropped {dropped} queued deliveries to unlisted domains")
            else:
                await node_settings.write(session, name, values[args.value])
                await audit.record(
                    session, "setting", moderator=None, extra={name: values[args.value]}
                )

        _run(settings, work)
        print(f"{name} = {values[args.value]}")

    return command


def cmd_reports(settings: Settings, _args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        for report in await reports.queue(session):
            print(
                f"{report.id}\t{report.category}\t{report.created_at:%Y-%m-%d %H:%M}\t"
                f"target={report.target_id}\t{report.comment[:60]!r}"
            )

    _run(settings, work)


def cmd_audit(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        for row in await audit.entries(session, limit=args.limit):
            who = row.moderator_id or "cli"
            what = row.target_domain or row.target_actor_id or ""
            print(f"{row.created_at:%Y-%m-%d %H:%M:%S}\t{who}\t{row.action}\t{what}\t{row.reason}")

    _run(settings, work)


def register(subparsers: Any) -> list[argparse.ArgumentParser]:
    safety = subparsers.add_parser(
        "safety", help="roles, guardians, invites, domain policy, reports"
    ).add_subparsers(dest="safety_command", required=True)
    leaves: list[argparse.ArgumentParser] = []

    for name, unlink in (("link-parent", False), ("unlink-parent", True)):
        p = safety.add_parser(name, help=f"{'unlink' if unlink else 'link'} a parent and a student")
        p.add_argument("parent")
        p.add_argument("student")
        p.set_defaults(func=cmd_link, unlink=unlink)
        leaves.append(p)

    p = safety.add_parser("invite", help="print an invite link carrying a role")
    p.add_argument("--role", required=True, choices=["student", "parent", "teacher", "moderator"])
    p.add_argument("--by", required=True, help="the staff account issuing it")
    p.add_argument("--student", help="for a parent invite: the child it links to")
    p.add_argument("--uses", type=int, default=1)
    p.add_argument("--days", type=int, default=14)
    p.set_defaults(func=cmd_invite)
    leaves.append(p)

    for name, unblock in (("domain-block", False), ("domain-unblock", True)):
        p = safety.add_parser(name, help=f"{'lift' if unblock else 'set'} a domain block")
        p.add_argument("target", metavar="DOMAIN")
        if not unblock:
            p.add_argument(
                "--severity",
                default=DomainSeverity.SUSPEND.value,
                choices=[s.value for s in DomainSeverity],
            )
            p.add_argument("--reject-media", action="store_true")
            p.add_argument("--reject-reports", action="store_true")
            p.add_argument("--comment", help="the public comment")
        p.set_defaults(func=cmd_domain_block, unblock=unblock)
        leaves.append(p)

    for name, disallow in (("domain-allow", False), ("domain-disallow", True)):
        p = safety.add_parser(name, help=f"{'remove from' if disallow else 'add to'} the allowlist")
        p.add_argument("target", metavar="DOMAIN")
        p.set_defaults(func=cmd_domain_allow, disallow=disallow)
        leaves.append(p)

    p = safety.add_parser("domains", help="the allowlist mode and every domain policy")
    p.set_defaults(func=cmd_domains)
    leaves.append(p)

    on_off = {"on": True, "off": False}
    for name, setting, values in (
        ("allowlist", "federation.allowlist_mode", on_off),
        ("publish-domain-blocks", "federation.publish_domain_blocks", on_off),
        ("students-federation", STUDENT_FEDERATION, {"none": "none", "followers": "followers"}),
    ):
        p = safety.add_parser(name, help=f"set {setting}")
        p.add_argument("value", choices=list(values))
        p.set_defaults(func=_switch(setting, values))
        leaves.append(p)

    p = safety.add_parser("reports", help="the open moderation queue")
    p.set_defaults(func=cmd_reports)
    leaves.append(p)
    p = safety.add_parser("audit", help="the moderation audit log, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_audit)
    leaves.append(p)
    return leaves
