"""Polls: the Question a poll post is, votes cast here, and votes received from elsewhere.

A poll is a ``Question`` object whose options and counts live in ``extra``
under their AS2 names (see :mod:`content.as2`): ``oneOf`` (single choice) or
``anyOf`` (multiple), each ``{"name", "votes"}``, plus ``endTime``,
``closed`` and ``votersCount``. Votes are :class:`storage.models.PollVote`
rows, one per voter and option.

* **Our polls** count from the rows: every vote (local or received) is a row
  and the counts in ``extra`` are recounted from them, never incremented, so
  a redelivered vote cannot count twice.
* **A remote poll** is counted by its own server. A local vote is recorded (so
  the voter's ``own_votes`` shows and they cannot vote twice), the local copy
  of the counts is bumped for immediate feedback until the origin's next
  Update replaces it, and the vote travels the way Mastodon sends it: one
  ``Create`` of a ``Note`` per chosen option, with the option as ``name`` and
  the Question as ``inReplyTo``, addressed only to the poll's author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.as2 import iso, parse_time
from content.poll_states import hold_totals, mark_totals_due, track
from content.visibility import may_read
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ContentObject, PollVote

#: How long new totals gather before one Update(Question) (the node passes its setting).
DEFAULT_TOTALS_WINDOW = timedelta(seconds=5)


class PollError(ValueError):
    """A poll or a vote the node refuses; the message is safe to show."""


@dataclass(frozen=True)
class PollLimits:
    max_options: int
    max_option_chars: int
    min_expiration: int
    max_expiration: int


def options_of(obj: ContentObject) -> tuple[list[dict[str, Any]], bool]:
    """(the options ``[{"name", "votes"}]``, whether several may be chosen)."""
    if isinstance(obj.extra.get("anyOf"), list) and obj.extra["anyOf"]:
        return list(obj.extra["anyOf"]), True
    return list(obj.extra.get("oneOf") or []), False


def is_closed(obj: ContentObject, now: datetime | None = None) -> bool:
    if obj.extra.get("closed"):
        return True
    end = parse_time(obj.extra.get("endTime"))
    return end is not None and end <= (now or datetime.now(UTC))


def question_extra(
    options: list[str],
    *,
    expires_in: int,
    multiple: bool,
    hide_totals: bool,
    limits: PollLimits,
) -> dict[str, Any]:
    """The ``extra`` of a new Question, after Mastodon's poll validations."""
    names = [option.strip() for option in options]
    if len(names) < 2:
        raise PollError("a poll needs at least 2 options")
    if len(names) > limits.max_options:
        raise PollError(f"a poll can have at most {limits.max_options} options")
    if any(not name for name in names):
        raise PollError("poll options cannot be empty")
    if any(len(name) > limits.max_option_chars for name in names):
        raise PollError(f"poll options cannot be longer than {limits.max_option_chars} characters")
    if len({name.lower() for name in names}) != len(names):
        raise PollError("poll options must be different")
    if not limits.min_expiration <= expires_in <= limits.max_expiration:
        raise PollError(
            f"a poll must last between {limits.min_expiration} and {limits.max_expiration} seconds"
        )
    extra: dict[str, Any] = {
        "anyOf" if multiple else "oneOf": [{"name": name, "votes": 0} for name in names],
        "endTime": iso(datetime.now(UTC) + timedelta(seconds=expires_in)),
        "closed": None,
        "votersCount": 0,
    }
    if hide_totals:
        extra["hideTotals"] = True  # ours only: never sent in the Question's AS2
    return extra


async def votes_of(session: AsyncSession, obj: ContentObject, voter: Actor) -> list[int]:
    rows = await session.exec(
        select(PollVote.choice).where(PollVote.object_id == obj.id, PollVote.actor_id == voter.id)
    )
    return sorted(rows.all())


async def recount(session: AsyncSession, obj: ContentObject) -> None:
    """Set our poll's option counts and ``votersCount`` from its vote rows.

    The poll's state row is taken first (:func:`content.poll_states.hold_totals`),
    so a totals Update being claimed meanwhile counts these votes or stays owed.
    """
    await hold_totals(session, obj)
    options, multiple = options_of(obj)
    counts = dict(
        (
            await session.exec(
                select(PollVote.choice, func.count())
                .where(PollVote.object_id == obj.id)
                .group_by(col(PollVote.choice))
            )
        ).all()
    )
    voters = (
        await session.exec(
            select(func.count(func.distinct(PollVote.actor_id))).where(PollVote.object_id == obj.id)
        )
    ).one()
    key = "anyOf" if multiple else "oneOf"
    updated = [{**option, "votes": int(counts.get(i, 0))} for i, option in enumerate(options)]
    # A new dict: the JSON column only notices reassignment.
    obj.extra = {**obj.extra, key: updated, "votersCount": int(voters)}
    session.add(obj)
    await session.flush()


