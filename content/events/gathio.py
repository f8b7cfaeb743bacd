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
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.peers import software_at
from content.as2 import iso
from federation.jsonld import canonical_context
from storage.ids import new_id
from storage.models import Actor, ContentObject
from storage.types import utcnow

SOFTWARE = "gathio"


async def is_gathio(session: AsyncSession, node: NodeContext, organizer: Actor) -> bool:
    return not organizer.local and await software_at(session, node, organizer.ap_id) == SOFTWARE


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
