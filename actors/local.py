"""Creating and finding local actors: people (with accounts) and the instance actor."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from actors.minors import apply_student_defaults
from actors.passwords import hash_password
from actors.roles import INSTANCE_ACTOR_USERNAME, validate_username
from federation.signatures.keys import generate_rsa_keypair
from storage.models import Account, Actor, ActorType, Role
from storage.upsert import insert_if_absent


class NameTakenError(ValueError):
    pass


def _new_local_actor(
    node: NodeConfig, username: str, actor_type: ActorType, *, ap_id: str
) -> Actor:
    private_pem, public_pem = generate_rsa_keypair()
    return Actor(
        ap_id=ap_id,
        type=actor_type,
        local=True,
        local_username=username.lower(),
        username=username,
        domain=node.domain,
        url=node.profile_url(username) if actor_type != ActorType.APPLICATION else None,
        inbox_url=f"{ap_id}/inbox",
        outbox_url=f"{ap_id}/outbox",
        shared_inbox_url=node.shared_inbox_url,
        followers_url=f"{ap_id}/followers" if actor_type != ActorType.APPLICATION else None,
        following_url=f"{ap_id}/following" if actor_type != ActorType.APPLICATION else None,
        featured_url=f"{ap_id}/collections/featured"
        if actor_type != ActorType.APPLICATION
        else None,
        public_key_id=f"{ap_id}#main-key",
        public_key_pem=public_pem,
        private_key_pem=private_pem,
    )


async def local_actor_by_name(session: AsyncSession, username: str) -> Actor | None:
    return (
        await session.exec(
            select(Actor).where(Actor.local_username == username.lower(), col(Actor.local))
        )
    ).first()


async def create_person(
    session: AsyncSession,
    node: NodeConfig,
    username: str,
    *,
    role: Role,
    password: str,
    display_name: str = "",
    email: str | None = None,
    must_change_password: bool = False,
) -> tuple[Account, Actor]:
    """Create a local Person with an RSA-2048 key pair and a log-in account."""
    validate_username(username)
    if await local_actor_by_name(session, username) is not None:
        raise NameTakenError(f"the name {username!r} is already taken on this node")
    actor = _new_local_actor(node, username, ActorType.PERSON, ap_id=node.actor_url(username))
    actor.display_name = display_name or username
    if role == Role.STUDENT:
        apply_student_defaults(actor)
    session.add(actor)
    await session.flush()
    assert actor.id is not None
    account = Account(
        actor_id=actor.id,
        role=role,
        email=email,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    session.add(account)
    await session.flush()
    return account, actor


async def create_group(
    session: AsyncSession, node: NodeConfig, username: str, *, display_name: str = ""
) -> Actor:
    """A local ``Group`` actor (a community): a key pair, no log-in account.

    Groups share the one namespace of local names with people, so
    ``name@node`` still means exactly one actor and WebFinger finds it.
    """
    validate_username(username)
    if await local_actor_by_name(session, username) is not None:
        raise NameTakenError(f"the name {username!r} is already taken on this node")
    actor = _new_local_actor(node, username, ActorType.GROUP, ap_id=node.actor_url(username))
    actor.display_name = display_name or username
    session.add(actor)
    await session.flush()
    return actor


async def ensure_instance_actor(session: AsyncSession, node: NodeConfig) -> Actor:
    """The node's Application actor, which signs fetches made on no one's behalf."""
    actor = await local_actor_by_name(session, INSTANCE_ACTOR_USERNAME)
    if actor is not None:
        return actor
    actor = _new_local_actor(
        node, INSTANCE_ACTOR_USERNAME, ActorType.APPLICATION, ap_id=node.instance_actor_url
    )
    actor.display_name = node.node_name
    actor.manually_approves_followers = True
    actor.discoverable = False
    # `serve` and `worker` may both start on a fresh database: the loser of
    # the race reads the winner's row instead of failing on the unique name.
    await insert_if_absent(session, actor)
    found = await local_actor_by_name(session, INSTANCE_ACTOR_USERNAME)
    assert found is not None
    return found


async def count_admins(session: AsyncSession) -> int:
    result = await session.exec(
        select(func.count()).select_from(Account).where(Account.role == Role.ADMIN)
    )
    return int(result.one())


async def list_accounts(session: AsyncSession) -> list[tuple[Account, Actor]]:
    rows = await session.exec(
        select(Account, Actor)
        .join(Actor, Account.actor_id == Actor.id)  # type: ignore[arg-type]
        .order_by(col(Account.id))
    )
    return list(rows.all())


async def account_by_name(session: AsyncSession, username: str) -> tuple[Account, Actor] | None:
    row = (
        await session.exec(
            select(Account, Actor)
            .join(Actor, Account.actor_id == Actor.id)  # type: ignore[arg-type]
            .where(Actor.local_username == username.lower())
        )
    ).first()
    return None if row is None else (row[0], row[1])
