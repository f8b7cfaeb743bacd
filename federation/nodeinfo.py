"""NodeInfo 2.0 and 2.1 documents (https://nodeinfo.diaspora.software/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
VERSIONS = ("2.0", "2.1")
REPOSITORY = "https://staffroom.social/source"
#: The Mastodon API version our client API follows. Servers that speak it without
#: being Mastodon say so in NodeInfo metadata: ``upstream.name`` (Mastodon forks;
#: what megalodon's detector reads) and ``features`` (Pleroma and Akkoma's list).
MASTODON_API_VERSION = "4.3.0"
API_FEATURES = ("mastodon_api", "mastodon_api_streaming")


@dataclass(frozen=True)
class Usage:
    users_total: int
    active_month: int
    active_halfyear: int
    local_posts: int


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "links": [
            {"rel": SCHEMA_20, "href": f"{base_url}/nodeinfo/2.0"},
            {"rel": SCHEMA_21, "href": f"{base_url}/nodeinfo/2.1"},
        ]
    }


def document(
    version: str,
    *,
    software_version: str,
    usage: Usage,
    open_registrations: bool,
    node_name: str,
    node_description: str,
) -> dict[str, Any]:
    if version not in VERSIONS:
        raise ValueError(f"unsupported NodeInfo version {version}")
    software: dict[str, Any] = {"name": "staffroom", "version": software_version}
    if version == "2.1":
        software["repository"] = REPOSITORY
        software["homepage"] = REPOSITORY
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": {
            "nodeName": node_name,
            "nodeDescription": node_description,
            "upstream": {"name": "mastodon", "version": MASTODON_API_VERSION},
            "features": list(API_FEATURES),
        },
    }


def profile_url(version: str) -> str:
    return SCHEMA_21 if version == "2.1" else SCHEMA_20
