"""Converters between actor rows and ActivityStreams documents (the named pair)."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from actors.config import NodeConfig
from federation.errors import FederationError
from federation.inert_text import inert_text
from federation.jsonld import canonical_context
from federation.origin import origin_of, same_origin, strip_fragment
from federation.vocab import ACTOR_TYPES, as_list, id_of, text_of, type_of, url_of
from storage.models import Actor, ActorType, Community, CommunityVisibility, PostingPolicy

# The profile fields a teacher's profile offers, in the order they are shown.
PROFILE_FIELDS = ("Subject", "School", "Qualification")


def _iso(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def actor_to_as2(actor: Actor, node: NodeConfig) -> dict[str, Any]:
    """Our actor document: every field Mastodon, GoToSocial and Fedify read."""
    doc: dict[str, Any] = {
        "@context": canonical_context(),
        "id": actor.ap_id,
        "type": actor.type,
        "preferredUsername": actor.username,
        "name": inert_text(actor.display_name) if actor.display_name else actor.display_name,
        "summary": actor.summary,
        "inbox": actor.inbox_url,
        "outbox": actor.outbox_url,
        "endpoints": {"sharedInbox": actor.shared_inbox_url},
        "publicKey": {
            "id": actor.public_key_id,
            "owner": actor.ap_id,
            "publicKeyPem": actor.public_key_pem,
        },
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.discoverable,
        "indexable": actor.discoverable,
        "published": _iso(actor.published),
    }
    if actor.type != ActorType.APPLICATION:
        doc["url"] = actor.url
        doc["followers"] = actor.followers_url
        doc["following"] = actor.following_url
        doc["featured"] = actor.featured_url
        # Profile field values are HTML on the wire (Mastodon's); ours are typed as text.
        doc["attachment"] = [
            {
                "type": "PropertyValue",
                "name": inert_text(str(f["name"])),
                "value": html.escape(str(f["value"]), quote=False),
            }
            for f in actor.fields
        ]
    if actor.icon_url:
        doc["icon"] = {"type": "Image", "url": actor.icon_url}
    if actor.image_url:
        doc["image"] = {"type": "Image", "url": actor.image_url}
    return doc


def actor_tombstone(actor: Actor) -> dict[str, Any]:
    """What an erased account's id answers (with 410 Gone): nothing but that it was."""
    return {
        "@context": canonical_context(),
        "id": actor.ap_id,
        "type": "Tombstone",
        "formerType": actor.type,
        "deleted": _iso(actor.updated_at),
    }


def group_to_as2(doc: dict[str, Any], actor: Actor, community: Community) -> dict[str, Any]:
    """A community's ``Group`` document: Lemmy's and our terms beside the actor's own.

    ``attributedTo``/``moderators`` name the moderators collection (Lemmy
    reads either); ``postingRestrictedToMods`` marks an announcement
    channel; ``membersOnly`` tells group-aware peers that its posts are for
    members alone.
    """
    moderators = f"{actor.ap_id}/moderators"
    doc.update(
        {
            "attributedTo": moderators,
            "moderators": moderators,
            "postingRestrictedToMods": community.posting_policy == PostingPolicy.MODERATORS,
            "rules": inert_text(community.rules) if community.rules else "",
            "schoolSubject": list(community.subjects),
            "communityLevel": community.level or None,
            "communityKind": community.kind or None,
            "joinPolicy": community.join_policy,
            "membersOnly": community.visibility == CommunityVisibility.MEMBERS,
        }
    )
    return doc


class InvalidActorError(FederationError):
    status = 422


#: An actor's own endpoints and collections: they must live on the actor's origin.
OWN_ORIGIN_FIELDS = ("inbox", "outbox", "followers", "following", "featured")


