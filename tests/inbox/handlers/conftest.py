"""A node in-process over a fresh database, a loopback "remote server", and a harness.

Handler specs run the real path after the HTTP edge: the payload (a real one
from ``tests/fixtures/<software>/``, its hosts rewritten to the loopback
server and to our node) is normalized and origin-checked exactly as
:mod:`inbox.pipeline` does, stored with :func:`storage.repos.inbox.insert_once`
and processed by :func:`inbox.worker.process_item`, so the outcome
(``processed``, ``rejected``, a retry) is the worker's. Fetches (reply
parents, boosted posts, refreshed actors) go to the loopback server through
the real SafeClient, signed by our instance actor.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel, col, select

from actors.context import NodeContext
from actors.remote import actor_by_ap_id
from federation.constants import PUBLIC
from federation.jsonld import normalize
from inbox import worker
from inbox.pipeline import _check_origins
from staffroom.app import node_context
from staffroom.settings import load_settings
from storage.engine import SessionMaker
from storage.ids import new_id
from storage.models import (
    Activity,
    Actor,
    ContentObject,
    Delivery,
    InboxItem,
    MailboxEntry,
    Visibility,
)
from storage.repos.inbox import insert_once
from tests.support.remote import RemoteActor, RemoteServer, remote_server

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LOCAL_DOMAIN = "127.0.0.1:1"  # never served: nothing may fetch our own ids


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteServer]:
    with remote_server() as server:
        yield server


@pytest.fixture
async def node(
    sessions: SessionMaker, migrated_database_url: str, tmp_path: Path
) -> AsyncIterator[NodeContext]:
    settings = load_settings(
        env={
            "STAFFROOM_DOMAIN": LOCAL_DOMAIN,
            "STAFFROOM_DATA_DIR": str(tmp_path / "data"),
            "STAFFROOM_DATABASE_URL": migrated_database_url,
            "STAFFROOM_ALLOW_HTTP": "true",
            "STAFFROOM_ALLOW_PRIVATE_ADDRESSES": "true",
            "STAFFROOM_SECRET_KEY": "s" * 40,
        }
    )
    async with node_context(settings) as context:
        yield context


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def adapt(name: str, hosts: dict[str, str]) -> dict[str, Any]:
    """A fixture with ids rewritten: each key (longest first) becomes its value."""
    text = fixture_text(name)
    for old in sorted(hosts, key=len, reverse=True):
        text = text.replace(old, hosts[old])
    doc: dict[str, Any] = json.loads(text)
    return doc


class Harness:
    """What the handler specs do to a node: make actors and posts, receive, look."""

    def __init__(self, node: NodeContext, remote: RemoteServer) -> None:
        self.node = node
        self.remote = remote

    @property
    def base_url(self) -> str:
        return self.node.config.base_url

    # -- the world ---------------------------------------------------------------

    async def local(self, name: str, **attrs: Any) -> Actor:
        """A local Person (without keys: nothing here signs)."""
        ap_id = self.node.config.actor_url(name)
        actor = Actor(
            id=new_id(),
            ap_id=ap_id,
            local=True,
            local_username=name.lower(),
            username=name,
            domain=self.node.config.domain,
            inbox_url=f"{ap_id}/inbox",
            outbox_url=f"{ap_id}/outbox",
            shared_inbox_url=self.node.config.shared_inbox_url,
            followers_url=f"{ap_id}/followers",
            following_url=f"{ap_id}/following",
            featured_url=f"{ap_id}/collections/featured",
            **attrs,
        )
        async with self.node.sessions() as session:
            session.add(actor)
            await session.commit()
        return actor

    async def known(self, actor: RemoteActor) -> Actor:
        """A remote actor as the signature check leaves it: fetched and stored."""
        return await self.node.remote.get(actor.id)

    async def post(
        self,
        author: Actor,
        *,
        ap_id: str | None = None,
        visibility: Visibility = Visibility.PUBLIC,
        **fields: Any,
    ) -> ContentObject:
        """A stored post by ``author`` (local or remote), addressed as ``visibility`` says."""
        assert author.id is not None
        followers = author.followers_url or f"{author.ap_id}/followers"
        to, cc = {
            Visibility.PUBLIC: ([PUBLIC], [followers]),
            Visibility.UNLISTED: ([followers], [PUBLIC]),
            Visibility.FOLLOWERS: ([followers], []),
            Visibility.DIRECT: ([], []),
        }[visibility]
        oid = new_id()
        obj = ContentObject(
            id=oid,
            ap_id=ap_id or f"{author.ap_id}/statuses/{oid}",
            author_id=author.id,
            local=author.local,
            visibility=visibility,
            content="<p>A lesson plan</p>",
            to=to,
            cc=cc,
            **fields,
        )
        async with self.node.sessions() as session:
            session.add(obj)
            await session.commit()
        return obj

    # -- receiving -----------------------------------------------------------------

    async def receive(
        self, body: dict[str, Any], *, key_id: str | None = None, edge: bool = True
    ) -> InboxItem:
        """Store ``body`` as the pipeline would (signed by its actor) and run the worker on it.

        ``edge=False`` skips the pipeline's origin checks, to show what a handler
        does on its own with what the edge would have refused (defence in depth:
        our own deliveries and rows stored by older code do not pass the edge).
        """
        activity = normalize(copy.deepcopy(body))
        if edge:
            activity_id, kind, actor = _check_origins(activity, activity["actor"])
        else:
            activity_id, kind, actor = activity["id"], activity["type"], activity["actor"]
        local = key_id == "local"
        if not local and await self.row(Actor, ap_id=actor) is None:
            await self.node.remote.get(actor)
        async with self.node.sessions() as session:
            await insert_once(
                session,
                {
                    "activity_id": activity_id,
                    "activity_type": kind,
                    "actor_ap_id": actor,
                    "recipient_id": None,
                    "key_id": key_id or f"{actor}#main-key",
                    "body": activity,
                },
            )
            await session.commit()
        item = await self.row(InboxItem, activity_id=activity_id)
        assert item is not None
        await worker.process_item(self.node, item)
        done = await self.row(InboxItem, activity_id=activity_id)
        assert done is not None
        return done

    async def drain(self) -> int:
        """Process everything waiting in our inbox (our own local deliveries included)."""
        total = 0
        while claimed := await worker.run_once(self.node):
            total += claimed
        return total

    # -- looking --------------------------------------------------------------------

    async def row(self, model: type[Any], **where: Any) -> Any:
        rows = await self.rows(model, **where)
        return rows[0] if rows else None

    async def rows(self, model: type[SQLModel], **where: Any) -> list[Any]:
        async with self.node.sessions() as session:
            query = select(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return list((await session.exec(query)).all())

    async def obj(self, ap_id: str) -> ContentObject | None:
        found: ContentObject | None = await self.row(ContentObject, ap_id=ap_id)
        return found

    async def actor(self, ap_id: str) -> Actor | None:
        async with self.node.sessions() as session:
            return await actor_by_ap_id(session, ap_id)

    async def published(self, kind: str) -> list[Activity]:
        """Activities our actors published, of one type."""
        return list(await self.rows(Activity, type=kind))

    async def deliveries_to(self, inbox_url: str) -> list[dict[str, Any]]:
        """Bodies of the activities queued for one remote inbox."""
        async with self.node.sessions() as session:
            rows = await session.exec(
                select(Activity.body)
                .join(Delivery, col(Delivery.activity_id) == Activity.id)
                .where(Delivery.inbox_url == inbox_url)
                .order_by(col(Activity.id))
            )
            return list(rows.all())

    async def mailbox_of(self, owner: Actor) -> list[str]:
        """Activity ids in a local actor's inbox."""
        async with self.node.sessions() as session:
            rows = await session.exec(
                select(InboxItem.activity_id)
                .join(MailboxEntry, col(MailboxEntry.inbox_item_id) == InboxItem.id)
                .where(MailboxEntry.owner_id == owner.id)
            )
            return list(rows.all())


@pytest.fixture
def world(node: NodeContext, remote: RemoteServer) -> Harness:
    return Harness(node, remote)
