"""The v1 and v2 ``Instance`` entities, ``Rule`` and weekly ``Activity``.

``version`` is the Mastodon version whose API we follow with our own after it
(``4.3.0 (compatible; Staffroom 0.1.0)``), the form Pleroma and GoToSocial
use: apps parse the leading number to decide which features to enable, and
Mastodon.py additionally reads ``api_versions.mastodon`` from v2.
"""

from __future__ import annotations

from typing import Any

from actors.config import NodeConfig
from api.images import THUMBNAIL_PATH
from api.instance_facts import Stats, Week
from content import limits
from federation.nodeinfo import MASTODON_API_VERSION, REPOSITORY

#: Mastodon 4.3's API version number (``api_versions.mastodon``).
MASTODON_API_LEVEL = 2
LANGUAGES = ["en"]

#: Sensible defaults for a school's node; ids are stable so apps can cite them in reports.
RULES: list[tuple[str, str, str]] = [
    ("1", "Be kind and respectful to students, parents and colleagues.", ""),
    (
        "2",
        "Protect privacy: no personal data, grades or photos of students without consent.",
        "Followers-only and direct posts are still seen by people: think before sharing.",
    ),
    ("3", "Share materials you have the right to share, and credit their authors.", ""),
    ("4", "No harassment, hate speech, or content unsuitable for a school.", ""),
    ("5", "Report problems to the moderators instead of arguing in public.", ""),
]


def version_string(node: NodeConfig) -> str:
    return f"{MASTODON_API_VERSION} (compatible; Staffroom {node.software_version})"


def streaming_url(node: NodeConfig) -> str:
    return f"{'wss' if node.scheme == 'https' else 'ws'}://{node.domain}"


def rule_entities() -> list[dict[str, Any]]:
    return [{"id": rule_id, "text": text, "hint": hint} for rule_id, text, hint in RULES]


def _statuses() -> dict[str, Any]:
    return {
        "max_characters": limits.MAX_STATUS_CHARACTERS,
        "max_media_attachments": limits.MAX_MEDIA_ATTACHMENTS,
        "characters_reserved_per_url": limits.CHARACTERS_RESERVED_PER_URL,
    }


def _media() -> dict[str, Any]:
    return {
        "supported_mime_types": list(limits.SUPPORTED_MIME_TYPES),
        "image_size_limit": limits.IMAGE_SIZE_LIMIT,
        "image_matrix_limit": limits.IMAGE_MATRIX_LIMIT,
        "video_size_limit": limits.VIDEO_SIZE_LIMIT,
        "video_frame_rate_limit": limits.VIDEO_FRAME_RATE_LIMIT,
        "video_matrix_limit": limits.VIDEO_MATRIX_LIMIT,
    }


def _polls() -> dict[str, Any]:
    return {
        "max_options": limits.MAX_POLL_OPTIONS,
        "max_characters_per_option": limits.MAX_POLL_OPTION_CHARACTERS,
        "min_expiration": limits.MIN_POLL_EXPIRATION,
        "max_expiration": limits.MAX_POLL_EXPIRATION,
    }


def instance_v1(
    node: NodeConfig,
    stats: Stats,
    contact_account: dict[str, Any] | None,
    contact_email: str,
) -> dict[str, Any]:
    """``GET /api/v1/instance`` (the V1::Instance entity, still read by older apps)."""
    return {
        "uri": node.domain,
        "title": node.node_name,
        "short_description": node.node_description,
        "description": node.node_description,
        "email": contact_email,
        "version": version_string(node),
        "urls": {"streaming_api": streaming_url(node)},
        "stats": {
            "user_count": stats.user_count,
            "status_count": stats.status_count,
            "domain_count": stats.domain_count,
        },
        "thumbnail": node.base_url + THUMBNAIL_PATH,
        "languages": list(LANGUAGES),
        "registrations": node.open_registrations,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": {
            "accounts": {
                "max_featured_tags": limits.MAX_FEATURED_TAGS,
                "max_pinned_statuses": limits.MAX_PINNED_STATUSES,
            },
            "statuses": _statuses(),
            "media_attachments": _media(),
            "polls": _polls(),
        },
        "contact_account": contact_account,
        "rules": rule_entities(),
    }


def instance_v2(
    node: NodeConfig,
    stats: Stats,
    contact_account: dict[str, Any] | None,
    contact_email: str,
) -> dict[str, Any]:
    """``GET /api/v2/instance`` (the Instance entity of Mastodon 4.3)."""
    thumbnail = node.base_url + THUMBNAIL_PATH
    return {
        "domain": node.domain,
        "title": node.node_name,
        "version": version_string(node),
        "source_url": REPOSITORY,
        "description": node.node_description,
        "usage": {"users": {"active_month": stats.active_month}},
        "thumbnail": {
            "url": thumbnail,
            "blurhash": None,
            "versions": {"@1x": thumbnail, "@2x": thumbnail},
        },
        "icon": [{"src": thumbnail, "size": "120x120"}],
        "languages": list(LANGUAGES),
        "configuration": {
            "urls": {
                "streaming": streaming_url(node),
                "status": None,
                "about": f"{node.base_url}/about",
                "privacy_policy": None,
                "terms_of_service": None,
            },
            "vapid": {"public_key": ""},
            "accounts": {
                "max_featured_tags": limits.MAX_FEATURED_TAGS,
                "max_pinned_statuses": limits.MAX_PINNED_STATUSES,
            },
            "statuses": _statuses(),
            "media_attachments": {**_media(), "description_limit": limits.MEDIA_DESCRIPTION_LIMIT},
            "polls": _polls(),
            "translation": {"enabled": False},
        },
        "registrations": {
            "enabled": node.open_registrations,
            "approval_required": False,
            "message": None,
            "url": None,
        },
        "api_versions": {"mastodon": MASTODON_API_LEVEL},
        "contact": {"email": contact_email, "account": contact_account},
        "rules": rule_entities(),
    }


def activity_entity(week: Week) -> dict[str, str]:
    """One week of ``/api/v1/instance/activity``: Unix seconds and counts, all strings."""
    return {
        "week": str(int(week.start.timestamp())),
        "statuses": str(week.statuses),
        "logins": str(week.logins),
        "registrations": str(week.registrations),
    }
