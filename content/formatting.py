"""Turning what a teacher typed into the HTML and tags a post carries. Pure: no I/O.

Input is plain text or HTML (the C2S outbox and some clients send HTML). Text
is escaped and split into paragraphs; HTML is sanitized by the caller first.
Then, in text nodes only (never inside a tag or an existing link), URLs become
links, ``@name@host`` mentions become Mastodon's h-card links and ``#tag``
becomes a hashtag link. Mastodon, GoToSocial and Misskey rebuild mentions from
the ``tag`` array, not from the HTML, so the links are for people and the tags
for machines; both must agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

# A user name (Mastodon: letters, digits, _ and inner dots/dashes) and an
# optional host with an optional port: "127.0.0.1:8001" is a host of its own.
# The look-behind keeps e-mail addresses and URL paths (".../@bob") out.
MENTION_RE = re.compile(
    r"(?<![\w/@.])@(?P<user>[A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*)"
    r"(?:@(?P<host>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?))?"
)
# A tag needs one letter (so "#1" stays text); "&#39;" and ".../page#part" do not match.
HASHTAG_RE = re.compile(r"(?<![\w/#&;])#(?P<tag>\w*[^\W\d_]\w*)")
URL_RE = re.compile(r"(?<![\w/\"'=])https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_TAG_RE = re.compile(r"<[^>]*>")
_HTML_HINT_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")

MAX_MENTIONS = 50
MAX_HASHTAGS = 30


@dataclass(frozen=True)
class MentionRef:
    """A mention as written: ``@user`` (local, host None) or ``@user@host``."""

    user: str
    host: str | None

    def key(self) -> tuple[str, str | None]:
        return self.user.lower(), self.host.lower() if self.host else None


@dataclass(frozen=True)
class Mentioned:
    """A resolved mention: where its link points and the tag it produces."""

    actor_id: str
    profile_url: str
    username: str
    domain: str

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.domain}"


def looks_like_html(value: str) -> bool:
    return bool(_HTML_HINT_RE.search(value))


def text_to_html(text: str) -> str:
    """Plain text → paragraphs (blank lines) and line breaks, everything escaped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def _text_segments(html: str) -> Iterator[tuple[bool, str]]:
    """Yield (is_linkable_text, chunk): text outside tags and outside ``<a>``."""
    depth = 0
    pos = 0
    for match in _TAG_RE.finditer(html):
        if match.start() > pos:
            yield depth == 0, html[pos : match.start()]
        tag = match.group(0).lower()
        if re.match(r"<a[\s>]", tag):
            depth += 1
        elif tag.startswith("</a") and depth:
            depth -= 1
        yield False, match.group(0)
        pos = match.end()
    if pos < len(html):
        yield depth == 0, html[pos:]


def _in_text(html: str, replace: Callable[[str], str]) -> str:
    return "".join(
        replace(chunk) if linkable else chunk for linkable, chunk in _text_segments(html)
    )


def find_mentions(html: str) -> list[MentionRef]:
    """Distinct mentions in the linkable text of ``html``, in order of appearance."""
    found: dict[tuple[str, str | None], MentionRef] = {}
    for linkable, chunk in _text_segments(html):
        if not linkable:
            continue
        for m in MENTION_RE.finditer(chunk):
            ref = MentionRef(m.group("user"), m.group("host"))
            found.setdefault(ref.key(), ref)
    return list(found.values())[:MAX_MENTIONS]


def find_hashtags(html: str) -> list[str]:
    """Distinct hashtags (case-insensitively), as first written."""
    found: dict[str, str] = {}
    for linkable, chunk in _text_segments(html):
        if linkable:
            for m in HASHTAG_RE.finditer(chunk):
                found.setdefault(m.group("tag").lower(), m.group("tag"))
    return list(found.values())[:MAX_HASHTAGS]


def tag_url(base_url: str, tag: str) -> str:
    return f"{base_url}/tags/{quote(tag.lower())}"


def mention_link(who: Mentioned) -> str:
    """Mastodon's markup: clients style it and show the short name."""
    return (
        '<span class="h-card">'
        f'<a href="{escape(who.profile_url)}" class="u-url mention">'
        f"@<span>{escape(who.username)}</span></a></span>"
    )


def hashtag_link(base_url: str, tag: str) -> str:
    return (
        f'<a href="{escape(tag_url(base_url, tag))}" class="mention hashtag" rel="tag">'
        f"#<span>{escape(tag)}</span></a>"
    )


def linkify_urls(html: str) -> str:
    def one(m: re.Match[str]) -> str:
        url = m.group(0)
        return f'<a href="{url}" rel="nofollow noopener noreferrer">{url}</a>'

    return _in_text(html, lambda chunk: URL_RE.sub(one, chunk))


def link_mentions_and_tags(
    html: str, mentions: dict[tuple[str, str | None], Mentioned], base_url: str
) -> str:
    """Replace resolved mentions and every hashtag with links; unresolved mentions stay text."""

    def mention(m: re.Match[str]) -> str:
        who = mentions.get(MentionRef(m.group("user"), m.group("host")).key())
        return mention_link(who) if who else m.group(0)

    def chunk(text: str) -> str:
        text = MENTION_RE.sub(mention, text)
        return HASHTAG_RE.sub(lambda m: hashtag_link(base_url, m.group("tag")), text)

    return _in_text(html, chunk)


def mention_tag(who: Mentioned) -> dict[str, str]:
    return {"type": "Mention", "href": who.actor_id, "name": who.handle}


def hashtag_tag(base_url: str, tag: str) -> dict[str, str]:
    return {"type": "Hashtag", "href": tag_url(base_url, tag), "name": f"#{tag}"}
