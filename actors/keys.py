"""Public keys of signers: found in our rows, else fetched, cached and refetched on rotation.

The inbox's verifier calls :meth:`KeyStore.resolve` with ``refresh=False``
first and, when a signature does not verify, once more with ``refresh=True``:
the remote may have rotated its key. Refreshes of one key are rate-limited and
single-flight, so a flood of forged signatures cannot make us hammer a server.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlmodel import select

from actors.as2 import InvalidActorError, remote_actor_fields
from actors.config import NodeConfig
from actors.remote import RemoteActors, upsert_remote_actor
from federation.errors import FederationError, KeyNotFoundError
from federation.origin import same_origin, strip_fragment
from federation.signatures.keys import PublicKeyInfo
from federation.vocab import ACTOR_TYPES, id_of, type_of
from storage.engine import SessionMaker
from storage.models import Actor

CACHE_SECONDS = 3600.0
MIN_REFRESH_INTERVAL = 30.0
CACHE_LIMIT = 10_000


class KeyStore:
    def __init__(self, sessions: SessionMaker, remote: RemoteActors, node: NodeConfig) -> None:
        self._sessions = sessions
        self._remote = remote
        self._node = node
        self._cache: dict[str, tuple[PublicKeyInfo, float]] = {}
        # When each key was last refetched because a signature failed with it.
        self._refreshed_at: dict[str, float] = {}
        self._inflight: dict[str, asyncio.Future[PublicKeyInfo]] = {}

    async def resolve(self, key_id: str, refresh: bool = False) -> PublicKeyInfo:
        now = time.monotonic()
        cached = self._cache.get(key_id)
        if cached and not refresh and now - cached[1] < CACHE_SECONDS:
            return cached[0]
        if not refresh or self._node.is_local(key_id):
            stored = await self._from_rows(key_id)
            if stored is not None:
                return self._remember(stored)
            if self._node.is_local(key_id):
                raise KeyNotFoundError("no such key on this node")
        last = self._refreshed_at.get(key_id)
        if refresh:
            if cached and last is not None and now - last < MIN_REFRESH_INTERVAL:
                return cached[0]
            self._refreshed_at[key_id] = now
        return await self._fetch_single_flight(key_id)

    async def _from_rows(self, key_id: str) -> PublicKeyInfo | None:
        async with self._sessions() as session:
            actor = (await session.exec(select(Actor).where(Actor.public_key_id == key_id))).first()
        if actor is None or not actor.public_key_pem or actor.gone:
            return None
        return PublicKeyInfo(key_id=key_id, owner=actor.ap_id, public_key_pem=actor.public_key_pem)

    def _remember(self, info: PublicKeyInfo) -> PublicKeyInfo:
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.pop(next(iter(self._cache)))
        self._cache[info.key_id] = (info, time.monotonic())
        return info

    async def _fetch_single_flight(self, key_id: str) -> PublicKeyInfo:
        pending = self._inflight.get(key_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[PublicKeyInfo] = asyncio.get_running_loop().create_future()
        self._inflight[key_id] = future
        try:
            info = await self._fetch(key_id)
            future.set_result(info)
            return info
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters may be none
            raise
        finally:
            del self._inflight[key_id]

    async def _fetch(self, key_id: str) -> PublicKeyInfo:
        try:
            doc = await self._remote.fetch_document(strip_fragment(key_id))
            owner_doc, url = await self._owner_document(key_id, doc)
            fields = remote_actor_fields(owner_doc, url)
        except InvalidActorError as exc:
            raise KeyNotFoundError(f"key {key_id} has no valid owner: {exc.reason}") from exc
        except FederationError as exc:
            raise KeyNotFoundError(f"could not fetch key {key_id}: {exc.reason}") from exc
        if fields["public_key_id"] != key_id or not fields["public_key_pem"]:
            raise KeyNotFoundError(f"the owner of {key_id} does not publish that key")
        async with self._sessions() as session:
            await upsert_remote_actor(session, fields)
            await session.commit()
        return self._remember(
            PublicKeyInfo(
                key_id=key_id, owner=fields["ap_id"], public_key_pem=fields["public_key_pem"]
            )
        )

    async def _owner_document(self, key_id: str, doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """The actor that owns ``key_id``: the fetched document, or the Key's owner."""
        url = strip_fragment(key_id)
        if type_of(doc) in ACTOR_TYPES:
            return doc, url
        owner = id_of(doc.get("owner"))
        if owner is None or not same_origin(owner, key_id):
            raise KeyNotFoundError(f"key {key_id} names no owner on its own origin")
        return await self._remote.fetch_document(owner), owner
