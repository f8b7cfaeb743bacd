"""Hypothesis strategies for what a hostile peer sends: HTML, JSON-LD contexts, activities."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.support.hostile_html import PAYLOADS

TAGS = (
    "p", "a", "span", "script", "style", "img", "svg", "iframe", "form", "input", "button",
    "meta", "base", "object", "embed", "math", "mglyph", "table", "b", "code", "pre", "li",
    "link", "template", "noscript", "textarea", "title", "xmp", "select", "option",
)  # fmt: skip
ATTRIBUTES = (
    "href", "src", "onerror", "onload", "onclick", "style", "srcdoc", "formaction",
    "xlink:href", "class", "rel", "action", "data", "http-equiv", "content", "target",
)  # fmt: skip
SCHEMES = (
    "javascript:", "JaVaScRiPt:", "java\tscript:", "jav&#x09;ascript:", "&#106;avascript:",
    " javascript:", "vbscript:", "data:text/html,", "data:text/html;base64,", "https://",
    "http://", "mailto:", "/", "//evil.example/", "#", "",
)  # fmt: skip


@st.composite
def attribute(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(ATTRIBUTES))
    value = draw(st.sampled_from(SCHEMES)) + draw(
        st.text(alphabet="alert(1)<>\"'` =;:&#x/\\e", max_size=12)
    )
    quote = draw(st.sampled_from(['"', "'", ""]))
    return f" {name}={quote}{value}{quote}"


def html() -> st.SearchStrategy[str]:
    """Markup an attacker would write: nested tags, handlers, links, payloads, junk."""
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
    leaf = st.one_of(
        text,
        st.sampled_from(PAYLOADS),
        st.sampled_from(["&lt;", "&amp;", "<!--", "-->", "<![CDATA[", "]]>", "</", "<", ">"]),
    )

    def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.builds(
            lambda tag, attrs, inner, close: (
                f"<{tag}{''.join(attrs)}>{''.join(inner)}" + (f"</{tag}>" if close else "")
            ),
            st.sampled_from(TAGS),
            st.lists(attribute(), max_size=3),
            st.lists(children, max_size=3),
            st.booleans(),
        )

    return st.recursive(leaf, element, max_leaves=12)


URLS = (
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    "http://joinmastodon.org/ns",
    "https://evil.example/context.jsonld",
    "http://127.0.0.1/ctx",
)


def contexts() -> st.SearchStrategy[Any]:
    """``@context`` values: URLs (known and not), inline terms, scoped contexts, keywords."""
    iri = st.sampled_from(
        [
            "https://e.example/x",
            "as:content",
            "as:Public",
            "https://www.w3.org/ns/activitystreams#name",
            "_:b0",
            "@id",
            "@type",
            "toot:x",
            "",
        ]
    )
    term_name = st.sampled_from(
        [
            "content",
            "name",
            "x",
            "y",
            "to",
            "type",
            "id",
            "toot",
            "as",
            "@vocab",
            "@base",
            "@language",
            "@version",
            "@protected",
            "@import",
            "@propagate",
        ]
    )

    def definition(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            iri,
            st.fixed_dictionaries(
                {"@id": iri},
                optional={
                    "@type": st.sampled_from(["@id", "@vocab", "@json", "xsd:string"]),
                    "@container": st.sampled_from(
                        ["@list", "@set", "@language", "@index", "@graph"]
                    ),
                    "@context": inner,
                    "@protected": st.booleans(),
                },
            ),
        )

    base = st.one_of(st.sampled_from(URLS), st.none(), st.integers(-2, 2))
    return st.recursive(
        base,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(term_name, definition(inner), max_size=5),
        ),
        max_leaves=20,
    )


ACTIVITY_TYPES = (
    "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Announce",
    "Block", "Flag", "Add", "Remove", "Move", "Question", "Note", "Person", "", "as:Create",
)  # fmt: skip
OBJECT_TYPES = (
    "Note",
    "Article",
    "Question",
    "Event",
    "Document",
    "Tombstone",
    "Person",
    "Image",
    "Page",
)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def activities(actor: str, node_base: str) -> st.SearchStrategy[dict[str, Any]]:
    """Activities from ``actor``: types, ids (ours, theirs, elsewhere, junk), nesting, audience."""
    origin = actor.rsplit("/users/", 1)[0]
    ids = st.one_of(
        st.builds(lambda n: f"{actor}/things/{n}", st.integers(0, 10**6)),
        st.builds(lambda n: f"{node_base}/users/bob/statuses/{n}", st.integers(0, 99)),
        st.sampled_from([f"{origin}/x", "https://elsewhere.example/y", "", "not a url", actor]),
        json_values(3),
    )
    audience = st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "https://www.w3.org/ns/activitystreams#Public",
                    "as:Public",
                    "Public",
                    f"{node_base}/users/bob",
                    f"{actor}/followers",
                    f"{node_base}/users/nobody",
                ]
            ),
            json_values(2),
        ),
        max_size=4,
    )
    objects = st.fixed_dictionaries(
        {"id": ids, "type": st.sampled_from(OBJECT_TYPES)},
        optional={
            "attributedTo": st.one_of(st.just(actor), ids),
            "content": html(),
            "summary": html(),
            "name": html(),
            "contentMap": st.dictionaries(
                st.sampled_from(["en", "fr", "und", ""]), html(), max_size=2
            ),
            "inReplyTo": ids,
            "to": audience,
            "cc": audience,
            "attachment": st.lists(
                st.fixed_dictionaries(
                    {"type": st.sampled_from(["Document", "Image", "Link", "PropertyValue"])},
                    optional={"url": ids, "name": html(), "mediaType": st.text(max_size=10)},
                ),
                max_size=2,
            ),
            "tag": st.lists(json_values(3), max_size=2),
            "oneOf": st.lists(
                st.fixed_dictionaries({"type": st.just("Note"), "name": html()}), max_size=2
            ),
        },
    )

    def activity(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {
                "id": st.builds(lambda n: f"{actor}/activities/{n}", st.integers(0, 10**12)),
                "type": st.sampled_from(ACTIVITY_TYPES),
                "actor": st.one_of(st.just(actor), st.just(actor), ids),
            },
            optional={
                "object": inner,
                "to": audience,
                "cc": audience,
                "bcc": audience,
                "target": ids,
                "content": html(),
                "published": st.text(max_size=25),
            },
        )

    return activity(st.recursive(st.one_of(ids, objects), activity, max_leaves=3))