def _check_choices(obj: ContentObject, choices: list[int]) -> list[int]:
    options, multiple = options_of(obj)
    unique = sorted(set(choices))
    if not unique:
        raise PollError("choose at least one option")
    if any(choice < 0 or choice >= len(options) for choice in unique):
        raise PollError("that option is not in the poll")
    if len(unique) > 1 and not multiple:
        raise PollError("this poll allows only one choice")
    return unique


def _vote_activity(
    voter: Actor, poll_author: Actor, obj: ContentObject, vote_id: int, name: str
) -> dict[str, Any]:
    note_id = f"{voter.ap_id}#votes/{vote_id}"
    return {
        "@context": canonical_context(),
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": voter.ap_id,
        "to": [poll_author.ap_id],
        "object": {
            "id": note_id,
            "type": "Note",
            "name": name,
            "attributedTo": voter.ap_id,
            "to": [poll_author.ap_id],
            "inReplyTo": obj.ap_id,
        },
    }


async def vote(
    session: AsyncSession,
    voter: Actor,
    obj: ContentObject,
    choices: list[int],
    *,
    totals_window: timedelta = DEFAULT_TOTALS_WINDOW,
) -> list[PollVote]:
    """``voter`` (local) votes in the poll ``obj``; the caller checked they may read it.

    New totals of our poll are told to other nodes after ``totals_window``
    (:mod:`content.poll_states`); any poll voted in here is watched for its end.
    """
    if obj.type != "Question" or not options_of(obj)[0] or obj.deleted_at is not None:
        raise PollError("the post has no poll")
    if obj.author_id == voter.id:
        raise PollError("you cannot vote in your own poll")
    if is_closed(obj):
        raise PollError("the poll has already ended")
    if await votes_of(session, obj, voter):
        raise PollError("you have already voted in this poll")
    chosen = _check_choices(obj, choices)
    assert voter.id is not None and obj.id is not None
    rows = [PollVote(id=new_id(), object_id=obj.id, actor_id=voter.id, choice=c) for c in chosen]
    session.add_all(rows)
    await session.flush()
    await track(session, obj)
    if obj.local:
        await recount(session, obj)
        await mark_totals_due(session, obj, totals_window)
        return rows
    author = await session.get(Actor, obj.author_id)
    assert author is not None
    options, multiple = options_of(obj)
    for row in rows:
        assert row.id is not None
        body = _vote_activity(voter, author, obj, row.id, str(options[row.choice]["name"]))
        row.activity_ap_id = body["object"]["id"]
        session.add(row)
        await publish(session, voter, body)
    bumped = [
        {**o, "votes": int(o.get("votes") or 0) + (1 if i in chosen else 0)}
        for i, o in enumerate(options)
    ]
    voters = obj.extra.get("votersCount")
    obj.extra = {
        **obj.extra,
        "anyOf" if multiple else "oneOf": bumped,
        "votersCount": voters + 1 if isinstance(voters, int) else voters,
    }
    session.add(obj)
    await session.flush()
    return rows


async def receive_vote(
    session: AsyncSession,
    obj: ContentObject,
    voter: Actor,
    name: str,
    vote_ap_id: str,
    *,
    totals_window: timedelta = DEFAULT_TOTALS_WINDOW,
) -> bool:
    """Count a vote another server sent for our poll ``obj`` (a Note named after an option).

    Ignored (False) when the poll is closed or not ours, the option unknown,
    the voter may not see the poll, the vote a redelivery, or a second choice
    in a single-choice poll.
    """
    if not obj.local or obj.deleted_at is not None or is_closed(obj):
        return False
    options, multiple = options_of(obj)
    names = [str(option.get("name", "")) for option in options]
    if name not in names or voter.id is None or obj.id is None:
        return False
    author = await session.get(Actor, obj.author_id)
    if (
        author is None
        or author.id == voter.id
        or not await may_read(session, obj, author, voter, guardian=False)
    ):
        return False
    seen = await session.exec(select(PollVote.id).where(PollVote.activity_ap_id == vote_ap_id))
    if seen.first() is not None:
        return False
    choice = names.index(name)
    earlier = await votes_of(session, obj, voter)
    if choice in earlier or (earlier and not multiple):
        return False
    session.add(
        PollVote(
            id=new_id(),
            object_id=obj.id,
            actor_id=voter.id,
            choice=choice,
            activity_ap_id=vote_ap_id,
        )
    )
    await session.flush()
    await recount(session, obj)
    await mark_totals_due(session, obj, totals_window)
    return True
