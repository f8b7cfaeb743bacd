"""The receive path, in order: media type → size → signature → JSON → JSON-LD → origin → store.

It ends at a durable, idempotent insert: a 202 means the activity is in the
database. What an activity *does* happens later, in the worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from actors.context import NodeContext
from federation.errors import FederationError, SignatureError
from federation.jsonld import normalize
from federation.limits import read_limited, require_activity_media_type
from federation.origin import same_origin
from federation.signatures import key_id_of, verify_request
from federation.strict_json import loads_object
from federation.vocab import ACTOR_TYPES, id_of, type_of

# Activities whose embedded object must be the actor's own.
AUTHORED_BY_ACTOR = frozenset({"Create", "Update"})


class BadActivityError(FederationError):
    status = 400


@dataclass(frozen=True)
class Received:
    activity_id: str
    activity_type: str
    actor: str
    key_id: str
    stored: bool  # False when the id was already stored (a redelivery)


#: Where an Announce's cut-back foreign ``Create`` is kept (a key no JSON-LD term expands to).
VOUCHED_KEY = "_staffroomVouchedCreate"


def _check_origins(activity: dict[str, Any], signer: str) -> tuple[str, str, str]:
    """Enforce who may say what; returns (id, type, actor).

    Creating or updating an object that lives on another origin is refused
    outright. Any other activity may embed a foreign object (an Announce of
    someone's post, an Accept quoting our Follow): it is cut back to its id,
    and the handler fetches it from where it lives instead of believing the
    sender.
    """
    activity_id = activity.get("id")
    kind = type_of(activity)
    actor = id_of(activity.get("actor"))
    if not isinstance(activity_id, str) or not activity_id:
        raise BadActivityError("the activity has no id")
    if not kind:
        raise BadActivityError("the activity has no type")
    if not actor:
        raise BadActivityError("the activity has no actor")
    if actor != signer:
        raise SignatureError("the key's owner is not the activity's actor")
    if not same_origin(activity_id, actor):
        raise BadActivityError("the activity id is not on the actor's origin")
    activity.pop(VOUCHED_KEY, None)  # only ever set below, never by the sender
    obj = activity.get("object")
    if isinstance(obj, dict):
        object_id = obj.get("id")
        if isinstance(object_id, str) and not same_origin(object_id, actor):
            if kind in AUTHORED_BY_ACTOR:
                raise BadActivityError(f"a {kind} of an object on another origin than its actor")
            activity["object"] = object_id
            if kind == "Announce" and type_of(obj) == "Create":
                # Kept aside, never as the object: a community's Announce of a
                # members-only post that no node can fetch (see inbox/handlers/community.py).
                activity[VOUCHED_KEY] = obj
        author = id_of(obj.get("attributedTo"))
        foreign_author = author is not None and author != actor
        # Mobilizon sends a group's event from the member who posts it: attributed to
        # the Group, on the same origin. The handler checks the Group (inbox.handlers.event).
        group_event = type_of(obj) == "Event" and author is not None and same_origin(author, actor)
        if (
            kind in AUTHORED_BY_ACTOR
            and foreign_author
            and not group_event
            and type_of(obj) not in ACTOR_TYPES
        ):
            raise BadActivityError(f"a {kind} of an object attributed to someone else")
    return activity_id, kind, actor


async def _check_sender_domain(node: NodeContext, headers: Mapping[str, str]) -> None:
    """Refuse a blocked or (allowlist mode) unlisted node before any other work.

    The key id names the sender's domain before the body is read; the
    signature check that follows proves it (an actor on another domain than
    its key is refused by the origin rules), so naming an allowed domain in a
    forged key id gains nothing.
    """
    key_id = key_id_of(headers)
    if key_id is not None:
        await node.gate.check(key_id)


async def receive(
    node: NodeContext,
    *,
    method: str,
    target: str,
    headers: Mapping[str, str],
    stream: AsyncIterator[bytes],
    recipient_id: int | None,
) -> Received:
    """Everything a refused request gets is a :class:`FederationError` (4xx), raised
    before anything is stored; the limits are those of :mod:`federation.limits`."""
    require_activity_media_type(headers.get("content-type"))
    await _check_sender_domain(node, headers)
    body = await read_limited(headers, stream, node.config.max_inbox_bytes)
    verified = await verify_request(
        method,
        target,
        headers,
        body,
        node.keys.resolve,
        scheme=node.config.scheme,
        authority=node.config.domain,
    )
    activity = normalize(loads_object(body))
    activity_id, kind, actor = _check_origins(activity, verified.owner)
    stored = await node.inbox_writer.store(
        {
            "activity_id": activity_id,
            "activity_type": kind,
            "actor_ap_id": actor,
            "recipient_id": recipient_id,
            "key_id": verified.key_id,
            "body": activity,
        }
    )
    return Received(activity_id, kind, actor, verified.key_id, stored)
