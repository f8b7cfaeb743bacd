"""Addressing constants and media types of the wire."""

from __future__ import annotations

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Other spellings of the same collection: compact forms (Fedify fetches give "as:Public")
# and the plain-http IRI older Mastodon versions wrote.
PUBLIC_ALIASES = frozenset(
    {PUBLIC, "as:Public", "Public", "http://www.w3.org/ns/activitystreams#Public"}
)

AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"

#: The port an ``http``/``https`` URL means when it names none.
DEFAULT_PORTS = {"http": 80, "https": 443}

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JRD_JSON = "application/jrd+json"
XRD_XML = "application/xrd+xml"


def is_public(value: str) -> bool:
    return value in PUBLIC_ALIASES
