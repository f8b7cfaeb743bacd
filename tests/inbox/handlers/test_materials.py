"""inbox.handlers.material, .review and .collection on a node in-process: what other
nodes send about materials, and what is refused whole (nothing of it kept)."""

from __future__ import annotations

from typing import Any

import pytest

from actors.context import NodeContext
from content.materials.as2 import MaterialFields, RemoteFile
from content.materials.remote import RemoteMaterialRefused, guard_files
from federation.constants import PUBLIC
from storage.models import (
    ContentObject,
    InboxState,
    Material,
    MaterialFile,
    MaterialReview,
    Visibility,
)
from tests.inbox.handlers.conftest import Harness, adapt
from tests.support.inprocess import shown_rating
from tests.support.remote import RemoteActor, RemoteServer

MASTODON = "http://mastodon.example.org"


def article(actor: RemoteActor, files: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{actor.id}/articles/1",
        "type": "Article",
        "attributedTo": actor.id,
        "name": "Cell division",
        "summary": "Mitosis in six steps",
        "content": "<p>Mitosis in six steps</p>",
        "source": {"content": "Mitosis in **six** steps", "mediaType": "text/markdown"},
        "to": [PUBLIC],
        "cc": [actor.id + "/followers"],
        "materialType": "worksheet",
        "license": "CC-BY-4.0",
        "schoolSubject": ["biology", "alchemy"],
        "grade": ["9"],
        "attachment": files,
        **extra,
    }


def pdf_at(url: str) -> dict[str, Any]:
    return {
        "type": "Document",
        "name": "mitosis.pdf",
        "mediaType": "application/pdf",
        "url": url,
        "size": 1234,
        "digest": "SHA-256=abc",
    }


@pytest.fixture
def teacher(remote: RemoteServer) -> RemoteActor:
    return remote.add_actor("teacher")


async def test_a_remote_material_is_stored_with_its_files_and_known_codes(
    world: Harness, teacher: RemoteActor
) -> None:
    await world.known(teacher)
    doc = article(teacher, [pdf_at(f"{teacher.base_url}/files/mitosis.pdf")])
    item = await world.receive(world.remote.activity(teacher, "Create", doc))
    assert item.state == InboxState.PROCESSED, item.error
    obj = await world.obj(doc["id"])
    material = await world.row(Material, object_id=obj.id)
    assert (material.title, material.material_type, material.license) == (
        "Cell division", "worksheet", "CC-BY-4.0",
    )  # fmt: skip
    assert material.domain == teacher.base_url.split("://")[1] and not material.local
    assert "<strong>six</strong>" in material.description_html  # rendered here, from Markdown
    files = await world.rows(MaterialFile, material_id=obj.id)
    assert [(f.name, f.size, f.digest) for f in files] == [("mitosis.pdf", 1234, "SHA-256=abc")]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://files.invalid/mitosis.pdf", "on another origin"),
        ("http://admin:secret@127.0.0.1:9/x.pdf", "credentials"),
        ("file:///etc/passwd", "scheme"),
    ],
    ids=["unresolvable-elsewhere", "credentials", "file-scheme"],
)
async def test_an_article_with_a_file_failing_the_guard_is_refused_whole(
    world: Harness, teacher: RemoteActor, url: str, reason: str
) -> None:
    await world.known(teacher)
    good = pdf_at(f"{teacher.base_url}/files/fine.pdf")
    doc = article(teacher, [good, pdf_at(url)])
    item = await world.receive(world.remote.activity(teacher, "Create", doc))
    assert item.state == InboxState.REJECTED
    assert "fails the guard" in (item.error or "") and reason in (item.error or "")
    assert await world.obj(doc["id"]) is None  # not even the post
    assert await world.rows(Material) == [] and await world.rows(MaterialFile) == []


async def test_the_guard_refuses_private_addresses_elsewhere_unless_allowed(
    node: NodeContext,
) -> None:
    fields = MaterialFields(
        title="t", summary="", description_html="", description_source=None,
        material_type="other", license="CC0-1.0", language=None, subjects=[], grades=[],
        tags=[], preview_url=None, rating_average=None, rating_count=0, published=None,
        updated=None,
        files=[RemoteFile("file", "x.pdf", "http://169.254.169.254/latest/meta-data")],
    )  # fmt: skip
    strict = type(node.config)(**{**node.config.__dict__, "allow_private_addresses": False})
    with pytest.raises(RemoteMaterialRefused, match="not a public address"):
        await guard_files(fields, "https://school.example/articles/1", strict)
    await guard_files(fields, "https://school.example/articles/1", node.config)  # tests' loopback