def _check_own_origin(doc: dict[str, Any], actor_id: str) -> None:
    """Refuse an actor whose inbox, outbox, collections or endpoints live elsewhere.

    Whoever serves the actor document could otherwise point its inbox (or
    shared inbox) at any URL on any server, and we would deliver its
    followers' posts there, signed by us: a relay of our traffic to a third
    party, or a way to make us knock on a victim's door in bulk.
    """
    endpoints = doc.get("endpoints")
    named = [(name, id_of(doc.get(name))) for name in OWN_ORIGIN_FIELDS]
    if isinstance(endpoints, dict):
        named += [
            (f"endpoints.{name}", value)
            for name, value in endpoints.items()
            if isinstance(value, str) and value.lower().startswith(("https://", "http://"))
        ]
    for name, url in named:
        if url and not same_origin(url, actor_id):
            raise InvalidActorError(
                f"the actor's {name} ({url[:200]}) is not on its own origin ({origin_of(actor_id)})"
            )


def _public_key(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    """The RSA key a remote actor publishes (``publicKey`` may be one or a list)."""
    for key in as_list(doc.get("publicKey")):
        if not isinstance(key, dict):
            continue
        owner = id_of(key.get("owner"))
        pem = key.get("publicKeyPem")
        if isinstance(pem, str) and (owner is None or owner == doc.get("id")):
            key_id = key.get("id")
            return (key_id if isinstance(key_id, str) else None), pem
    return None, None


def remote_actor_fields(doc: dict[str, Any], fetched_from: str) -> dict[str, Any]:
    """Columns for a remote actor, from its (normalized) document.

    Refuses a document whose id lives on another origin than the URL it was
    fetched from: otherwise any server could plant an actor for any other.
    Refuses one whose inbox, shared inbox, outbox, collections or other
    endpoints live on another origin than its id (see :func:`_check_own_origin`).
    """
    actor_id = doc.get("id")
    kind = type_of(doc)
    if not isinstance(actor_id, str) or kind not in ACTOR_TYPES:
        raise InvalidActorError("the document is not an actor")
    if not same_origin(actor_id, fetched_from):
        raise InvalidActorError("the actor's id is on another origin than its URL")
    inbox = id_of(doc.get("inbox"))
    username = text_of(doc.get("preferredUsername"))
    if not inbox or not username:
        raise InvalidActorError("the actor has no inbox or preferredUsername")
    _check_own_origin(doc, actor_id)
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    key_id, pem = _public_key(doc)
    fields = [
        {"name": text_of(a.get("name")) or "", "value": text_of(a.get("value")) or ""}
        for a in as_list(doc.get("attachment"))
        if isinstance(a, dict) and type_of(a) == "PropertyValue"
    ]
    return {
        "ap_id": actor_id,
        "type": kind,
        "local": False,
        "username": username[:255],
        "domain": urlsplit(actor_id).netloc.lower(),
        "display_name": (text_of(doc.get("name")) or "")[:255],
        "summary": text_of(doc.get("summary")) or "",
        "url": url_of(doc.get("url")),
        "inbox_url": inbox,
        "outbox_url": id_of(doc.get("outbox")),
        "shared_inbox_url": id_of(endpoints.get("sharedInbox")) if endpoints else None,
        "followers_url": id_of(doc.get("followers")),
        "following_url": id_of(doc.get("following")),
        "featured_url": id_of(doc.get("featured")),
        "icon_url": url_of(doc.get("icon")),
        "image_url": url_of(doc.get("image")),
        "public_key_id": key_id,
        "public_key_pem": pem,
        "manually_approves_followers": bool(doc.get("manuallyApprovesFollowers", False)),
        "discoverable": bool(doc.get("discoverable", False)),
        "fields": fields[:16],
        # Our own term: a group-aware server keeps this group's posts for members.
        "members_only": kind == "Group" and doc.get("membersOnly") is True,
    }


def key_owner_url(key_id: str) -> str:
    """Where to fetch a key: Mastodon-style ``actor#main-key`` lives in the actor."""
    return strip_fragment(key_id)
