"""A material on the wire: ``material_to_as2`` and ``material_from_as2``.

A material is an ``Article``. Another Staffroom node rebuilds it whole from:

* ``name`` (title), ``summary`` (the start of the description, plain text),
  ``source`` (``{"content": Markdown, "mediaType": "text/markdown"}``),
  ``contentMap``/language, ``tag`` (Hashtags), ``published``/``updated``;
* our terms (``https://staffroom.social/ns#``): ``materialType``,
  ``license`` (an SPDX id or ``all-rights-reserved``), ``schoolSubject`` and
  ``grade`` (lists of short codes), ``ratingAverage`` and ``ratingCount``;
* ``attachment``: one ``Document`` per file with ``name``, ``mediaType``,
  ``url``, ``size`` (bytes) and ``digest`` (``SHA-256=<base64>``), one
  ``Link`` per link (``href``, ``name``), and first of all the preview as an
  ``Image``, which is also the object's ``image`` (a reader tells it from the
  files by that url).

What Mastodon and the rest see: the title, the summary, the preview image
(the first attachment; Mastodon keeps four) and, in ``content``, the
description followed by the files and links as a list of links, with the
license, subjects and grades in words, the way BookWyrm writes its rich
types out for servers that do not know them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from actors.config import NodeConfig
from content.as2 import object_to_as2, parse_time
from content.formatting import hashtag_tag
from content.materials.detect import BY_MEDIA_TYPE
from content.materials.markdown import render_description, summary_of
from content.materials.model import FILE, LINK, MaterialView
from content.materials.vocabulary import (
    DEFAULT_LICENSE,
    DEFAULT_TYPE,
    GRADES,
    LICENSE_URLS,
    LICENSES,
    MATERIAL_TYPES,
    SUBJECTS,
    Label,
    known_codes,
)
from content.sanitize import plain_text, sanitize_html
from federation.vocab import as_list, text_of, type_of, url_of
from storage.models import Actor, ContentObject

MARKDOWN = "text/markdown"
FILE_TYPES = frozenset({"Document", "Link", "Image", "Audio", "Video"})
MAX_FILES_READ = 50
_LICENSE_BY_URL = {url.rstrip("/"): code for code, url in LICENSE_URLS.items()}


class InvalidMaterialError(ValueError):
    """An Article that says it is a material but cannot be one; the reason is safe to log."""


def is_material(doc: dict[str, Any]) -> bool:
    """Our criterion: an ``Article`` carrying a ``materialType``."""
    return type_of(doc) == "Article" and isinstance(doc.get("materialType"), str)


# -- ours, out ---------------------------------------------------------------------------


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _label(table: dict[str, Label], code: str, russian: bool) -> str:
    label = table.get(code)
    if label is None:
        return code
    return label.ru if russian else label.en


def _wire_content(view: MaterialView) -> str:
    """The description, then the files, links and metadata as plain HTML links and words."""
    material = view.material
    ru = (material.language or "").startswith("ru")
    parts = [material.description_html]
    if view.documents:
        items = "".join(
            f'<li><a href="{escape(f.url)}">{escape(f.name)}</a>'
            f" ({escape(_file_label(f.media_type))}, {human_size(f.size)})</li>"
            for f in view.documents
        )
        parts.append(f"<p><strong>{'Файлы' if ru else 'Files'}</strong></p><ul>{items}</ul>")
    if view.links:
        items = "".join(
            f'<li><a href="{escape(f.url)}">{escape(f.name)}</a></li>' for f in view.links
        )
        parts.append(f"<p><strong>{'Ссылки' if ru else 'Links'}</strong></p><ul>{items}</ul>")
    facts = [
        _label(MATERIAL_TYPES, material.material_type, ru),
        ", ".join(_label(SUBJECTS, s, ru) for s in view.subjects),
        ", ".join(_label(GRADES, g, ru) for g in view.grades),
        ("Лицензия: " if ru else "License: ") + _label(LICENSES, material.license, ru),
    ]
    parts.append(f"<p>{escape(' · '.join(f for f in facts if f))}</p>")
    return sanitize_html("".join(p for p in parts if p))


def _file_label(media_type: str | None) -> str:
    found = BY_MEDIA_TYPE.get(media_type or "")
    return found.label if found else (media_type or "file")


def _preview_attachment(material: Any) -> dict[str, Any] | None:
    if not material.preview_url:
        return None
    return {
        "type": "Image",
        "mediaType": "image/jpeg" if material.preview_url.endswith(".jpg") else "image/png",
        "url": material.preview_url,
        "name": material.title[:1500],
    }


def material_object_fields(view: MaterialView, config: NodeConfig) -> dict[str, Any]:
    """The columns of the material's row in ``objects``: what other servers will read."""
    material = view.material
    attachments: list[dict[str, Any]] = []
    preview = _preview_attachment(material)
    if preview is not None:
        attachments.append(preview)
    for item in view.files:
        if item.kind == FILE:
            entry: dict[str, Any] = {"type": "Document", "name": item.name, "url": item.url}
            if item.media_type:
                entry["mediaType"] = item.media_type
            if item.size is not None:
                entry["size"] = item.size
            if item.digest:
                entry["digest"] = item.digest
        else:
            entry = {"type": "Link", "href": item.url, "url": item.url, "name": item.name}
        attachments.append(entry)
    extra: dict[str, Any] = {
        "materialType": material.material_type,
        "license": material.license,
        "schoolSubject": list(view.subjects),
        "grade": list(view.grades),
        "ratingCount": material.rating_count,
    }
    if material.rating_average is not None:
        extra["ratingAverage"] = round(material.rating_average, 2)
    if preview is not None:
        extra["image"] = {"type": "Image", "url": preview["url"], "mediaType": preview["mediaType"]}
    if material.description_source is not None:
        extra["source"] = {"content": material.description_source, "mediaType": MARKDOWN}
    return {
        "name": material.title,
        "summary": material.summary or None,
        "content": _wire_content(view),
        "language": material.language,
        "attachments": attachments,
        "extra": extra,
        "tags": [hashtag_tag(config.base_url, tag) for tag in material.tags],
        "sensitive": False,
    }