async def _local_material(world: Harness, visibility: Visibility) -> tuple[Any, ContentObject]:
    alice = await world.local("alice")
    obj = await world.post(alice, type="Article", name="Acids", visibility=visibility)
    material = Material(
        object_id=obj.id, author_id=alice.id, local=True, domain=world.node.config.domain,
        visibility=visibility, title="Acids", material_type="lesson_plan", license="CC0-1.0",
    )  # fmt: skip
    async with world.node.sessions() as session:
        session.add(material)
        await session.commit()
    return alice, obj


def review(actor: RemoteActor, material: ContentObject, rating: Any, n: int = 1) -> dict[str, Any]:
    return {
        "id": f"{actor.id}/reviews/{n}",
        "type": "Note",
        "attributedTo": actor.id,
        "inReplyTo": material.ap_id,
        "content": "<p>Good</p>",
        "rating": rating,
        "to": [PUBLIC],
        "cc": [],
    }


async def test_a_remote_review_counts_once_and_bad_ones_are_refused(
    world: Harness, teacher: RemoteActor
) -> None:
    await world.known(teacher)
    _alice, obj = await _local_material(world, Visibility.PUBLIC)
    for rating in (0, 6, "5", True):
        item = await world.receive(
            world.remote.activity(teacher, "Create", review(teacher, obj, rating, 9))
        )
        assert item.state == InboxState.REJECTED and "from 1 to 5" in (item.error or "")
    assert await world.obj(f"{teacher.id}/reviews/9") is None
    first = await world.receive(world.remote.activity(teacher, "Create", review(teacher, obj, 5)))
    assert first.state == InboxState.PROCESSED, first.error
    second = await world.receive(
        world.remote.activity(teacher, "Create", review(teacher, obj, 1, 2))
    )
    assert second.state == InboxState.REJECTED and "one review per reviewer" in (second.error or "")
    assert await world.obj(f"{teacher.id}/reviews/2") is None
    material = await world.row(Material, object_id=obj.id)
    assert (material.rating_count, material.rating_average) == (1, 5.0)
    assert material.rating_update_due_at is not None  # an Update is owed (debounced)
    edited = {**review(teacher, obj, 3), "updated": "2030-01-01T00:00:00Z"}
    done = await world.receive(world.remote.activity(teacher, "Update", edited))
    assert done.state == InboxState.PROCESSED, done.error
    material = await world.row(Material, object_id=obj.id)
    assert (material.rating_count, material.rating_average) == (1, 3.0)
    gone = await world.receive(world.remote.activity(teacher, "Delete", f"{teacher.id}/reviews/1"))
    assert gone.state == InboxState.PROCESSED
    material = await world.row(Material, object_id=obj.id)
    assert (material.rating_count, material.rating_average) == (0, None)
    assert await world.rows(MaterialReview) == []


async def test_a_review_of_a_material_the_reviewer_cannot_see_is_refused(
    world: Harness, teacher: RemoteActor
) -> None:
    await world.known(teacher)
    _alice, obj = await _local_material(world, Visibility.FOLLOWERS)
    item = await world.receive(world.remote.activity(teacher, "Create", review(teacher, obj, 4)))
    assert item.state == InboxState.REJECTED and "cannot see" in (item.error or "")
    assert await world.rows(MaterialReview) == []
    assert await world.obj(f"{teacher.id}/reviews/1") is None


async def test_a_reply_without_a_rating_is_a_comment(world: Harness, teacher: RemoteActor) -> None:
    await world.known(teacher)
    _alice, obj = await _local_material(world, Visibility.PUBLIC)
    comment = {k: v for k, v in review(teacher, obj, 4).items() if k != "rating"}
    item = await world.receive(world.remote.activity(teacher, "Create", comment))
    assert item.state == InboxState.PROCESSED
    assert (await world.obj(comment["id"])) is not None
    assert await world.rows(MaterialReview) == []


