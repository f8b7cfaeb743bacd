"""HTML an attacker sends, and the checks that what we serve back carries none of it.

:data:`PAYLOADS` are the markup a hostile peer or author tried (scripts, event
handlers, ``javascript:``/``vbscript:``/``data:`` links with entity, tab and
case obfuscation, frames, forms, SVG and MathML tricks, styles, ``meta``
refresh, ``base``), each on its own so none can hide another.

The checks parse what we serve with the standard library's HTML parser, as a
browser would, and judge its structure, not its text (a sanitized post may
well say "javascript:" in words):

* :func:`assert_safe_html`: a field that is HTML (``content``, a bio, a
  profile field's value) holds only the allowlisted tags and attributes, and
  every link is absolute ``http``, ``https`` or ``mailto``;
* :func:`assert_inert_text`: a field that is plain text in an HTML-ish place
  (AS2 ``summary`` and ``name``) holds no markup at all;
* :func:`assert_plain_text`: a plain-text field of the Mastodon API
  (``spoiler_text``, alt text) holds no markup that the raw payload carried.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

PAYLOADS: tuple[str, ...] = (
    "<script>alert(1)</script>Lesson one",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>upper script",
    '<p onclick="alert(1)">click me</p>',
    '<a href="https://ok.example/" onmouseover="alert(1)">hover</a>',
    "<svg onload=alert(1)>svg",
    "<svg><script>alert(1)</script></svg>svg script",
    "<img src=x onerror=alert(1)>img",
    '<IMG SRC="javascript:alert(1)">img js',
    '<a href="javascript:alert(1)">js link</a>',
    '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab entity</a>',
    '<a href="jav\tascript:alert(1)">raw tab</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">dec</a>',
    '<a href="&#x6A;avascript:alert(1)">hex entity</a>',
    '<a href=" javascript:alert(1)">leading space</a>',
    '<a href="vbscript:msgbox(1)">vbscript</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data b64</a>',
    '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">data html</a>',
    '<iframe src="https://evil.example/"></iframe>iframe',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>srcdoc',
    '<form action="https://evil.example/"><input type=submit value=go></form>form',
    '<button formaction="javascript:alert(1)">formaction</button>',
    '<svg><a xlink:href="javascript:alert(1)"><text>xlink</text></a></svg>',
    '<p style="background:url(javascript:alert(1))">css url</p>',
    '<span style="width: expression(alert(1))">css expression</span>',
    "<style>body{background:url(javascript:alert(1))}</style>style element",
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">meta refresh',
    '<base href="https://evil.example/">base',
    '<object data="javascript:alert(1)"></object>object',
    '<embed src="javascript:alert(1)">embed',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>mathml",
    "<!--<img src=x onerror=alert(1)>-->comment",
    '<a href="/relative/path">relative</a>',
    "<link rel=stylesheet href=https://evil.example/x.css>link",
    '<p><a href="https://ok.example/" class="evil mention" target="_top">ok</a></p>',
)
#: Text that arrives entity-encoded: plain text once decoded, and must stay inert.
ENCODED_PAYLOAD = "&lt;script&gt;alert(1)&lt;/script&gt; encoded"

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "span", "strong", "em", "b", "i", "u", "del", "pre", "code"}
    | {"blockquote", "ul", "ol", "li"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "rel", "class"}, "span": {"class"}}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction {data!r}")


def elements(value: str) -> _Elements:
    parser = _Elements()
    parser.feed(value)
    parser.close()
    return parser


def assert_safe_html(value: Any, where: str = "") -> None:
    """``value`` is sanitized HTML: allowlisted tags and attributes, safe links only."""
    if value is None:
        return
    assert isinstance(value, str), (where, value)
    parsed = elements(value)
    assert not parsed.other, (where, parsed.other, value)
    for tag, attrs in parsed.elements:
        assert tag in ALLOWED_TAGS, (where, tag, value)
        for name, attr_value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), (where, tag, name, value)
            if name == "href":
                assert attr_value is not None and attr_value.startswith(SAFE_SCHEMES), (
                    where,
                    attr_value,
                    value,
                )
                assert not any(ord(c) < 33 for c in attr_value), (where, attr_value)


def assert_inert_text(value: Any, where: str = "") -> None:
    """``value`` (plain text in an HTML-ish field) parses to no markup at all."""
    if value is None:
        return
    assert isinstance(value, str), (where, value)
    parsed = elements(value)
    assert not parsed.elements and not parsed.other, (where, parsed.elements, value)


def assert_plain_text(value: Any, where: str = "") -> None:
    """A Mastodon API plain-text field: no element the raw payloads carried survives."""
    if value is None:
        return
    assert isinstance(value, str), (where, value)
    for tag, _attrs in elements(value).elements:
        assert tag == "script" and "encoded" in value, (where, tag, value)


def walk_as2(doc: Any, where: str = "") -> int:
    """Check every HTML-ish field of an AS2 document, at any depth; returns how many."""
    checked = 0
    if isinstance(doc, list):
        return sum(walk_as2(item, where) for item in doc)
    if not isinstance(doc, dict):
        return 0
    for key, value in doc.items():
        here = f"{where}.{key}"
        if key == "content":
            assert_safe_html(value, here)
            checked += 1
        elif key == "contentMap" and isinstance(value, dict):
            for text in value.values():
                assert_safe_html(text, here)
                checked += 1
        elif key in ("summary", "name"):
            assert_inert_text(value, here)
            checked += 1
        elif key in ("summaryMap", "nameMap") and isinstance(value, dict):
            for text in value.values():
                assert_inert_text(text, here)
                checked += 1
        elif isinstance(value, dict | list):
            checked += walk_as2(value, here)
    return checked
