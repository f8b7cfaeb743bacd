"""WebFinger (RFC 7033) resources and JRD documents, as Mastodon expects them.

Mastodon resolves ``acct:name@host`` and then checks that the actor's
``preferredUsername@host`` resolves back to the same id, so the subject we
return must always be the canonical ``acct:`` form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from federation.constants import ACTIVITY_JSON, XRD_XML
from federation.errors import FederationError

_ACCT_RE = re.compile(r"^acct:@?(?P<user>[^@\s/:]+)@(?P<host>[^@\s/]+)$", re.IGNORECASE)


class WebFingerError(FederationError):
    status = 400


@dataclass(frozen=True)
class AcctResource:
    username: str
    host: str


@dataclass(frozen=True)
class UrlResource:
    url: str


def parse_resource(raw: str | None) -> AcctResource | UrlResource:
    """Parse ``resource=``: ``acct:user@host``, a bare ``user@host``, or an http(s) URL."""
    if not raw:
        raise WebFingerError("the resource parameter is required")
    value = raw.strip()
    if len(value) > 2048:
        raise WebFingerError("the resource is too long")
    lowered = value.lower()
    if lowered.startswith(("https://", "http://")):
        parts = urlsplit(value)
        if not parts.netloc:
            raise WebFingerError("the resource URL has no host")
        return UrlResource(value)
    if not lowered.startswith("acct:"):
        value = "acct:" + value
    match = _ACCT_RE.match(unquote(value))
    if not match:
        raise WebFingerError("the resource must be acct:name@host or an actor URL")
    return AcctResource(match.group("user"), match.group("host").lower())


SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"


def jrd(
    subject: str,
    actor_id: str,
    profile_url: str | None,
    aliases: list[str],
    subscribe_template: str | None = None,
) -> dict[str, Any]:
    """The JRD of one account; ``subscribe_template`` (``...?uri={uri}``) is where this
    account's server lets its user follow or answer something found elsewhere."""
    links: list[dict[str, Any]] = []
    if profile_url:
        links.append(
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile_url,
            }
        )
    links.append({"rel": "self", "type": ACTIVITY_JSON, "href": actor_id})
    if subscribe_template:
        links.append({"rel": SUBSCRIBE_REL, "template": subscribe_template})
    return {"subject": subject, "aliases": aliases, "links": links}


def host_meta_xml(base_url: str) -> str:
    template = f"{base_url}/.well-known/webfinger?resource={{uri}}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )


def host_meta_json(base_url: str) -> dict[str, Any]:
    template = f"{base_url}/.well-known/webfinger?resource={{uri}}"
    return {"links": [{"rel": "lrdd", "template": template}]}


def subscribe_template(document: dict[str, Any]) -> str | None:
    """The remote interaction template (with ``{uri}``) in a JRD another server returned."""
    for link in document.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == SUBSCRIBE_REL:
            template = link.get("template")
            if isinstance(template, str) and "{uri}" in template:
                return template
    return None


def self_link(document: dict[str, Any]) -> str | None:
    """The ActivityPub actor URL in a JRD another server returned, if any."""
    for link in document.get("links") or []:
        if not isinstance(link, dict):
            continue
        media = str(link.get("type", ""))
        if link.get("rel") == "self" and (
            media == ACTIVITY_JSON or media.startswith("application/ld+json")
        ):
            href = link.get("href")
            if isinstance(href, str):
                return href
    return None


__all__ = [
    "XRD_XML",
    "AcctResource",
    "UrlResource",
    "WebFingerError",
    "host_meta_json",
    "host_meta_xml",
    "jrd",
    "parse_resource",
    "self_link",
]
