"""A material's description: Markdown in, the node's sanitized HTML out, and a summary.

markdown-it-py renders CommonMark with raw HTML switched off (a ``<script>``
typed in the description comes out as text), then the same sanitizer as
every post (:func:`content.sanitize.sanitize_html`) decides what stays, so a
description can hold nothing a post could not. The post allowlist has no
headings, rules or images, so the renderer maps them first to what it has:
a heading becomes a bold paragraph, an image a link to it, a rule nothing.

The summary is the start of the description as plain text, cut at a word
boundary: what Mastodon and the library show under the title.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from content.sanitize import plain_text, sanitize_html

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from markdown_it.utils import OptionsDict

MAX_DESCRIPTION_CHARS = 50_000
SUMMARY_CHARS = 400


def _heading_open(_self: Any, tokens: Sequence[Token], idx: int, _o: OptionsDict, _env: Any) -> str:
    return "<p><strong>"


def _heading_close(
    _self: Any, tokens: Sequence[Token], idx: int, _o: OptionsDict, _env: Any
) -> str:
    return "</strong></p>\n"


def _nothing(_self: Any, tokens: Sequence[Token], idx: int, _o: OptionsDict, _env: Any) -> str:
    return ""


def _image(_self: Any, tokens: Sequence[Token], idx: int, _o: OptionsDict, _env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = "".join(child.content for child in token.children or []) or src
    return f'<a href="{html.escape(src)}">{html.escape(alt)}</a>'


@cache
def _renderer() -> MarkdownIt:
    from markdown_it import MarkdownIt  # loaded by the first description, not at start

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.add_render_rule("heading_open", _heading_open)
    md.add_render_rule("heading_close", _heading_close)
    md.add_render_rule("hr", _nothing)
    md.add_render_rule("image", _image)
    return md


def render_description(source: str) -> str:
    """Sanitized HTML for a Markdown description (empty for an empty one)."""
    if not source.strip():
        return ""
    return sanitize_html(_renderer().render(source[:MAX_DESCRIPTION_CHARS]))


def summary_of(description_html: str) -> str:
    """The rendered description as plain text, at most :data:`SUMMARY_CHARS`
    characters (cut at a word, with an ellipsis)."""
    spaced = description_html.replace("</p>", "</p> ").replace("</li>", "</li> ")
    text = " ".join((plain_text(spaced) or "").split())
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"
