"""Applying a profile edit to a local actor: the one path for the API and the settings page.

Only the values set change; ``fields`` replaces the whole list; ``note`` is
plain text, turned into HTML here; ``bot`` switches the actor between
``Person`` and ``Service`` (communities stay groups). Every applied edit
ends in one ``Update`` of the actor to its followers
(:func:`actors.profile.publish_actor_update`). A student's protections are
the school's to set: a change that would lift them raises
:class:`actors.minors.MinorProtectionError` before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.minors import refuse_student_profile_change, role_of
from actors.profile import publish_actor_update
from content.formatting import linkify_urls, text_to_html
from storage.models import Actor, ActorType


@dataclass
class ProfileChanges:
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    fields: list[dict[str, str]] | None = None
    avatar_url: str | None = None
    header_url: str | None = None


def note_html(note: str) -> str:
    """A typed bio as HTML: paragraphs, line breaks and links, everything else escaped."""
    return linkify_urls(text_to_html(note))


async def apply_profile_changes(
    session: AsyncSession, node: NodeContext, actor: Actor, changes: ProfileChanges
) -> None:
    """Apply ``changes`` to a local actor and publish the Update to its followers."""
    changed = [
        name
        for name, value in (("locked", changes.locked), ("discoverable", changes.discoverable))
        if value is not None
    ]
    if changed:
        refuse_student_profile_change(await role_of(session, actor.id), changed)
    if changes.display_name is not None:
        actor.display_name = changes.display_name
    if changes.note is not None:
        actor.summary = note_html(changes.note)
    if changes.locked is not None:
        actor.manually_approves_followers = changes.locked
    if changes.discoverable is not None:
        actor.discoverable = changes.discoverable
    if changes.bot is not None and actor.type in {ActorType.PERSON, ActorType.SERVICE}:
        actor.type = ActorType.SERVICE if changes.bot else ActorType.PERSON
    if changes.fields is not None:
        actor.fields = changes.fields
    if changes.avatar_url is not None:
        actor.icon_url = changes.avatar_url
    if changes.header_url is not None:
        actor.image_url = changes.header_url
    session.add(actor)
    await publish_actor_update(session, node, actor)
