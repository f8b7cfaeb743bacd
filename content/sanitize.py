"""HTML from other servers, cut down to what a post may contain.

Remote ``content`` is HTML written by strangers: it is stored only after this
allowlist (nh3, the Ammonia sanitizer) has run, so every reader (API, web
pages, C2S) can treat stored content as safe. The allowlist is Mastodon's
status formatting: paragraphs, links, emphasis, code, quotes and lists, plus
the ``span``/``a`` classes Mastodon, GoToSocial and Pleroma put on mentions,
hashtags and shortened links (``h-card``, ``u-url``, ``mention``, ``hashtag``,
``invisible``, ``ellipsis``); without those classes clients render every
mention as a bare link and every long URL in full.

Links keep only absolute ``http``, ``https`` and ``mailto`` targets (a relative
URL in a remote post would resolve against *our* host) and always get
``rel="nofollow noopener noreferrer"``. ``script`` and ``style`` vanish with
their text; any other unknown tag is unwrapped and its text kept.
"""

from __future__ import annotations

import html

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "span",
        "strong",
        "em",
        "b",
        "i",
        "u",
        "del",
        "pre",
        "code",
        "blockquote",
        "ul",
        "ol",
        "li",
    }
)
# The microformats classes of Mastodon-style mentions, hashtags and link shortening.
MARKUP_CLASSES = frozenset({"h-card", "u-url", "mention", "hashtag", "invisible", "ellipsis"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
_ABSOLUTE = ("http://", "https://", "mailto:")


def _only_absolute_links(_element: str, attribute: str, value: str) -> str | None:
    """Drop relative and scheme-less ``href`` values (nh3 checks the scheme of the rest)."""
    if attribute == "href" and not value.strip().lower().startswith(_ABSOLUTE):
        return None
    return value


#: Passes after which the output is taken as it is (two always sufficed under fuzzing).
MAX_PASSES = 4


def sanitize_html(value: str) -> str:
    """``value`` with only the allowed tags, attributes, classes and URLs left.

    The result is a fixed point: sanitizing it again changes nothing. One
    pass is not always so: unwrapping a removed element can leave a tree no
    HTML parser would build (``<p>`` inside ``<p>`` once an ``<object>``
    between them is gone), which a reader parses differently from what we
    checked. Cleaning the output again until it stops changing settles it.
    """
    if not value:
        return ""
    current = _clean(value)
    for _ in range(MAX_PASSES):
        again = _clean(current)
        if again == current:
            break
        current = again
    return current


def _clean(value: str) -> str:
    return nh3.clean(
        value,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        attribute_filter=_only_absolute_links,
        allowed_classes={"a": set(MARKUP_CLASSES), "span": set(MARKUP_CLASSES)},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def plain_text(value: str | None) -> str | None:
    """Text without any markup, for fields that are plain text by convention.

    Content warnings (``summary``), titles (``name``) and poll options are
    plain text in Mastodon's model; some servers still send HTML there (Pleroma
    puts emoji markup into summaries). Tags are removed, entities decoded; the
    renderer escapes the result like any other text.
    """
    if value is None:
        return None
    stripped = nh3.clean(value, tags=set(), clean_content_tags={"script", "style"})
    return html.unescape(stripped).strip()
