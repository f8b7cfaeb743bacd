"""content.materials.as2 over the payloads FEDERATION.md shows (tests/fixtures/staffroom/):
what another Staffroom node rebuilds from an Article, and that ours has that shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from actors.config import NodeConfig
from content.as2 import object_from_as2
from content.materials.as2 import is_material, material_from_as2, material_to_as2
from content.materials.model import MaterialView
from content.materials.remote_collections import remote_fields
from federation.jsonld import normalize
from storage.models import Actor, ContentObject, Material, MaterialFile

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "staffroom"
CONFIG = NodeConfig(
    domain="school.example", scheme="https", node_name="n", node_description="d",
    open_registrations=False, allow_http=False, allow_private_addresses=False,
    max_inbox_bytes=1 << 20, software_version="0",
)  # fmt: skip


def fixture(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text("utf-8"))
    return doc


def test_another_node_rebuilds_the_whole_material_from_its_article() -> None:
    doc = normalize(fixture("material-article.json"))
    assert is_material(doc)
    fields = material_from_as2(doc)
    assert fields.title == "Photosynthesis, a lesson for grade 6"
    assert (fields.material_type, fields.license) == ("lesson_plan", "CC-BY-4.0")
    assert (fields.subjects, fields.grades, fields.tags) == (["biology"], ["6"], ["plants"])
    assert fields.description_source == "# Leaves\n\nHow **chlorophyll** catches light."
    assert "<strong>chlorophyll</strong>" in fields.description_html
    assert "Files" not in fields.description_html  # rebuilt from the Markdown, not the content
    assert fields.preview_url is not None and fields.preview_url.endswith("preview.jpg")
    assert [(f.kind, f.name, f.size) for f in fields.files] == [
        ("file", "photosynthesis.pdf", 589),
        ("file", "worksheet.docx", 630),
        ("link", "example.org/leaf-model", None),
    ]
    assert (fields.rating_average, fields.rating_count, fields.language) == (4.0, 1, "en")


def test_a_plain_article_or_an_unknown_code_is_read_safely() -> None:
    doc = fixture("material-article.json")
    assert not is_material({**doc, "materialType": None})
    odd = material_from_as2(
        {
            **doc,
            "materialType": "podcast",
            "license": "https://creativecommons.org/licenses/by-sa/4.0/",
            "schoolSubject": ["alchemy", "biology"],
        }
    )
    assert (odd.material_type, odd.license, odd.subjects) == ("other", "CC-BY-SA-4.0", ["biology"])


def test_our_article_has_the_documented_shape() -> None:
    doc = fixture("material-article.json")
    author = Actor(
        id=1,
        ap_id="https://school.example/users/alice",
        username="alice",
        domain="school.example",
        inbox_url="x",
    )
    material = Material(
        object_id=117742550202515488, author_id=1, local=True, domain="school.example",
        visibility="public", title=doc["name"], summary=doc["summary"],
        description_html="<p>x</p>", description_source=doc["source"]["content"],
        material_type="lesson_plan", license="CC-BY-4.0", language="en", tags=["plants"],
        preview_url=doc["image"]["url"], rating_count=1, rating_average=4.0,
    )  # fmt: skip
    files = [
        MaterialFile(
            material_id=1,
            kind="file",
            name=a["name"],
            media_type=a["mediaType"],
            size=a["size"],
            digest=a["digest"],
            url=a["url"],
        )
        for a in doc["attachment"]
        if a["type"] == "Document"
    ] + [
        MaterialFile(
            material_id=1,
            kind="link",
            name="example.org/leaf-model",
            url="https://example.org/leaf-model",
        )
    ]
    view = MaterialView(material, files, ["biology"], ["6"])
    obj = ContentObject(
        id=material.object_id,
        ap_id=doc["id"],
        author_id=1,
        local=True,
        type="Article",
        to=doc["to"],
        cc=doc["cc"],
        url=doc["url"],
        conversation=doc["id"],
    )
    ours = material_to_as2(view, obj, author, CONFIG)
    assert set(ours) - {"updated"} == set(doc) - {"updated"}
    assert [a["type"] for a in ours["attachment"]] == [a["type"] for a in doc["attachment"]]
    assert ours["attachment"][1] == doc["attachment"][1]
    for term in (
        "materialType",
        "license",
        "schoolSubject",
        "grade",
        "ratingAverage",
        "ratingCount",
        "source",
        "image",
    ):
        assert ours[term] == doc[term], term
    assert material_from_as2(ours).files == material_from_as2(doc).files


def test_a_review_note_carries_its_rating() -> None:
    fields = object_from_as2(normalize(fixture("review-note.json")))
    assert fields["extra"]["rating"] == 4
    assert fields["in_reply_to"].endswith("/statuses/117742550202515488")


def test_a_collection_document_and_its_add() -> None:
    doc = fixture("collection.json")
    found = remote_fields(doc, doc["id"])
    assert found == (
        doc["id"],
        "https://school.example/users/alice",
        "Grade 6 biology, term 1",
        doc["orderedItems"],
    )
    assert (
        remote_fields(doc, "https://elsewhere.example/c") is None
    )  # not vouched for by its origin
    add = normalize(fixture("collection-add.json"))
    assert add["target"]["id"] == doc["id"]
