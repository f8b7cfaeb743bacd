"""Events from gathio arrive, show as events and are joined from here (issue 13).

The payloads are ``tests/fixtures/gathio/`` (reconstructed from gathio's
source; see its README), served and sent by a loopback stand-in for a gathio
server whose NodeInfo says ``Gathio``. Our teacher follows the event's actor
(gathio's way in), gathio accepts and sends the ``Event`` and its RSVP poll
as direct messages; the event is stored with its row (times, the place given
as a plain string) and can be read by the teacher; joining sends gathio's
RSVP (``Accept`` of the Event it sent, to the event actor), not a ``Join``
gathio would ignore, and leaving its ``Undo``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from actors.graph import follow
from content import notifications
from content.events import participation, queries
from content.events.model import ACCEPTED, load_view
from content.visibility import may_read
from storage.models import (
    Actor,
    ContentObject,
    EventParticipant,
    EventRow,
    Follow,
    FollowState,
    PeerSoftware,
    Visibility,
)
from tests.inbox.handlers.conftest import Harness, adapt

EVENT_ID = "kXtYqcLsDbWnmhGfTeJ2A"


async def _gathio(world: Harness) -> tuple[Actor, Actor, dict[str, str]]:
    """The teacher, the gathio event actor (fetched), and the host mapping for fixtures."""
    teacher = await world.local("teacher")
    event_actor = world.remote.add_actor(EVENT_ID)
    hosts = {
        f"https://gathio.example/{EVENT_ID}": event_actor.id,
        "https://gathio.example": world.remote.base_url,
        "https://school.example/users/teacher": teacher.ap_id,
    }
    world.remote.serve(adapt("gathio/nodeinfo-discovery.json", hosts), "/.well-known/nodeinfo")
    world.remote.serve(adapt("gathio/nodeinfo-2.2.json", hosts), "/.well-known/nodeinfo/2.2")
    return teacher, await world.node.remote.get(event_actor.id), hosts


async def test_a_gathio_event_arrives_shows_as_an_event_and_is_joined(world: Harness) -> None:
    teacher, organizer, hosts = await _gathio(world)
    async with world.node.sessions() as session:
        me = await session.get(Actor, teacher.id)
        row = await follow(session, world.node, me, organizer)
        await session.commit()
    accept = adapt("gathio/activity-accept-follow.json", hosts)
    accept["object"]["id"] = row.activity_ap_id
    assert (await world.receive(accept)).state == "processed"
    assert (await world.row(Follow, follower_id=teacher.id)).state == FollowState.ACCEPTED

    created = adapt("gathio/activity-create-event.json", hosts)
    item = await world.receive(created)
    assert item.state == "processed", item.error
    obj: ContentObject | None = await world.obj(created["object"]["id"])
    assert obj is not None and obj.type == "Event" and obj.visibility == Visibility.DIRECT
    event: EventRow = await world.row(EventRow, object_id=obj.id)
    assert event is not None and event.organizer_id == organizer.id
    assert event.title == "Chemistry teachers' meetup"
    assert event.start_at == datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
    assert event.end_at == datetime(2026, 12, 10, 19, 0, tzinfo=UTC)
    assert event.place_name == "School 7, Room 12"
    async with world.node.sessions() as session:
        reader = await session.get(Actor, teacher.id)
        assert await may_read(session, obj, organizer, reader)
        assert not await may_read(session, obj, organizer, None)
    poll = await world.receive(adapt("gathio/activity-create-question.json", hosts))
    assert poll.state == "processed", poll.error

    async with world.node.sessions() as session:
        view = await load_view(session, obj.id)
        me = await session.get(Actor, teacher.id)
        assert view is not None and me is not None
        entry = await participation.join_remote(session, world.node, view, obj, me)
        await session.commit()
    assert entry.state == ACCEPTED  # gathio answers with a Note, never an activity
    async with world.node.sessions() as session:
        me = await session.get(Actor, teacher.id)
        listed = await queries.find(session, me, queries.EventQuery(joined=True))
        assert [r.object_id for r in listed] == [obj.id]
        shown, _ = await queries.visible_event(session, obj.id, me)
        assert shown.title == "Chemistry teachers' meetup"
    known = await world.row(PeerSoftware, host=world.remote.base_url.split("/")[2])
    assert known.software == "gathio" and known.members_only is False
    sent = _to_gathio(await world.deliveries_to(f"{world.remote.base_url}/inbox"))
    [rsvp] = [a for a in sent if a["type"] == "Accept"]
    assert rsvp["object"] == obj.ap_id and rsvp["to"][0] == organizer.ap_id
    assert not [a for a in sent if a["type"] == "Join"]
    thanks = await world.receive(adapt("gathio/activity-create-note-rsvp-confirmation.json", hosts))
    assert thanks.state == "processed", thanks.error

    async with world.node.sessions() as session:
        view = await load_view(session, obj.id)
        me = await session.get(Actor, teacher.id)
        assert view is not None and me is not None
        assert await participation.leave_remote(session, world.node, view, obj, me)
        await session.commit()
    assert await world.rows(EventParticipant) == []
    sent = _to_gathio(await world.deliveries_to(f"{world.remote.base_url}/inbox"))
    [undo] = [a for a in sent if a["type"] == "Undo"]
    assert undo["to"] == [organizer.ap_id]
    assert undo["object"]["type"] == "Accept" and undo["object"]["object"] == obj.ap_id
    assert undo["object"]["id"] == rsvp["id"]


async def _event_sent_to(world: Harness, hosts: dict[str, str], follower: Actor, n: int) -> str:
    """gathio's direct ``Create{Event}`` to ``follower``: the Event under a new message id."""
    created = adapt("gathio/activity-create-event.json", hosts)
    guid = f"{n:032x}"
    created["id"] = created["id"].rsplit("/", 1)[0] + f"/{guid}c"
    created["object"]["id"] = created["object"]["id"].rsplit("/", 1)[0] + f"/{guid}"
    created["to"], created["object"]["to"] = [follower.ap_id], follower.ap_id
    item = await world.receive(created)
    assert item.state == "processed", item.error
    ap_id: str = created["object"]["id"]
    return ap_id


