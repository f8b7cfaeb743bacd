"""What a teacher types → the HTML and tags a post carries (pure, no I/O)."""

from __future__ import annotations

import pytest

from content.formatting import (
    Mentioned,
    MentionRef,
    find_hashtags,
    find_mentions,
    link_mentions_and_tags,
    linkify_urls,
    looks_like_html,
    text_to_html,
)
from content.visibility import addressing_for, visibility_from_addressing
from federation.constants import PUBLIC
from storage.models import Actor, Visibility

BASE = "https://school.example"


def test_text_becomes_escaped_paragraphs_and_line_breaks() -> None:
    html = text_to_html("Hello <b>class</b> & parents\nline two\n\nsecond paragraph")
    assert html == (
        "<p>Hello &lt;b&gt;class&lt;/b&gt; &amp; parents<br>line two</p><p>second paragraph</p>"
    )
    assert text_to_html("   ") == ""


def test_html_is_recognised_plain_text_is_not() -> None:
    assert looks_like_html("<p>hi</p>")
    assert looks_like_html("a <a href='x'>link</a>")
    assert not looks_like_html("2 < 3 and 5 > 4")
    assert not looks_like_html("plain words")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi @bob", [MentionRef("bob", None)]),
        ("hi @carol@127.0.0.1:8001!", [MentionRef("carol", "127.0.0.1:8001")]),
        ("@dan@mastodon.social.", [MentionRef("dan", "mastodon.social")]),
        ("mail bob@example.org or see https://x.example/@eve", []),
        ("@Bob and @bob twice", [MentionRef("Bob", None)]),
    ],
)
def test_mentions_are_found_in_text(text: str, expected: list[MentionRef]) -> None:
    assert find_mentions(text_to_html(text)) == expected


def test_mentions_inside_existing_links_are_left_alone() -> None:
    html = '<p><a href="https://x.example/@bob">@bob</a> and @carol</p>'
    assert find_mentions(html) == [MentionRef("carol", None)]


def test_hashtags_need_a_letter_and_skip_entities_and_url_fragments() -> None:
    html = text_to_html("#Chemistry #chemistry #1 it's https://x.example/page#part #Lycée_2024")
    html = linkify_urls(html)
    assert find_hashtags(html) == ["Chemistry", "Lycée_2024"]


def test_links_for_mentions_and_hashtags_follow_mastodon_markup() -> None:
    who = Mentioned(
        "https://b.example/users/carol", "https://b.example/@carol", "carol", "b.example"
    )
    html = link_mentions_and_tags(
        text_to_html("hi @carol@b.example and @nobody@b.example #STEM"),
        {("carol", "b.example"): who},
        BASE,
    )
    assert (
        '<span class="h-card"><a href="https://b.example/@carol" class="u-url mention">'
        "@<span>carol</span></a></span>"
    ) in html
    assert "@nobody@b.example" in html  # unresolved mentions stay text
    assert (
        '<a href="https://school.example/tags/stem" class="mention hashtag" rel="tag">'
        "#<span>STEM</span></a>"
    ) in html


def test_urls_become_links_without_swallowing_punctuation() -> None:
    html = linkify_urls(text_to_html("see https://x.example/a?b=1&c=2."))
    assert '<a href="https://x.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">' in html
    assert html.endswith("</a>.</p>")


def _author() -> Actor:
    return Actor(
        ap_id=f"{BASE}/users/alice",
        username="alice",
        domain="school.example",
        inbox_url=f"{BASE}/users/alice/inbox",
        followers_url=f"{BASE}/users/alice/followers",
    )


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        (Visibility.PUBLIC, [PUBLIC], ["F", "M"]),
        (Visibility.UNLISTED, ["F"], [PUBLIC, "M"]),
        (Visibility.FOLLOWERS, ["F"], ["M"]),
        (Visibility.DIRECT, ["M"], []),
    ],
)
def test_addressing_per_visibility_is_mastodons(
    visibility: Visibility, to: list[str], cc: list[str]
) -> None:
    author = _author()
    followers, mentioned = author.followers_url, "https://b.example/users/carol"
    assert followers is not None

    def expand(values: list[str]) -> list[str]:
        return [followers if v == "F" else mentioned if v == "M" else v for v in values]

    got_to, got_cc = addressing_for(visibility, author, [mentioned, mentioned, author.ap_id])
    assert (got_to, got_cc) == (expand(to), expand(cc))
    # ... and reading the addressing back gives the same visibility (what C2S and peers do).
    assert visibility_from_addressing(got_to, got_cc, followers) == visibility