@pytest.fixture
def file_server() -> Any:
    """A loopback server for raw file bytes (the remote server answers JSON only)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    served: dict[str, bytes] = {}

    class Files(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    server.server_close()


async def test_a_mirroring_node_copies_remote_files_and_checks_them(
    world: Harness, teacher: RemoteActor, file_server: Any
) -> None:
    from dataclasses import replace

    from content.materials.files import digest_of, stored_path
    from content.materials.mirror import mirror_due
    from storage.types import utcnow
    from tests.support import material_files

    base, served = file_server
    good, bad = material_files.pdf(), material_files.elf()
    served["/good.pdf"], served["/bad.pdf"] = good, bad
    node = replace(
        world.node,
        config=replace(
            world.node.config, materials=replace(world.node.config.materials, mirror_remote=True)
        ),
    )
    world.node = node
    await world.known(teacher)
    doc = article(
        teacher,
        [
            {**pdf_at(f"{base}/good.pdf"), "size": len(good), "digest": digest_of(good)},
            {
                **pdf_at(f"{base}/bad.pdf"),
                "name": "bad.pdf",
                "size": len(bad),
                "digest": digest_of(bad),
            },
        ],
    )
    item = await world.receive(world.remote.activity(teacher, "Create", doc))
    assert item.state == InboxState.PROCESSED, item.error
    assert {f.mirror_state for f in await world.rows(MaterialFile)} == {"pending"}
    assert await mirror_due(node, utcnow()) == 2
    rows = {f.name: f for f in await world.rows(MaterialFile)}
    assert rows["mitosis.pdf"].mirror_state == "mirrored"
    path = stored_path(node.config, rows["mitosis.pdf"].file_name or "")
    assert path is not None and path.read_bytes() == good
    assert rows["bad.pdf"].mirror_state == "pending" and rows["bad.pdf"].file_name is None
    assert "executable" in (rows["bad.pdf"].mirror_error or "")  # retried later, then failed


async def test_a_remote_materials_figures_are_what_its_node_federated(
    world: Harness, teacher: RemoteActor
) -> None:
    """Its node counts every review; we hold only those that reached us. A review
    reaching us changes nothing here: the next Update from its node tells."""
    admin = world.remote.add_actor("admin")
    await world.known(teacher)
    await world.known(admin)
    doc = article(teacher, [], ratingAverage=4.2, ratingCount=40)
    item = await world.receive(world.remote.activity(teacher, "Create", doc))
    assert item.state == InboxState.PROCESSED, item.error
    obj = await world.obj(doc["id"])
    assert await shown_rating(world.node, obj.id) == {"average": 4.2, "count": 40}
    item = await world.receive(world.remote.activity(admin, "Create", review(admin, obj, 1)))
    assert item.state == InboxState.PROCESSED, item.error
    assert await shown_rating(world.node, obj.id) == {"average": 4.2, "count": 40}
    material = await world.row(Material, object_id=obj.id)
    assert material.rating_update_due_at is None  # not ours to tell


async def test_a_reviewer_deleting_itself_leaves_the_materials_figures(
    world: Harness, teacher: RemoteActor
) -> None:
    """Mastodon's ``Delete`` of the actor itself purges its reviews: the rating an
    app is shown is recounted from the reviews left, and an Update is owed."""
    admin = world.remote.add_actor("admin")
    await world.known(teacher)
    await world.known(admin)
    _alice, obj = await _local_material(world, Visibility.PUBLIC)
    for reviewer, rating in ((admin, 1), (teacher, 5)):
        item = await world.receive(
            world.remote.activity(reviewer, "Create", review(reviewer, obj, rating))
        )
        assert item.state == InboxState.PROCESSED, item.error
    assert await shown_rating(world.node, obj.id) == {"average": 3.0, "count": 2}
    async with world.node.sessions() as session:
        row = await session.get(Material, obj.id)
        row.rating_update_due_at = None  # that Update went out
        await session.commit()

    body = adapt("mastodon/activity-delete-person.json", {MASTODON: world.remote.base_url})
    assert body["actor"] == admin.id
    gone = await world.receive(body)
    assert gone.state == InboxState.PROCESSED, gone.error
    assert await shown_rating(world.node, obj.id) == {"average": 5.0, "count": 1}
    material = await world.row(Material, object_id=obj.id)
    assert material.rating_update_due_at is not None
    assert [r.ap_id for r in await world.rows(MaterialReview)] == [f"{teacher.id}/reviews/1"]
