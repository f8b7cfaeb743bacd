"""Media uploads through Mastodon.py and raw HTTP, over both databases.

Proves: an upload answers a complete MediaAttachment (url, thumbnail,
dimensions, blurhash, alt text, focus); the stored image has lost its EXIF
location; alt text and focus can change until a post attaches the upload;
another account's upload can be neither read nor attached; refusals are
``422`` with a message (unsupported type, undecodable image, image over the
size or pixel limit, too many attachments) and ``413`` for a body over the
largest allowed file; served files cannot escape the media directory.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError
from PIL import Image

from tests.api.statuses_support import MEDIA_KEYS, client, jpeg_with_gps, png, raw
from tests.support.node import Node


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("media"), module_db_kind, workers=False)
    node.migrate()
    node.create_user("alice")
    node.create_user("bob")
    node.start()
    yield node
    node.close()


@pytest.fixture(scope="module")
def alice(node: Node) -> Mastodon:
    return client(node, "alice")


def test_upload_answers_a_complete_attachment(node: Node) -> None:
    with raw(node, "alice") as http:
        r = http.post(
            "/api/v2/media",
            files={"file": ("photo.png", png(1280, 720), "image/png")},
            data={"description": "Pupils' art display", "focus": "-0.5,0.25"},
        )
    assert r.status_code == 200, r.text
    media = r.json()
    assert set(media) >= MEDIA_KEYS
    assert media["type"] == "image" and media["remote_url"] is None
    assert media["description"] == "Pupils' art display"
    assert media["meta"]["original"] == {
        "width": 1280, "height": 720, "size": "1280x720", "aspect": 1280 / 720,
    }  # fmt: skip
    small = media["meta"]["small"]
    assert small["width"] * small["height"] <= 640 * 360 + 1280
    assert media["meta"]["focus"] == {"x": -0.5, "y": 0.25}
    assert isinstance(media["blurhash"], str) and len(media["blurhash"]) > 6
    thumbnail = Image.open(io.BytesIO(httpx.get(media["preview_url"], timeout=10).content))
    assert thumbnail.size == (small["width"], small["height"])


def test_exif_location_is_stripped(alice: Mastodon) -> None:
    media = alice.media_post(jpeg_with_gps(), mime_type="image/jpeg")
    stored = Image.open(io.BytesIO(httpx.get(media.url, timeout=10).content))
    assert stored.format == "JPEG"
    assert 0x8825 not in stored.getexif()
    assert 0x010F not in stored.getexif()


def test_alt_text_and_focus_change_until_attached(node: Node, alice: Mastodon) -> None:
    media = alice.media_post(png(), mime_type="image/png")
    assert media.description is None
    changed = alice.media_update(media, description="A timetable", focus=(0.1, -0.2))
    assert changed.description == "A timetable"
    assert alice.media(media).meta.focus == {"x": 0.1, "y": -0.2}
    bob = client(node, "bob")
    with pytest.raises(MastodonNotFoundError):
        bob.media(media)
    with pytest.raises(MastodonAPIError) as stolen:
        bob.status_post("mine now", media_ids=[media])
    assert stolen.value.args[1] == 422
    status = alice.status_post("", media_ids=[media])  # media alone is a post
    assert status.media_attachments[0].description == "A timetable"
    with pytest.raises(MastodonNotFoundError):
        alice.media(media)


def test_video_and_audio_are_kept_as_sent(alice: Mastodon) -> None:
    video = alice.media_post(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, mime_type="video/mp4")
    assert video.type == "video" and video.url.endswith(".mp4")
    audio = alice.media_post(b"ID3" + b"\x00" * 64, mime_type="audio/mpeg")
    assert audio.type == "audio"


def test_refusals(node: Node) -> None:
    with raw(node, "alice") as http:

        def upload(data: bytes, kind: str) -> httpx.Response:
            return http.post("/api/v2/media", files={"file": ("f", data, kind)})

        for data, kind, words in (
            (b"hello", "text/plain", "not supported"),
            (b"not really a png", "image/png", "not an image"),
            (b"\x00" * (16 * 1024 * 1024 + 1), "image/png", "larger than 16 MB"),
        ):
            r = upload(data, kind)
            assert r.status_code == 422, (kind, r.text)
            assert r.json()["error"].startswith("Validation failed:")
            assert words in r.json()["error"]
        bomb = io.BytesIO()
        Image.new("1", (8000, 8000)).save(bomb, "PNG")  # 64 megapixels, a few kB
        r = upload(bomb.getvalue(), "image/png")
        assert r.status_code == 422 and "pixels" in r.json()["error"]
        assert http.post("/api/v2/media", data={"description": "no file"}).status_code == 422
        r = http.post("/api/v2/media", files={"file": ("p.png", png(), "image/png")},
                      data={"focus": "3,0"})  # fmt: skip
        assert r.status_code == 422
        ids = [upload(png(), "image/png").json()["id"] for _ in range(5)]
        r = http.post("/api/v1/statuses", data={"status": "five", "media_ids[]": ids})
        assert r.status_code == 422 and "more than 4" in r.json()["error"]
        r = http.post("/api/v1/statuses", data={"status": "x", "media_ids[]": ["123"]})
        assert r.status_code == 422
    with raw(node, "alice", scopes="read") as http:
        r = http.post("/api/v2/media", files={"file": ("p.png", png(), "image/png")})
        assert r.status_code == 403


def test_a_body_over_the_limit_is_413(node: Node) -> None:
    token = node.token("alice")
    request = (
        "POST /api/v2/media HTTP/1.1\r\n"
        f"Host: {node.domain}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as sock:
        sock.sendall(request)
        answer = sock.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]


def test_served_files_stay_inside_the_media_directory(node: Node) -> None:
    for path in ("/media/../secret_key", "/media/%2e%2e/secret_key", "/media/a/b/c.png",
                 "/media/attachments/missing.png", "/media/.hidden"):  # fmt: skip
        assert httpx.get(node.base_url + path, timeout=10).status_code == 404, path