async def _times(world: Harness, ap_id: str) -> tuple[datetime, datetime | None]:
    obj = await world.obj(ap_id)
    assert obj is not None
    row: EventRow = await world.row(EventRow, object_id=obj.id)
    return row.start_at, row.end_at


EARLIER = (datetime(2026, 12, 10, 17, 0, tzinfo=UTC), datetime(2026, 12, 10, 19, 0, tzinfo=UTC))
LATER = (datetime(2026, 12, 10, 17, 30, tzinfo=UTC), datetime(2026, 12, 10, 19, 30, tzinfo=UTC))


async def test_gathios_update_edits_the_event_it_sent_each_follower(world: Harness) -> None:
    """gathio's ``Update{Event}`` names the id it keeps (``/GUID``), not the per-message
    ids it sent (``/EVENTID/m/GUID``): the Events its actor sent us are the ones meant."""
    teacher, organizer, hosts = await _gathio(world)
    colleague = await world.local("colleague")
    mine = await _event_sent_to(world, hosts, teacher, 1)
    theirs = await _event_sent_to(world, hosts, colleague, 2)
    async with world.node.sessions() as session:
        obj = await session.get(ContentObject, (await world.obj(mine)).id)
        view = await load_view(session, obj.id)
        me = await session.get(Actor, teacher.id)
        assert obj is not None and view is not None and me is not None
        await participation.join_remote(session, world.node, view, obj, me)
        await session.commit()
    assert await _times(world, mine) == EARLIER

    update = adapt("gathio/activity-update-event.json", hosts)
    item = await world.receive(update)
    assert item.state == "processed", item.error
    assert await _times(world, mine) == LATER
    assert await _times(world, theirs) == LATER
    assert await world.obj(update["object"]["id"]) is None  # gathio's own id is not stored
    async with world.node.sessions() as session:
        me = await session.get(Actor, teacher.id)
        shown, _ = await queries.visible_event(session, (await world.obj(mine)).id, me)
        assert shown.start_at == LATER[0]  # what the events page and the API show
        told = await notifications.recent(session, me)
        # The participant hears of the new time (the Event's direct Create was a mention).
        edits = [(who.id, obj.ap_id) for n, who, obj in told if n.type == "update" and obj]
        assert edits == [(organizer.id, mine)]
    # The RSVP still names the Event as gathio sent it.
    assert (await world.obj(mine)).ap_id == mine


async def test_no_other_actor_or_software_edits_an_event_so(world: Harness) -> None:
    """Only the event actor's own Update, from gathio, about an Event on its host."""
    teacher, _organizer, hosts = await _gathio(world)
    mine = await _event_sent_to(world, hosts, teacher, 1)
    update = adapt("gathio/activity-update-event.json", hosts)

    # Another gathio event on the same server.
    other = await world.known(world.remote.add_actor("zzOtherEventOnGathio1"))
    assert (await world.receive({**update, "actor": other.ap_id})).state == "processed"
    assert await _times(world, mine) == EARLIER
    # The event's own actor, but an Event it says is someone else's.
    claimed = {**update["object"], "attributedTo": other.ap_id}
    done = await world.receive({**update, "id": update["id"] + "x", "object": claimed})
    assert done.state == "processed" and await _times(world, mine) == EARLIER
    # An Event on another host (the edge cuts it back to its id; the handler checks too).
    foreign = {**update["object"], "id": "https://elsewhere.example/6b8d0f2b"}
    done = await world.receive({**update, "id": update["id"] + "y", "object": foreign}, edge=False)
    assert done.state == "processed" and await _times(world, mine) == EARLIER
    # The same shapes from a server that is not gathio: an unknown id stays unknown.
    async with world.node.sessions() as session:
        known = await session.get(PeerSoftware, world.remote.base_url.split("/")[2])
        if known is not None:
            await session.delete(known)
            await session.commit()
    nodeinfo = adapt("gathio/nodeinfo-2.2.json", hosts)
    world.remote.serve({**nodeinfo, "software": {"name": "mobilizon", "version": "5"}},
                       "/.well-known/nodeinfo/2.2")  # fmt: skip
    done = await world.receive({**update, "id": update["id"] + "z"})
    assert done.state == "processed" and await _times(world, mine) == EARLIER


def _to_gathio(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in bodies if b["type"] in ("Accept", "Undo", "Join")]
