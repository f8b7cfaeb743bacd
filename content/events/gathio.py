"""Joining a gathio event: gathio's RSVP, not Mobilizon's ``Join``.

gathio (https://github.com/lowercasename/gathio) makes every event an actor
(a ``Person``); following it brings the follower a direct ``Create{Event}``
and an RSVP poll. gathio ignores ``Join``; it takes an RSVP as an
``Accept`` whose ``object`` is the id of the Event it sent (a string) and
whose first ``to`` is the event actor, and an un-RSVP as ``Undo`` of that
``Accept`` (again ``to`` the event actor). It answers with a direct Note, not
an activity, so our participant is taken as accepted when the RSVP leaves
(a host that approves attendees tells the person in that Note). Shapes:
``tests/fixtures/gathio/README.md``.

A server is gathio when its NodeInfo says so (``software.name`` "Gathio",
learned once per host, :func:`actors.peers.software_at`).

gathio's edits name an id it never sent: each follower gets the Event under
a new per-message id (``https://HOST/EVENTID/m/GUID``), but the
``Update{Event}`` carries the id gathio keeps (``https://HOST/GUID``), which
it does not serve either. :func:`copies_updated` finds what such an Update
means: an event actor is one event, so every Event that actor sent us.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.peers import software_at
from content.as2 import attributed_to, iso
from federation.jsonld import canonical_context
from federation.origin import same_origin
from federation.vocab import id_of
from storage.ids import new_id
from storage.models import Actor, ContentObject
from storage.types import utcnow

SOFTWARE = "gathio"


async def is_gathio(session: AsyncSession, node: NodeContext, organizer: Actor) -> bool:
    return not organizer.local and await software_at(session, node, organizer.ap_id) == SOFTWARE


async def copies_updated(
    session: AsyncSession, node: NodeContext, editor: Actor, doc: dict[str, Any]
) -> list[ContentObject]:
    """The Events a gathio ``Update{Event}`` whose id we do not hold refers to.

    Only the event's own: ``editor`` (the Update's signed actor) is a gathio
    event actor, the Update's Event is on its host and attributed to no one
    else, and the Events are the live ones ``editor`` sent us under its own
    per-message ids (``<editor>/m/...``; one per follower it sent them to).
    Nothing else, so no actor can reach another's Event this way, and an
    Update of an unknown id from any other software changes nothing.
    """
    ap_id = id_of(doc)
    claimed = attributed_to(doc)
    if editor.local or editor.gone or ap_id is None or not same_origin(ap_id, editor.ap_id):
        return []
    if claimed is not None and claimed != editor.ap_id:
        return []
    rows = await session.exec(
        select(ContentObject).where(
            ContentObject.author_id == editor.id,
            ContentObject.type == "Event",
            col(ContentObject.local).is_(False),
            col(ContentObject.deleted_at).is_(None),
            col(ContentObject.ap_id).startswith(f"{editor.ap_id}/m/", autoescape=True),
        )
    )
    copies = list(rows.all())
    if not copies or not await is_gathio(session, node, editor):
        return []
    return copies


def rsvp(
    node: NodeContext, participant: Actor, obj: ContentObject, organizer: Actor
) -> dict[str, Any]:
    """``Accept`` of the Event gathio sent us: an affirmative RSVP."""
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(participant.username, new_id()),
        "type": "Accept",
        "actor": participant.ap_id,
        "to": [organizer.ap_id],
        "published": iso(utcnow()),
        "object": obj.ap_id,
    }


def unrsvp(
    node: NodeContext, participant: Actor, obj: ContentObject, organizer: Actor, rsvp_id: str
) -> dict[str, Any]:
    """``Undo`` of our RSVP (gathio matches ``object.object`` and ``to``)."""
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(participant.username, new_id()),
        "type": "Undo",
        "actor": participant.ap_id,
        "to": [organizer.ap_id],
        "published": iso(utcnow()),
        "object": {
            "id": rsvp_id,
            "type": "Accept",
            "actor": participant.ap_id,
            "to": [organizer.ap_id],
            "object": obj.ap_id,
        },
    }
