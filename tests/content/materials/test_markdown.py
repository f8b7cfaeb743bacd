"""content.materials.markdown: Markdown in, the node's sanitized HTML out; no script survives."""

from __future__ import annotations

import re

from content.materials.markdown import render_description, summary_of


def test_markdown_renders_within_the_post_allowlist() -> None:
    html = render_description("# Фотосинтез\n\nA **lesson** with a [link](https://e.org).\n\n- one")
    assert html.startswith("<p><strong>Фотосинтез</strong></p>")
    assert "<strong>lesson</strong>" in html
    assert '<a href="https://e.org" rel="nofollow noopener noreferrer">link</a>' in html
    assert "<li>one</li>" in html


def test_script_injection_is_text_or_gone() -> None:
    html = render_description(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
        '<img src=x onerror=alert(1)> ![a](javascript:alert(2)) <a href="javascript:x">y</a>'
    )
    assert set(re.findall(r"<(\w+)", html)) == {"p"}  # no script, img or a element at all
    assert "&lt;script&gt;" in html  # shown as text, never run


def test_the_summary_is_plain_text_cut_at_a_word() -> None:
    html = render_description("# Title\n\n" + "word " * 200)
    summary = summary_of(html)
    assert summary.startswith("Title word word")
    assert len(summary) <= 401 and summary.endswith("…")
