"""The HTML allowlist: hostile markup goes, Mastodon's mention and hashtag markup stays."""

from __future__ import annotations

import pytest

from content.sanitize import plain_text, sanitize_html


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ("<style>p{color:red}</style><p>x</p>", "<p>x</p>"),
        ('<p onclick="x()" style="color:red">x</p>', "<p>x</p>"),
        ('<img src="x" onerror="alert(1)">', ""),
        ('<svg onload="alert(1)"><p>x</p></svg>', "<p>x</p>"),
        ("<iframe src='https://evil.example'></iframe>t", "t"),
        ("<!-- hidden --><p>x</p>", "<p>x</p>"),
        ("<div><h1>Title</h1><table><tr><td>cell</td></tr></table></div>", "Titlecell"),
        ('<form action="https://e.example"><input value="x"></form>ok', "ok"),
    ],
)
def test_hostile_or_unknown_markup_is_removed(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "/relative/path",
        "//protocol-relative.example/x",
        "ftp://files.example/x",
    ],
)
def test_only_absolute_http_https_and_mailto_links_survive(href: str) -> None:
    assert sanitize_html(f'<a href="{href}">x</a>') == (
        '<a rel="nofollow noopener noreferrer">x</a>'
    )


@pytest.mark.parametrize(
    "href", ["https://school.example/plan", "http://school.example/", "mailto:head@school.example"]
)
def test_good_links_keep_their_target_and_get_rel(href: str) -> None:
    assert sanitize_html(f'<a href="{href}" rel="me" target="_blank">x</a>') == (
        f'<a href="{href}" rel="nofollow noopener noreferrer">x</a>'
    )


def test_mastodon_mention_and_hashtag_markup_is_kept() -> None:
    html = (
        '<p><span class="h-card"><a href="https://m.example/@lain" class="u-url mention">'
        '@<span>lain</span></a></span> <a href="https://m.example/tags/chem" '
        'class="mention hashtag" rel="tag">#<span>chem</span></a> '
        '<a href="https://example.com/long/path"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/lo</span><span class="invisible">ng/path</span></a></p>'
    )
    assert sanitize_html(html) == (
        '<p><span class="h-card"><a href="https://m.example/@lain" class="u-url mention" '
        'rel="nofollow noopener noreferrer">@<span>lain</span></a></span> '
        '<a href="https://m.example/tags/chem" class="mention hashtag" '
        'rel="nofollow noopener noreferrer">#<span>chem</span></a> '
        '<a href="https://example.com/long/path" rel="nofollow noopener noreferrer">'
        '<span class="invisible">https://</span><span class="ellipsis">example.com/lo</span>'
        '<span class="invisible">ng/path</span></a></p>'
    )


def test_other_classes_are_dropped() -> None:
    assert sanitize_html('<span class="h-card evil big">x</span><p class="x">y</p>') == (
        '<span class="h-card">x</span><p>y</p>'
    )


def test_formatting_tags_are_kept() -> None:
    html = (
        "<p>a<br><strong>b</strong><em>c</em><b>d</b><i>e</i><u>f</u><del>g</del></p>"
        "<pre><code>h</code></pre><blockquote>i</blockquote><ul><li>j</li></ul><ol><li>k</li></ol>"
    )
    assert sanitize_html(html) == html


def test_plain_text_fields() -> None:
    assert plain_text("<p>Spoilers &amp; <b>more</b><script>x</script></p> :blob:") == (
        "Spoilers & more :blob:"
    )
    assert plain_text("a < b") == "a < b"
    assert plain_text(None) is None
