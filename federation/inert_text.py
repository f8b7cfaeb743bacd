"""Plain text made safe for a field that readers may take as HTML, changed as little as possible.

AS2 says ``summary`` is HTML and ``name`` is plain text, yet servers and
clients render both (and attachment and poll option names) as HTML often
enough. Our rows hold these as plain text (Mastodon's model), so a teacher's
content warning may contain ``<b>`` typed as text, or a remote one that
arrived entity-encoded (``&lt;script&gt;``) decodes to ``<script>``.
:func:`inert_text` escapes exactly the ``<`` that an HTML parser would read
as the start of a tag, comment or declaration; ``x < y``, ``<3`` and ``&``
pass unchanged, so Mastodon (which shows ``summary`` as text) shows the same
text as before, and a reader that parses HTML sees no markup at all. Text
that itself spells a character reference (``&lt;`` typed as text) has its
``&`` escaped too. Our own reader (:func:`content.sanitize.plain_text`)
decodes both back, so a value survives the round trip between two nodes.
"""

from __future__ import annotations

import html
import re

# "<" followed by a letter, "/", "!" or "?" opens markup in HTML's tokenizer.
_MARKUP_START = re.compile(r"<(?=[A-Za-z/!?])")


def inert_text(text: str) -> str:
    """``text`` with every markup-opening ``<`` written as ``&lt;`` (and every ``&``
    as ``&amp;`` when the text holds a character reference a reader would decode)."""
    if "&" in text and html.unescape(text) != text:
        text = text.replace("&", "&amp;")
    return _MARKUP_START.sub("&lt;", text) if "<" in text else text
