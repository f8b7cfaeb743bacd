"""The rules a material's metadata must follow, as small pure checks.

Each raises :class:`MaterialError` with a message a teacher (or a script's
author) can act on; the API turns it into ``422 Validation failed: ...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actors.config import NodeConfig
from content.materials.vocabulary import (
    GRADES,
    SUBJECTS,
    VocabularyError,
    check_codes,
    check_license,
    check_type,
)
from content.posts import LANGUAGE_RE
from content.sanitize import plain_text
from federation.errors import UnsafeURLError
from federation.ssrf import check_url

MAX_TITLE = 300
MAX_TAGS = 20
MAX_LINKS = 20
MAX_CODES = 30
_TAG = re.compile(r"^[\w-]{1,64}$")


class MaterialError(ValueError):
    """A material the node refuses; the message is safe to show."""


@dataclass(frozen=True)
class Metadata:
    subjects: list[str]
    grades: list[str]
    material_type: str
    license: str
    language: str | None
    tags: list[str]


def check_title(title: str) -> str:
    clean = " ".join((plain_text(title) or "").split())
    if not clean:
        raise MaterialError("a material needs a title")
    if len(clean) > MAX_TITLE:
        raise MaterialError(f"the title is longer than {MAX_TITLE} characters")
    return clean


def check_tags(tags: list[str]) -> list[str]:
    clean = [t.strip().lstrip("#") for t in tags if t.strip()]
    if len(clean) > MAX_TAGS:
        raise MaterialError(f"a material may have at most {MAX_TAGS} tags")
    for tag in clean:
        if not _TAG.match(tag):
            raise MaterialError(f"the tag {tag[:40]!r} may hold only letters, digits, _ and -")
    return list(dict.fromkeys(clean))


def check_metadata(
    *,
    subjects: list[str],
    grades: list[str],
    material_type: str,
    license: str,
    language: str | None,
    tags: list[str],
) -> Metadata:
    if len(subjects) > MAX_CODES or len(grades) > MAX_CODES:
        raise MaterialError(f"at most {MAX_CODES} subjects and grades")
    if language is not None and not LANGUAGE_RE.match(language):
        raise MaterialError(f"invalid language tag {language[:20]!r}")
    try:
        return Metadata(
            subjects=check_codes("subject", subjects, SUBJECTS),
            grades=check_codes("grade", grades, GRADES),
            material_type=check_type(material_type),
            license=check_license(license),
            language=language,
            tags=check_tags(tags),
        )
    except VocabularyError as exc:
        raise MaterialError(str(exc)) from None


def check_links(links: list[str], config: NodeConfig) -> list[str]:
    """http(s) links that pass the SSRF guard's URL check (they are only ever
    links, but a node that mirrors or previews one later must not be turned
    against its own network)."""
    clean = [link.strip() for link in links if link.strip()]
    if len(clean) > MAX_LINKS:
        raise MaterialError(f"a material may have at most {MAX_LINKS} links")
    for link in clean:
        if len(link) > 2048:
            raise MaterialError("a link is longer than 2048 characters")
        try:
            check_url(
                link,
                allow_http=True,
                allow_private_addresses=config.allow_private_addresses,
            )
        except UnsafeURLError as exc:
            raise MaterialError(f"the link {link[:80]!r} is refused: {exc.reason}") from None
    return list(dict.fromkeys(clean))
