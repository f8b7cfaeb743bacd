"""A post's ``attachment`` list, read and written.

Attachments arrive as Documents, Images, Links and PeerTube's lists of
Links; stored, each is one flat entry with a web URL and the few details
apps show (a material's files keep their size and digest too). Both ways
live here so that what we send is what we would read back.
"""

from __future__ import annotations

from typing import Any

from content.as2_values import is_web_url, short_text
from content.sanitize import plain_text
from federation.inert_text import inert_text
from federation.vocab import as_list, type_of, url_of

ATTACHMENT_TYPES = frozenset({"Document", "Image", "Video", "Audio", "Link"})
MAX_ATTACHMENTS = 20


def _attachment_url(item: dict[str, Any]) -> str | None:
    if type_of(item) == "Link":
        return url_of(item.get("href"))
    url = item.get("url")
    # PeerTube lists several Links; the first web page or file one will do.
    return url_of(url) if url is not None else url_of(item.get("href"))


def attachments_from_as2(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in as_list(doc.get("attachment")):
        if type_of(item) not in ATTACHMENT_TYPES:
            continue
        url = _attachment_url(item)
        if not is_web_url(url):
            continue
        entry: dict[str, Any] = {"type": type_of(item), "url": url}
        if isinstance(item.get("mediaType"), str):
            entry["mediaType"] = item["mediaType"][:255]
        if (name := plain_text(short_text(item.get("name")))) is not None:
            entry["name"] = name
        if isinstance(item.get("blurhash"), str):
            entry["blurhash"] = item["blurhash"][:255]
        for key in ("width", "height"):
            if isinstance(item.get(key), int):
                entry[key] = item[key]
        size = item.get("size")
        if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
            entry["size"] = size
        if isinstance(item.get("digest"), str):
            entry["digest"] = item["digest"][:100]
        focal = item.get("focalPoint")
        if isinstance(focal, list) and len(focal) == 2:
            entry["focalPoint"] = [float(v) for v in focal if isinstance(v, int | float)]
        found.append(entry)
        if len(found) >= MAX_ATTACHMENTS:
            break
    return found


def _attachment_to_as2(item: dict[str, Any]) -> dict[str, Any]:
    doc = dict(item)
    if doc.get("type") == "Link" and "href" not in doc and "url" in doc:
        doc["href"] = doc.pop("url")  # stored as every attachment is, sent as a Link is
    if isinstance(doc.get("name"), str):
        doc["name"] = inert_text(doc["name"])
    return doc


def attachments_to_as2(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_attachment_to_as2(item) for item in items]
