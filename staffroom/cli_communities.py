"""``staffroom communities``: create and list communities, name their moderators.

* ``create NAME --display-name X [--closed] [--invitation] [--members-only]
  [--announcements] [--owner ACCOUNT] [--description ...] [--rules ...]
  [--subject S ...] [--level L] [--kind K]``: ``--closed`` is join by
  approval, ``--invitation`` join by invitation only, ``--members-only``
  keeps its posts and members for members, ``--announcements`` lets only
  moderators start threads.
* ``list``: every local community with its policies and member count.
* ``moderators add|remove NAME ACCOUNT``: a local account gains or loses the
  moderator role (the owner stays owner).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from actors.local import account_by_name
from content.communities import manage
from content.communities.manage import CommunityDraft, CommunityError
from content.communities.membership import member_count
from staffroom.app import node_context
from staffroom.settings import Settings
from storage.models import Actor, CommunityVisibility, JoinPolicy, PostingPolicy


async def _account_actor(session: Any, name: str) -> Actor:
    found = await account_by_name(session, name)
    if found is None:
        raise CommunityError(f"no account named {name!r}")
    return found[1]


async def create(settings: Settings, args: argparse.Namespace) -> str:
    join = JoinPolicy.OPEN
    if args.closed:
        join = JoinPolicy.APPROVAL
    if args.invitation:
        join = JoinPolicy.INVITATION
    draft = CommunityDraft(
        name=args.name,
        display_name=args.display_name or args.name,
        description=args.description or "",
        rules=args.rules or "",
        subjects=list(args.subject or []),
        level=args.level or "",
        kind=args.kind or "",
        join_policy=join,
        posting_policy=PostingPolicy.MODERATORS if args.announcements else PostingPolicy.MEMBERS,
        visibility=CommunityVisibility.MEMBERS if args.members_only else CommunityVisibility.PUBLIC,
    )
    async with node_context(settings) as node, node.sessions() as session:
        owner = await _account_actor(session, args.owner) if args.owner else None
        actor, _community = await manage.create_community(session, node.config, draft, owner)
        await session.commit()
        return actor.ap_id


async def listing(settings: Settings) -> list[str]:
    async with node_context(settings) as node, node.sessions() as session:
        lines = []
        for actor, community in await manage.list_communities(session, limit=10_000):
            count = await member_count(session, actor)
            lines.append(
                f"{actor.username}\t{actor.display_name}\tjoin={community.join_policy}"
                f"\tposting={community.posting_policy}\tvisibility={community.visibility}"
                f"\tmembers={count}"
            )
        return lines


async def moderators(settings: Settings, args: argparse.Namespace) -> bool:
    async with node_context(settings) as node, node.sessions() as session:
        found = await manage.community_by_name(session, args.name)
        if found is None:
            raise CommunityError(f"no community named {args.name!r}")
        person = await _account_actor(session, args.account)
        if args.moderators_command == "add":
            changed = await manage.add_moderator(session, found[0], person)
        else:
            changed = await manage.remove_moderator(session, found[0], person)
        await session.commit()
        return changed


def cmd_create(settings: Settings, args: argparse.Namespace) -> None:
    print(f"created {asyncio.run(create(settings, args))}")


def cmd_list(settings: Settings, _args: argparse.Namespace) -> None:
    for line in asyncio.run(listing(settings)):
        print(line)


def cmd_moderators(settings: Settings, args: argparse.Namespace) -> None:
    changed = asyncio.run(moderators(settings, args))
    verb = "added" if args.moderators_command == "add" else "removed"
    print(f"{args.account} {verb}" if changed else f"{args.account}: nothing to change")


def register(subparsers: Any) -> list[argparse.ArgumentParser]:
    """Add ``communities create|list|moderators add|remove``; returns the leaf parsers."""
    top = subparsers.add_parser("communities", help="federated communities (groups)")
    sub = top.add_subparsers(dest="communities_command", required=True)
    create_p = sub.add_parser("create", help="create a community")
    create_p.add_argument("name")
    create_p.add_argument("--display-name")
    create_p.add_argument("--description")
    create_p.add_argument("--rules")
    create_p.add_argument("--subject", action="append", help="a subject (repeat for more)")
    create_p.add_argument("--level", help=", ".join(manage.LEVELS))
    create_p.add_argument("--kind", help=", ".join(manage.KINDS))
    create_p.add_argument("--owner", help="the local account that owns it")
    create_p.add_argument("--closed", action="store_true", help="join by approval")
    create_p.add_argument("--invitation", action="store_true", help="join by invitation only")
    create_p.add_argument("--members-only", action="store_true", help="posts for members only")
    create_p.add_argument(
        "--announcements", action="store_true", help="only moderators start threads"
    )
    create_p.set_defaults(func=cmd_create)
    list_p = sub.add_parser("list", help="list the node's communities")
    list_p.set_defaults(func=cmd_list)
    mods = sub.add_parser("moderators", help="add or remove a moderator").add_subparsers(
        dest="moderators_command", required=True
    )
    leaves = [create_p, list_p]
    for verb in ("add", "remove"):
        leaf = mods.add_parser(verb, help=f"{verb} a moderator")
        leaf.add_argument("name", help="the community")
        leaf.add_argument("account", help="a local account")
        leaf.set_defaults(func=cmd_moderators)
        leaves.append(leaf)
    return leaves