def material_to_as2(
    view: MaterialView, obj: ContentObject, author: Actor, config: NodeConfig
) -> dict[str, Any]:
    """The ``Article`` document of our material ``view`` (``obj`` is its row in ``objects``)."""
    wire = obj.model_copy(update=material_object_fields(view, config))
    return object_to_as2(wire, author, config)


# -- theirs, in --------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteFile:
    kind: str
    name: str
    url: str
    media_type: str | None = None
    size: int | None = None
    digest: str | None = None


@dataclass(frozen=True)
class MaterialFields:
    title: str
    summary: str
    description_html: str
    description_source: str | None
    material_type: str
    license: str
    language: str | None
    subjects: list[str]
    grades: list[str]
    tags: list[str]
    preview_url: str | None
    files: list[RemoteFile]
    rating_average: float | None
    rating_count: int
    published: datetime | None
    updated: datetime | None


def _strings(value: Any) -> list[str]:
    return [v for v in as_list(value) if isinstance(v, str)][:50]


def _license(value: Any) -> str:
    if isinstance(value, str):
        if value in LICENSES:
            return value
        by_url = _LICENSE_BY_URL.get(value.rstrip("/"))
        if by_url is not None:
            return by_url
    return DEFAULT_LICENSE


def _files(doc: dict[str, Any], preview_url: str | None) -> list[RemoteFile]:
    files: list[RemoteFile] = []
    for item in as_list(doc.get("attachment"))[:MAX_FILES_READ]:
        kind = type_of(item)
        if not isinstance(item, dict) or kind not in FILE_TYPES:
            continue
        url = url_of(item.get("href")) if kind == "Link" else url_of(item.get("url"))
        if not isinstance(url, str):
            raise InvalidMaterialError(f"an attachment of the material has no URL: {item!r:.200}")
        if url == preview_url:
            continue
        name = plain_text(text_of(item.get("name"))) or url.rsplit("/", 1)[-1] or "file"
        size = item.get("size")
        media_type = item.get("mediaType")
        digest = item.get("digest")
        files.append(
            RemoteFile(
                kind=LINK if kind == "Link" else FILE,
                name=name[:255],
                url=url,
                media_type=media_type[:255] if isinstance(media_type, str) else None,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                digest=digest[:100] if isinstance(digest, str) else None,
            )
        )
    return files


def _description(doc: dict[str, Any]) -> tuple[str, str | None]:
    """Our node sends the Markdown: render it here (with our sanitizer); else the HTML."""
    source = doc.get("source")
    if (
        isinstance(source, dict)
        and source.get("mediaType") == MARKDOWN
        and isinstance(source.get("content"), str)
    ):
        markdown = source["content"]
        return render_description(markdown), markdown
    content = text_of(doc.get("content")) or text_of(doc.get("contentMap")) or ""
    return sanitize_html(content), None


def material_from_as2(doc: dict[str, Any]) -> MaterialFields:
    """The material an ``Article`` describes (see :func:`is_material`)."""
    title = plain_text(text_of(doc.get("name")))
    if not title:
        raise InvalidMaterialError("a material needs a name (its title)")
    image = doc.get("image")
    preview_url = url_of(image.get("url") if isinstance(image, dict) else image)
    description_html, source = _description(doc)
    summary = plain_text(text_of(doc.get("summary"))) or summary_of(description_html)
    kind = doc.get("materialType")
    content_map = doc.get("contentMap")
    language = next(iter(content_map), None) if isinstance(content_map, dict) else None
    average, count = doc.get("ratingAverage"), doc.get("ratingCount")
    tags = [
        str(tag.get("name", "")).lstrip("#")[:64]
        for tag in as_list(doc.get("tag"))
        if isinstance(tag, dict) and type_of(tag) == "Hashtag" and tag.get("name")
    ]
    return MaterialFields(
        title=title[:300],
        summary=summary[:1000],
        description_html=description_html,
        description_source=source,
        material_type=kind if kind in MATERIAL_TYPES else DEFAULT_TYPE,
        license=_license(doc.get("license")),
        language=language[:16] if isinstance(language, str) else None,
        subjects=known_codes(_strings(doc.get("schoolSubject")), SUBJECTS),
        grades=known_codes(_strings(doc.get("grade")), GRADES),
        tags=list(dict.fromkeys(t for t in tags if t))[:20],
        preview_url=preview_url if isinstance(preview_url, str) else None,
        files=_files(doc, preview_url if isinstance(preview_url, str) else None),
        rating_average=float(average)
        if isinstance(average, int | float) and not isinstance(average, bool) and 0 <= average <= 5
        else None,
        rating_count=count if isinstance(count, int) and count >= 0 else 0,
        published=parse_time(doc.get("published")),
        updated=parse_time(doc.get("updated")),
    )
