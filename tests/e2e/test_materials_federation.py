"""Teaching materials across two nodes and the Fedify peer, told in order.

Node A (PostgreSQL when configured) with alice and carol, node B (SQLite)
with bob, and fred on the Fedify peer. bob and fred follow alice. alice
publishes a material with a PDF and a DOCX; B rebuilds it whole (files,
metadata, license) and finds it by a word of its description and by subject
and grade; bob reviews it from B, A recounts and then tells B (a debounced
Update); fred receives an ``Article`` with ``Document`` attachments; a
Mastodon.py client on B sees a status with the preview and the links.
Then the refusals, each a clear error that keeps nothing: a renamed
program, an oversize file, a zip bomb, ratings 0 and 6, a second review, a
review of a material one cannot see, a script in the Markdown; and the
collection, the search by ``uri``, the downloads counter, the C2S outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError
from sqlmodel import func, select

from staffroom.settings import load_settings
from storage.models import ContentObject, Material
from tests.support import material_files as files
from tests.support.databases import postgres_admin_url
from tests.support.fedify import missing_reason, started_peer
from tests.support.node import Node, wait_until

MATERIAL_ENV = {
    "STAFFROOM_MATERIAL_MAX_FILE_BYTES": str(256 * 1024),
    "STAFFROOM_MATERIAL_MAX_UNPACKED_BYTES": str(8 * 1024 * 1024),
    "STAFFROOM_MATERIAL_RATING_DEBOUNCE_SECONDS": "1",
}
API = "/api/v1/staffroom/materials"


@dataclass
class World:
    a: Node
    b: Node
    fred: Any
    tokens: dict[str, str]
    seen: dict[str, Any] = field(default_factory=dict)

    def http(self, node: Node, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=node.base_url, headers=headers, timeout=30)


def _node(path: Path, kind: str) -> Node:
    node = Node(path, kind)
    node.env.update(MATERIAL_ENV)
    node.settings = load_settings(env=node.env)
    return node


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if missing_reason() is not None:
        pytest.skip(missing_reason() or "")
    base = tmp_path_factory.mktemp("materials")
    a = _node(base / "a", "postgres" if postgres_admin_url() else "sqlite")
    b = _node(base / "b", "sqlite")
    try:
        for node, names in ((a, ("alice", "carol")), (b, ("bob",))):
            node.migrate()
            for name in names:
                node.create_user(name)
            node.start()
        tokens = {"alice": a.token("alice"), "carol": a.token("carol"), "bob": b.token("bob")}
        with started_peer(base / "fedify", "fred") as fred:
            yield World(a, b, fred, tokens)
    finally:
        a.close()
        b.close()


def _publish(
    world: World, who: str, *, uploads: list[tuple[str, bytes]], **data: Any
) -> httpx.Response:
    with world.http(world.a, who) as http:
        return http.post(
            API,
            files=[("files[]", (name, body, "application/pdf")) for name, body in uploads],
            data=data,
        )


def _count(node: Node, model: Any) -> int:
    async def work(session: Any) -> int:
        return int((await session.exec(select(func.count()).select_from(model))).one())

    return node.with_session(work)


def _stored_files(node: Node) -> set[str]:
    folder = node.settings.media_dir / "materials" / "files"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_followers_on_another_node_and_on_fedify(world: World) -> None:
    bob = Mastodon(access_token=world.tokens["bob"], api_base_url=world.b.base_url)
    found = bob.search_v2(f"alice@{world.a.domain}", resolve=True)["accounts"]
    bob.account_follow(found[0]["id"])
    wait_until(lambda: bob.account_relationships(found[0]["id"])[0]["following"], timeout=30)
    world.fred.follow(f"alice@{world.a.domain}")
    world.fred.wait_for(type="Accept", timeout=30)
    world.seen["bob_client"] = bob


def test_a_material_with_a_pdf_and_a_docx_is_published(world: World) -> None:
    response = _publish(
        world,
        "alice",
        uploads=[("photosynthesis.pdf", files.pdf()), ("worksheet.docx", files.docx())],
        title="Photosynthesis, a lesson for grade 6",
        description="# Leaves\n\nHow **chlorophyll** catches light. <script>alert(1)</script>",
        **{
            "subjects[]": ["biology"],
            "grades[]": ["6"],
            "type": "lesson_plan",
            "license": "CC-BY-4.0",
            "language": "en",
            "tags[]": ["plants"],
            "links[]": ["https://example.org/leaf-model"],
        },
    )
    assert response.status_code == 200, response.text
    material = response.json()
    assert [f["media_type"] for f in material["files"]] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    assert {"id", "uri", "url", "title", "files", "rating"} <= set(material)
    assert material["rating"] == {"average": None, "count": 0}
    assert material["type"] == "lesson_plan" and material["license"] == "CC-BY-4.0"
    assert material["subjects"] == ["biology"] and material["grades"] == ["6"]
    assert material["labels"]["subjects"]["biology"] == {"en": "Biology", "ru": "Биология"}
    assert material["preview_url"].endswith("-preview.jpg")  # the PDF's first page
    assert "<script" not in material["description"]
    assert "&lt;script&gt;" in material["description"]
    assert all(set(f) >= {"url", "name", "media_type", "size"} for f in material["files"])
    world.seen["material"] = material


def test_node_b_rebuilds_it_and_finds_it_by_word_subject_and_grade(world: World) -> None:
    uri = world.seen["material"]["uri"]

    def on_b() -> list[dict[str, Any]]:
        with world.http(world.b, "bob") as http:
            found = http.get(API, params={"q": "chlorophyll"}).json()
        return [m for m in found if m["uri"] == uri]

    remote = wait_until(on_b, timeout=30)[0]
    original = world.seen["material"]
    assert remote["node"] == world.a.domain and remote["local"] is False
    assert remote["title"] == original["title"]
    assert remote["license"] == "CC-BY-4.0" and remote["type"] == "lesson_plan"
    assert remote["subjects"] == ["biology"] and remote["grades"] == ["6"]
    assert remote["language"] == "en" and remote["tags"] == ["plants"]
    assert [(f["name"], f["media_type"], f["size"], f["digest"]) for f in remote["files"]] == [
        (f["name"], f["media_type"], f["size"], f["digest"]) for f in original["files"]
    ]
    assert [f["url"] for f in remote["files"]] == [f["url"] for f in original["files"]]
    assert remote["links"] == [
        {"url": "https://example.org/leaf-model", "name": "example.org/leaf-model"}
    ]
    assert remote["description"] == original["description"]
    with world.http(world.b) as anonymous:
        by_codes = anonymous.get(API, params={"subject": "biology", "grade": "6"}).json()
        assert [m["uri"] for m in by_codes] == [uri]
        assert anonymous.get(API, params={"subject": "chemistry"}).json() == []
        assert anonymous.get(API, params={"grade": "7", "q": "chlorophyll"}).json() == []
        assert [m["uri"] for m in anonymous.get(API, params={"node": world.a.domain}).json()] == [
            uri
        ]
        stems = anonymous.get(API, params={"q": "catching LESSONS"}).json()  # English stems
        assert [m["uri"] for m in stems] == [uri]
    world.seen["on_b"] = remote


def test_the_fedify_peer_receives_an_article_with_its_documents(world: World) -> None:
    uri = world.seen["material"]["uri"]
    received = world.fred.wait_for(
        type="Create", predicate=lambda r: r.get("objectId") == uri, timeout=30
    )
    assert received["objectType"] == "Article"
    article = received["activity"]["object"]
    documents = [a for a in article["attachment"] if a["type"] == "Document"]
    assert [(d["name"], d["mediaType"]) for d in documents] == [
        ("photosynthesis.pdf", "application/pdf"),
        (
            "worksheet.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ]
    assert all(isinstance(d["size"], int) and d["digest"].startswith("SHA-256=") for d in documents)
    assert article["attachment"][0]["type"] == "Image"  # the preview, first for Mastodon
    assert article["materialType"] == "lesson_plan" and article["license"] == "CC-BY-4.0"
    assert "photosynthesis.pdf</a>" in article["content"]  # the files as links for the rest
    looked_up = world.fred.lookup(uri)
    assert looked_up["type"] == "Article"


def test_a_mastodon_client_on_b_sees_a_status_with_preview_and_links(world: World) -> None:
    bob: Mastodon = world.seen["bob_client"]
    status = bob.status(world.seen["on_b"]["id"])
    assert status["uri"] == world.seen["material"]["uri"]
    assert "Photosynthesis, a lesson for grade 6" in status["content"]
    assert "photosynthesis.pdf" in status["content"] and "worksheet.docx" in status["content"]
    assert status["spoiler_text"] == "" and status["sensitive"] is False
    kinds = [(m["type"], m["url"]) for m in status["media_attachments"]]
    assert kinds == [("image", world.seen["material"]["preview_url"])]
    home = bob.timeline_home()
    assert any(s["uri"] == status["uri"] for s in home)


def test_reviewed_from_b_a_recounts_then_b_shows_it(world: World) -> None:
    on_b = world.seen["on_b"]
    with world.http(world.b, "bob") as http:
        response = http.post(
            f"{API}/{on_b['id']}/reviews", data={"rating": "4", "text": "Clear and short."}
        )
        assert response.status_code == 200, response.text
        assert response.json()["rating"] == 4
        again = http.post(f"{API}/{on_b['id']}/reviews", data={"rating": "5", "text": "Twice"})
        assert again.status_code == 422 and "already reviewed" in again.json()["error"]
        for rating in ("0", "6"):
            bad = http.post(f"{API}/{on_b['id']}/reviews", data={"rating": rating, "text": "x"})
            assert bad.status_code == 422 and "from 1 to 5" in bad.json()["error"]
    material_id = world.seen["material"]["id"]

    def on_a() -> dict[str, Any]:
        with world.http(world.a) as http:
            return dict(http.get(f"{API}/{material_id}").json()["rating"])

    assert wait_until(lambda: on_a() == {"average": 4.0, "count": 1} and on_a(), timeout=30)

    def back_on_b() -> dict[str, Any]:
        with world.http(world.b) as http:
            return dict(http.get(f"{API}/{on_b['id']}").json()["rating"])

    assert wait_until(lambda: back_on_b() == {"average": 4.0, "count": 1}, timeout=30)
    with world.http(world.a) as http:
        reviews = http.get(f"{API}/{material_id}/reviews").json()
    assert [(r["rating"], r["account"]["acct"]) for r in reviews] == [(4, f"bob@{world.b.domain}")]
    # A comment from a Mastodon app (no rating) stays a comment.
    bob: Mastodon = world.seen["bob_client"]
    bob.status_post("Nice one!", in_reply_to_id=on_b["id"])
    with world.http(world.a) as http:
        wait_until(lambda: http.get(f"{API}/{material_id}").json()["rating"]["count"] == 1)


def test_downloads_are_counted_once_per_viewer_per_day(world: World) -> None:
    material = world.seen["material"]
    url = material["files"][0]["url"]
    for _ in range(3):
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200
        assert response.content == files.pdf()
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"
    with world.http(world.a, "carol") as http:
        http.get(f"{API}/{material['id']}/files/{material['files'][1]['id']}")
        assert http.get(f"{API}/{material['id']}").json()["downloads"] == 2
        by_downloads = http.get(API, params={"sort": "downloads"}).json()
        assert by_downloads[0]["id"] == material["id"]
        context = http.get("/ns")  # our JSON-LD terms, at a stable URL on every node
        assert context.headers["content-type"].startswith("application/ld+json")
        assert context.json()["@context"]["materialType"] == "staffroom:materialType"


def test_bad_uploads_are_refused_and_leave_nothing(world: World) -> None:
    before_files, before_rows = _stored_files(world.a), _count(world.a, Material)
    before_objects = _count(world.a, ContentObject)
    cases = [
        ([("lesson.pdf", files.elf())], "lesson.pdf: an executable program is not accepted"),
        (
            [("ok.pdf", files.pdf()), ("big.pdf", files.pdf() + b"\0" * 300_000)],
            "big.pdf: the file is larger",
        ),
        ([("bomb.docx", files.zip_bomb_docx(40))], "bomb.docx: the document would unpack to more"),
        ([("liar.docx", files.lying_docx())], "liar.docx: the document is a damaged zip"),
        ([("macro.docx", files.macro_docx())], "macro.docx: documents with macros"),
    ]
    for uploads, reason in cases:
        response = _publish(world, "alice", uploads=uploads, title="Refused", type="worksheet")
        assert response.status_code == 422, response.text
        assert reason in response.json()["error"]
    for data, reason in (
        ({"title": "", "links[]": ["https://e.org"]}, "needs a title"),
        ({"title": "x", "license": "GPL", "links[]": ["https://e.org"]}, "unknown license"),
        (
            {"title": "x", "subjects[]": ["alchemy"], "links[]": ["https://e.org"]},
            "unknown subject",
        ),
        ({"title": "x"}, "at least one file or link"),
        ({"title": "x", "links[]": ["file:///etc/passwd"]}, "is refused"),
        ({"title": "x", "community": "chem", "links[]": ["https://e.org"]}, "not a community"),
    ):
        response = _publish(world, "alice", uploads=[], **data)
        assert response.status_code == 422 and reason in response.json()["error"], response.text
    assert _stored_files(world.a) == before_files  # no orphan file
    assert _count(world.a, Material) == before_rows  # no half-stored row
    assert _count(world.a, ContentObject) == before_objects
    with world.http(world.a, "alice") as http:
        too_big = http.post(
            API,
            content=b"x" * (256 * 1024 * 10 + 2 * 1024 * 1024),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
        assert too_big.status_code == 413


def test_a_followers_only_material_cannot_be_seen_or_reviewed_by_strangers(world: World) -> None:
    response = _publish(
        world,
        "alice",
        uploads=[("notes.pdf", files.pdf("Private"))],
        title="Staff notes",
        visibility="private",
        type="other",
    )
    assert response.status_code == 200, response.text
    hidden = response.json()
    with world.http(world.a, "carol") as http:
        assert http.get(f"{API}/{hidden['id']}").status_code == 404
        review = http.post(f"{API}/{hidden['id']}/reviews", data={"rating": "5", "text": "?"})
        assert review.status_code == 404
        assert all(m["id"] != hidden["id"] for m in http.get(API).json())
    with world.http(world.a) as anonymous:
        assert anonymous.get(f"{API}/{hidden['id']}").status_code == 404
    with world.http(world.a, "alice") as http:
        assert http.get(f"{API}/{hidden['id']}").status_code == 200


def test_search_by_uri_on_b_resolves_a_material_b_never_received(world: World) -> None:
    response = _publish(
        world,
        "carol",
        uploads=[
            ("ode.odt", files.odt()),
            ("slides.pptx", files.pptx()),
            ("leaf.png", files.png()),
        ],
        title="Ода листу",
        description="Урок литературы о **листьях**.",  # noqa: RUF001
        language="ru",
        type="presentation",
        license="CC0-1.0",
        **{"subjects[]": ["literature"], "grades[]": ["5"]},
    )
    assert response.status_code == 200, response.text
    ode = response.json()
    assert ode["preview_url"] is not None  # the image is the preview
    with world.http(world.b, "bob") as http:
        assert http.get(API, params={"q": "листья"}).json() == []
        found = http.get(API, params={"q": ode["uri"]}).json()
        assert [m["uri"] for m in found] == [ode["uri"]]
        assert [f["media_type"] for f in found[0]["files"]] == [
            "application/vnd.oasis.opendocument.text",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "image/png",
        ]
        russian = http.get(API, params={"q": "листья"}).json()  # Russian stems: листьях → лист
        assert [m["uri"] for m in russian] == [ode["uri"]]


def test_a_collection_is_followed_from_another_node(world: World) -> None:
    material = world.seen["material"]
    with world.http(world.a, "alice") as http:
        created = http.post(
            "/api/v1/staffroom/collections",
            data={"name": "Grade 6 biology, term 1", "description": "My methodological piggy bank"},
        ).json()
        uri = created["uri"]
    with world.http(world.b, "bob") as http:
        resolved = http.get("/api/v1/staffroom/collections/resolve", params={"uri": uri})
        assert resolved.status_code == 200, resolved.text
        on_b = resolved.json()
        assert on_b["items"] == [] and on_b["name"] == "Grade 6 biology, term 1"
        followed = http.post(f"/api/v1/staffroom/collections/{on_b['id']}/follow").json()
        assert followed["following"] is True
    with world.http(world.a, "alice") as http:
        wait_until(
            lambda: (
                http.get(uri, headers={"Accept": "application/activity+json"}).status_code == 200
            )
        )
        added = http.post(
            f"/api/v1/staffroom/collections/{created['id']}/items",
            data={"material_id": material["id"]},
        )
        assert added.status_code == 200, added.text
        doc = http.get(uri, headers={"Accept": "application/activity+json"}).json()
        assert doc["type"] == "OrderedCollection" and doc["orderedItems"] == [material["uri"]]

    def items_on_b() -> list[str]:
        with world.http(world.b, "bob") as http:
            return [
                m["uri"]
                for m in http.get(f"/api/v1/staffroom/collections/{on_b['id']}").json()["items"]
            ]

    assert wait_until(lambda: items_on_b() == [material["uri"]], timeout=30)
    with world.http(world.a, "alice") as http:
        http.delete(f"/api/v1/staffroom/collections/{created['id']}/items/{material['id']}")
    wait_until(lambda: items_on_b() == [], timeout=30)


def test_the_c2s_outbox_takes_a_bare_article(world: World) -> None:
    article = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Article",
        "name": "Leaf model links",
        "content": "<p>Models of a leaf</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "materialType": "project",
        "license": "CC-BY-SA-4.0",
        "schoolSubject": ["biology"],
        "grade": ["7"],
        "attachment": [{"type": "Link", "href": "https://example.org/model", "name": "model"}],
    }
    with world.http(world.a, "alice") as http:
        response = http.post(
            "/users/alice/outbox",
            json=article,
            headers={"Content-Type": "application/activity+json"},
        )
        assert response.status_code == 201, response.text
        listed = http.get(API, params={"grade": "7"}).json()
    assert [(m["title"], m["license"], m["links"][0]["url"]) for m in listed] == [
        ("Leaf model links", "CC-BY-SA-4.0", "https://example.org/model")
    ]
    # Through the Mastodon API a material is a status: not edited there, but deleted whole.
    alice = Mastodon(access_token=world.tokens["alice"], api_base_url=world.a.base_url)
    with pytest.raises(MastodonAPIError, match="edited through /api/v1/staffroom/materials"):
        alice.status_update(listed[0]["id"], "new text")
    alice.status_delete(listed[0]["id"])
    with world.http(world.a, "alice") as http:
        assert http.get(API, params={"grade": "7"}).json() == []
        assert http.get(f"{API}/{listed[0]['id']}").status_code == 404


def test_an_edit_and_a_delete_travel(world: World) -> None:
    material = world.seen["material"]
    with world.http(world.a, "alice") as http:
        edited = http.put(
            f"{API}/{material['id']}",
            data={
                "title": "Photosynthesis (revised)",
                "remove_files[]": [material["files"][1]["id"]],
            },
        )
        assert edited.status_code == 200, edited.text
        assert [f["name"] for f in edited.json()["files"]] == ["photosynthesis.pdf"]

    def title_on_b() -> str:
        with world.http(world.b) as http:
            return str(http.get(f"{API}/{world.seen['on_b']['id']}").json().get("title"))

    wait_until(lambda: title_on_b() == "Photosynthesis (revised)", timeout=30)
    before = _stored_files(world.a)
    with world.http(world.a, "alice") as http:
        assert http.delete(f"{API}/{material['id']}").status_code == 200
    assert len(_stored_files(world.a)) == len(before) - 1  # its file went with it
    with world.http(world.b) as http:
        wait_until(
            lambda: http.get(f"{API}/{world.seen['on_b']['id']}").status_code == 404, timeout=30
        )
