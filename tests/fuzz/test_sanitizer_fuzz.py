"""The sanitizer under fuzz: its output is safe HTML and a fixed point; plain text stays inert."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from content.sanitize import plain_text, sanitize_html
from federation.inert_text import inert_text
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import html
from tests.support.hostile_html import assert_inert_text, assert_safe_html

ANY_TEXT = st.one_of(html(), st.text())


@settings(max_examples=examples(10))
@given(ANY_TEXT)
def test_sanitized_html_is_safe_and_a_fixed_point(value: str) -> None:
    once = sanitize_html(value)
    assert_safe_html(once)
    assert sanitize_html(once) == once


@settings(max_examples=examples(10))
@given(ANY_TEXT)
def test_plain_text_goes_out_inert_and_comes_back_the_same(value: str) -> None:
    text = plain_text(value) or ""
    sent = inert_text(text)
    assert_inert_text(sent)
    assert (plain_text(sent) or "") == text
