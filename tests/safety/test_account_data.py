"""A person's data across two nodes: the archive export, Mastodon's CSV imports, erasure.

Node A (PostgreSQL when configured, so the jobs' rows and the purge run on
both backends with node B on SQLite) has ``tess``, ``ivy`` and ``vic``
(teachers) and ``head`` (admin); node B has ``bob`` and ``bea``. Every job
is a row run by the node's own workers; the tests watch it through the API,
the CLI and the database. The erasure test is the issue's proof: after an
export that holds every post, media file and follow, ``vic`` is erased and
nothing of her is served or stored on either node but her tombstone (every
table of both databases is searched for a word only her posts, profile and
media carried).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from storage.models import (
    AccountJob,
    Actor,
    Delivery,
    Follow,
    Material,
    MaterialFile,
    MediaAttachment,
)
from tests.api.statuses_support import png
from tests.support.fedify import started_peer
from tests.support.material_files import pdf
from tests.support.node import Node, rows, wait_until
from tests.support.world import Layout, Person, World, started_world

AS = "application/activity+json"
PASSWORD = "correct horse battery"
MARKER = "Quokkaberry"  # only vic's posts, profile and media ever carry it


#: ``wes``, ``zed``, ``yan`` and ``una`` are erased by the tests (the web page, the admin
#: API, the CLI, with the Fedify peer watching).
LAYOUT: Layout = {
    "a": (
        Person("head", "admin"),
        "tess",
        "ivy",
        "wes",
        "zed",
        "yan",
        "una",
        Person("vic", attrs={"display_name": f"Vic {MARKER}", "summary": f"{MARKER} bio"}),
    ),
    "b": ("bob", "bea"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with started_world(tmp_path_factory.mktemp("account-data"), LAYOUT) as made:
        made.api = {
            name: made.api_for(name, version_check_mode="none")
            for name in ("head", "tess", "ivy", "vic", "bob", "bea")
        }
        yield made


def remote_id(world: World, viewer: str, acct: str) -> str:
    return str(world.api[viewer].account_lookup(acct)["id"])


def wait_job(world: World, name: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = world.call(
            name, "GET", f"/api/v1/staffroom/account/jobs/{job_id}"
        ).json()
        return job if job["state"] in ("done", "failed") else None

    return wait_until(finished, timeout=timeout, interval=0.2)


def follow_remote(world: World, who: str, acct: str) -> None:
    target = world.api[who].account_search(acct, resolve=True)[0]
    world.api[who].account_follow(target["id"])
    wait_until(
        lambda: world.api[who].account_relationships(target["id"])[0]["following"], timeout=30
    )


def media_on_disk(node: Node, row: MediaAttachment) -> Path:
    return node.settings.data_dir / "media" / row.file_name


def own_community(world: World, owner: str, name: str) -> dict[str, Any]:
    """A community ``owner`` creates through the API (the API's entity)."""
    made = httpx.post(
        f"{world.a.base_url}/api/v1/staffroom/communities",
        headers={"Authorization": f"Bearer {world.a.token(owner)}"},
        data={"name": name, "display_name": f"{name} club"},
        timeout=30,
    )
    assert made.status_code == 200, made.text
    entity: dict[str, Any] = made.json()
    return entity


def community_seen_by(world: World, who: str, community_id: str) -> dict[str, Any]:
    got = world.call(who, "GET", f"/api/v1/staffroom/communities/{community_id}")
    assert got.status_code == 200, got.text
    entity: dict[str, Any] = got.json()
    return entity


def handed_over(world: World, who: str) -> list[str]:
    """The accounts (communities) of ``who``'s ``community_owner`` notifications."""
    got = world.call(who, "GET", "/api/v1/notifications")
    assert got.status_code == 200, got.text
    return [n["account"]["id"] for n in got.json() if n["type"] == "community_owner"]


# --- export ----------------------------------------------------------------------------


def test_an_export_is_a_job_with_progress_holding_every_post_media_file_and_follow(
    world: World,
) -> None:
    tess, head = world.api["tess"], world.api["head"]
    head_post = head.status_post("a post to like and keep")
    tess.account_follow(remote_id(world, "tess", world.acct("head")))
    follow_remote(world, "tess", world.acct("bob"))
    bea = tess.account_search(world.acct("bea"), resolve=True)[0]
    tess.account_block(bea["id"])
    tess.account_mute(remote_id(world, "tess", world.acct("head")), notifications=False)
    tess.status_favourite(head_post["id"])
    tess.status_bookmark(head_post["id"])
    media = tess.media_post(png(), mime_type="image/png", description="our class photo")
    public = tess.status_post("class photo", media_ids=[media])
    private = tess.status_post("for followers", visibility="private")
    local = world.call(
        "tess", "POST", "/api/v1/statuses", data={"status": "school only", "visibility": "local"}
    ).json()

    started = world.call("tess", "POST", "/api/v1/staffroom/account/exports")
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["kind"] == "export" and job["state"] in ("queued", "running")
    # One at a time.
    assert world.call("tess", "POST", "/api/v1/staffroom/account/exports").status_code in (
        202,
        422,
    )
    job = wait_job(world, "tess", job["id"])
    assert job["state"] == "done" and job["progress"] == 100, job
    assert job["archive_url"]
    listed = world.call("tess", "GET", "/api/v1/staffroom/account/jobs").json()
    assert job["id"] in [j["id"] for j in listed]
    # Another account sees neither the job nor the archive.
    assert (
        world.call("head", "GET", f"/api/v1/staffroom/account/jobs/{job['id']}").status_code == 404
    )
    assert world.call("head", "GET", job["archive_url"]).status_code == 404

    got = world.call("tess", "GET", job["archive_url"])
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as zipped:
        names = set(zipped.namelist())
        outbox = json.loads(zipped.read("outbox.json"))
        actor = json.loads(zipped.read("actor.json"))
        following = list(csv.reader(io.StringIO(zipped.read("following_accounts.csv").decode())))
        blocked = zipped.read("blocked_accounts.csv").decode().split()
        muted = zipped.read("muted_accounts.csv").decode()
        likes = json.loads(zipped.read("likes.json"))
        marks = zipped.read("bookmarks.csv").decode().split()
        (upload,) = rows(
            world.a, select(MediaAttachment).where(MediaAttachment.id == int(media["id"]))
        )
        stored = media_on_disk(world.a, upload).read_bytes()
        assert zipped.read(f"media_attachments/{Path(upload.file_name).name}") == stored
    assert actor["id"] == f"{world.a.base_url}/users/tess"
    assert {o["object"]["id"] for o in outbox["orderedItems"]} == {
        public["uri"],
        private["uri"],
        local["uri"],
    }
    assert outbox["totalItems"] == 3
    assert following[0] == ["Account address", "Show boosts", "Notify on new posts", "Languages"]
    assert {r[0] for r in following[1:]} == {world.acct("head"), world.acct("bob")}
    assert blocked == [world.acct("bea")]
    assert muted.splitlines()[1] == f"{world.acct('head')},false"
    assert likes["orderedItems"] == [head_post["uri"]]
    assert marks == [head_post["uri"]]
    assert "media_attachments/" + Path(upload.file_name).name in names
    # The archive is not among the served media files.
    (row,) = rows(world.a, select(AccountJob).where(AccountJob.id == int(job["id"])))
    assert row.result_name.startswith("exports/")
    assert httpx.get(f"{world.a.base_url}/media/{row.result_name}").status_code == 404

    # The same archive from the CLI.
    target = world.a.dir / "tess.zip"
    done = world.a.staffroom("accounts", "export", "tess", "--out", str(target))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(target) as zipped:
        assert json.loads(zipped.read("outbox.json"))["totalItems"] == 3
    # The new archive replaced the first one.
    assert world.call("tess", "GET", job["archive_url"]).status_code == 404
    assert not (world.a.settings.data_dir / "media" / row.result_name).exists()


# --- imports ---------------------------------------------------------------------------


def _upload(world: World, name: str, kind: str, body: bytes) -> httpx.Response:
    return world.call(
        name,
        "POST",
        "/api/v1/staffroom/account/imports",
        data={"type": kind},
        files={"data": ("list.csv", body, "text/csv")},
    )


def test_imports_follow_block_mute_and_bookmark_reporting_bad_rows(world: World) -> None:
    ivy = world.api["ivy"]
    bob, head = world.acct("bob"), world.acct("head")
    follows = (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        f"{bob},true,true,\n"
        f"{head},true,false,\n"
        "not an address,true,false,\n"
        f"nobody-here@{world.b.domain},true,false,\n"
        f"ivy@{world.a.domain},true,false,\n"
    )
    started = _upload(world, "ivy", "follows", follows.encode())
    assert started.status_code == 202, started.text
    job = wait_job(world, "ivy", started.json()["id"])
    assert job["state"] == "done" and job["progress"] == 100
    assert job["report"]["imported"] == 2 and job["report"]["refused"] == 3
    reasons = {e["row"]: e["reason"] for e in job["report"]["errors"]}
    assert set(reasons) == {3, 4, 5}
    assert (
        "address" in reasons[3] and "no such account" in reasons[4] and "this account" in reasons[5]
    )
    bob_id = remote_id(world, "ivy", bob)
    wait_until(lambda: ivy.account_relationships(bob_id)[0]["following"], timeout=30)
    relation = ivy.account_relationships(bob_id)[0]
    assert relation["notifying"] is True
    assert ivy.account_relationships(remote_id(world, "ivy", head))[0]["following"]
    # The follow reached node B through the guarded client and WebFinger.
    bob_followers = world.api["bob"].account_followers(world.api["bob"].me()["id"])
    assert "ivy" in [a["username"] for a in bob_followers]

    # Blocks, from the CLI (one address a line, as Mastodon writes them).
    blocks = world.a.dir / "blocked_accounts.csv"
    blocks.write_text(f"{world.acct('bea')}\n")
    done = world.a.staffroom("accounts", "import", "ivy", "--type", "blocks", str(blocks))
    assert done.returncode == 0, done.stderr
    assert "imported 1, refused 0" in done.stdout
    bea_id = remote_id(world, "ivy", world.acct("bea"))
    assert ivy.account_relationships(bea_id)[0]["blocking"]

    # Mutes with Mastodon's header; bookmarks with one post that is not there.
    mutes = f"Account address,Hide notifications\n{world.acct('tess')},false\n"
    job = wait_job(world, "ivy", _upload(world, "ivy", "mutes", mutes.encode()).json()["id"])
    assert job["report"]["imported"] == 1
    tess_id = remote_id(world, "ivy", world.acct("tess"))
    relation = ivy.account_relationships(tess_id)[0]
    assert relation["muting"] and not relation["muting_notifications"]
    post = world.api["head"].status_post("worth keeping")
    marks = f"{post['uri']}\n{world.b.base_url}/users/bob/statuses/1\n"
    job = wait_job(world, "ivy", _upload(world, "ivy", "bookmarks", marks.encode()).json()["id"])
    assert job["report"]["imported"] == 1 and job["report"]["errors"][0]["row"] == 2
    assert [s["id"] for s in ivy.bookmarks()] == [post["id"]]

    # Refused whole: too large, not text, an unknown type, no rows, the wrong scope.
    big = b"a@b.example\n" * (2 * 1024 * 1024 // 12 + 10)
    assert _upload(world, "ivy", "follows", big).status_code in (413, 422)
    assert _upload(world, "ivy", "follows", b"\xff\xfe\x00bad").status_code == 422
    assert _upload(world, "ivy", "lists", b"a@b.example\n").status_code == 422
    assert _upload(world, "ivy", "blocks", b"\n\n").status_code == 422
    reader = httpx.post(
        f"{world.a.base_url}/api/v1/staffroom/account/imports",
        headers={"Authorization": f"Bearer {world.a.token('ivy', 'read')}"},
        data={"type": "follows"},
        files={"data": ("f.csv", follows.encode(), "text/csv")},
        timeout=30,
    )
    assert reader.status_code == 403


# --- the settings pages ------------------------------------------------------------------


def _signed_in(node: Node, who: str) -> httpx.Client:
    browser = httpx.Client(base_url=node.base_url, timeout=30, headers={"Accept-Language": "en"})
    page = browser.get("/login").text
    answer = browser.post(
        "/login",
        data={"authenticity_token": _csrf(page), "username": who, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text
    return browser


def _csrf(html: str) -> str:
    found = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


def test_the_settings_page_shows_progress_and_offers_export_import_and_erasure(
    world: World,
) -> None:
    wes, tess = _signed_in(world.a, "wes"), _signed_in(world.a, "tess")
    try:
        page = wes.get("/settings/data")
        assert page.status_code == 200 and 'id="no-jobs"' in page.text
        assert 'for="import-data"' in page.text and 'for="erase-password"' in page.text
        token = _csrf(page.text)
        started = wes.post("/settings/data/export", data={"authenticity_token": token})
        assert started.status_code == 303
        page = wes.get(started.headers["location"])
        assert 'id="started"' in page.text
        (job_id,) = re.findall(
            r'<tr id="job-(\d+)" data-state="(?:queued|running|done)"', page.text
        )
        assert re.search(r'class="percent">\d+%<', page.text)

        def done() -> str | None:
            html = wes.get("/settings/data").text
            return html if f'<tr id="job-{job_id}" data-state="done"' in html else None

        html = wait_until(done, timeout=60)
        assert 'http-equiv="refresh"' not in html and ">100%<" in html
        link = f"/settings/data/jobs/{job_id}/archive"
        assert link in html
        got = wes.get(link)
        assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(got.content)) as zipped:
            assert "outbox.json" in zipped.namelist()
        assert tess.get(link).status_code == 404  # not hers

        # An import, with a refused row reported on the page.
        body = f"{world.acct('head')}\nnobody at all\n".encode()
        sent = wes.post(
            "/settings/data/import",
            data={"authenticity_token": token, "type": "follows"},
            files={"data": ("following_accounts.csv", body, "text/csv")},
        )
        assert sent.status_code == 303, sent.text

        def imported() -> str | None:
            html = wes.get("/settings/data").text
            return html if "Imported: 1, refused: 1" in html else None

        assert "Row 2" in wait_until(imported, timeout=60)
        bad = wes.post(
            "/settings/data/import",
            data={"authenticity_token": token, "type": "follows"},
            files={"data": ("x.csv", b"\xff\xfe", "text/csv")},
        )
        assert bad.status_code == 422

        # Erasure: the box must be ticked and the password right.
        form = {"authenticity_token": token, "password": PASSWORD}
        assert wes.post("/settings/data/erase", data=form).status_code == 422
        wrong = {**form, "password": "not it", "confirm": "1"}
        assert wes.post("/settings/data/erase", data=wrong).status_code == 403
        assert wes.get("/settings/data").status_code == 200  # still signed in, nothing changed
        gone = wes.post("/settings/data/erase", data={**form, "confirm": "1"})
        assert gone.status_code == 303
        status = gone.headers["location"]
        assert status.startswith("/settings/data/erasure/") and "key=" in status
        assert wes.get("/settings/data").status_code in (303, 401, 403)  # signed out
        # Only the key opens the progress page, and it follows the job to its end.
        assert wes.get(status.split("?")[0]).status_code == 404
        assert wes.get(status + "x").status_code == 404

        def finished() -> str | None:
            html = wes.get(status).text
            return html if 'data-state="done"' in html else None

        html = wait_until(finished, timeout=60)
        assert ">100%<" in html and 'http-equiv="refresh"' not in html
    finally:
        wes.close()
        tess.close()

    def erased() -> bool:
        (actor,) = rows(
            world.a, select(Actor).where(Actor.ap_id == f"{world.a.base_url}/users/wes")
        )
        jobs = rows(world.a, select(AccountJob).where(AccountJob.actor_id == actor.id))
        return any(j.kind == "erase" and j.state == "done" for j in jobs)

    wait_until(erased, timeout=60)


def test_an_admin_erases_a_suspended_account_through_mastodons_admin_api(world: World) -> None:
    scopes = "read write follow admin:read admin:write"
    head = {"Authorization": f"Bearer {world.a.token('head', scopes)}"}
    teacher = {"Authorization": f"Bearer {world.a.token('tess', scopes)}"}
    zed = remote_id(world, "head", world.acct("zed"))
    club = own_community(world, "zed", "zedclub")  # nobody else in it: the admin takes it
    url = f"{world.a.base_url}/api/v1/admin/accounts/{zed}"
    assert httpx.delete(url, headers=teacher).status_code == 403  # not an admin
    assert httpx.delete(url, headers=head).status_code == 403  # not suspended
    suspended = httpx.post(f"{url}/action", headers=head, data={"type": "suspend", "text": "x"})
    assert suspended.status_code == 200, suspended.text
    erased = httpx.delete(url, headers=head)
    assert erased.status_code == 200, erased.text
    actor_url = f"{world.a.base_url}/users/zed"

    def gone() -> bool:
        return httpx.get(actor_url, headers={"Accept": AS}).status_code == 410

    wait_until(gone, timeout=30)
    (job,) = rows(
        world.a,
        select(AccountJob).where(AccountJob.kind == "erase", AccountJob.actor_id == int(zed)),
    )
    wait_until(
        lambda: rows(world.a, select(AccountJob).where(AccountJob.id == job.id))[0].state == "done",
        timeout=60,
    )
    assert community_seen_by(world, "head", club["id"])["role"] == "owner"
    assert handed_over(world, "head") == [club["account"]["id"]]


def test_the_operator_erases_an_account_from_the_cli(world: World) -> None:
    world.api["head"].status_post(f"@yan@{world.a.domain} hello")  # something to be told about
    club = own_community(world, "yan", "yanclub")
    world.api["tess"].account_follow(club["account"]["id"])  # tess joins: the one member
    wait_until(
        lambda: community_seen_by(world, "tess", club["id"])["membership"] == "member",
        timeout=30,
    )
    refused = world.a.staffroom("accounts", "erase", "yan")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    done = world.a.staffroom("accounts", "erase", "yan", "--yes")
    assert done.returncode == 0, done.stderr
    assert "erased yan" in done.stdout
    listed = world.a.staffroom("accounts", "jobs", "yan")
    assert listed.returncode == 0, listed.stderr
    assert "\terase\t" in listed.stdout and "\tdone\t100%" in listed.stdout
    gone = httpx.get(f"{world.a.base_url}/users/yan", headers={"Accept": AS})
    assert gone.status_code == 410
    again = world.a.staffroom("accounts", "erase", "yan", "--yes")
    assert again.returncode == 1  # nothing left to erase
    # yanclub is tess's now: the API, her notifications and the manage page say so.
    assert community_seen_by(world, "tess", club["id"])["role"] == "owner"
    assert handed_over(world, "tess") == [club["account"]["id"]]
    tess = _signed_in(world.a, "tess")
    try:
        page = tess.get("/communities/yanclub/manage")
        assert page.status_code == 200, page.text
        owner = re.search(r'<dl id="owner">(.*?)</dl>', page.text, re.S)
        assert owner and "@tess" in owner.group(1)
        told = tess.get("/notifications").text
        assert "you own this community now" in told and "account was erased" in told
        assert 'href="/communities/yanclub/manage"' in told
    finally:
        tess.close()


def test_the_fedify_peer_gets_a_signed_delete_of_an_erased_account(
    world: World, tmp_path: Path
) -> None:
    una = f"{world.a.base_url}/users/una"
    with started_peer(tmp_path / "peer", "fred") as fred:
        fred.follow(world.acct("una"))
        fred.wait_for(type="Accept", timeout=30)
        done = world.a.staffroom("accounts", "erase", "una", "--yes")
        assert done.returncode == 0, done.stderr
        got = fred.wait_for(type="Delete", predicate=lambda r: r.get("objectId") == una, timeout=30)
        assert got["actor"] == una and got["httpSignature"]["verified"]


# --- erasure: the proof -------------------------------------------------------------


def stored_text(node: Node) -> str:
    """Every value of every table of the node's database, as one text to search."""

    async def run(session: Any) -> str:
        connection = await session.connection()
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        chunks = []
        for name in names:
            result = await connection.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608
            chunks += [f"{name}: {tuple(row)!r}" for row in result]
        return "\n".join(chunks)

    return node.with_session(run)


def holds_marker(node: Node) -> bool:
    """Whether anything stored on ``node`` still carries the marker. Search indexes keep
    stems ("quokkaberri"), and FTS5 stores a term after the prefix it shares with the
    term before it, so the match is on a lower-case middle part."""
    return MARKER.lower()[2:9] in stored_text(node).lower()


def test_export_then_erasure_leaves_only_a_tombstone_on_both_nodes(world: World) -> None:
    vic, bob = world.api["vic"], world.api["bob"]
    follow_remote(world, "vic", world.acct("bob"))
    vic_on_b = bob.account_search(world.acct("vic"), resolve=True)[0]
    bob.account_follow(vic_on_b["id"])
    wait_until(lambda: bob.account_relationships(vic_on_b["id"])[0]["following"], timeout=30)
    bob_post = bob.status_post("bob asks a question")
    media = vic.media_post(
        png(colour=(9, 9, 9)), mime_type="image/png", description=f"{MARKER} alt"
    )
    posts = [
        vic.status_post(f"{MARKER} one", media_ids=[media]),
        vic.status_post(f"{MARKER} two", visibility="private"),
    ]
    on_a = vic.search(bob_post["uri"], resolve=True)["statuses"][0]
    posts.append(vic.status_post(f"{MARKER} reply", in_reply_to_id=on_a["id"]))
    vic.status_favourite(on_a["id"])
    material = world.call(
        "vic",
        "POST",
        "/api/v1/staffroom/materials",
        files=[("files[]", ("worksheet.pdf", pdf(MARKER), "application/pdf"))],
        data={"title": f"{MARKER} worksheet", "description": f"All about {MARKER}."},
    )
    assert material.status_code == 200, material.text
    posts.append({"uri": material.json()["uri"]})
    wait_until(lambda: rows(world.b, select(Material)), timeout=30)
    # Node B holds her posts, and bob boosted and bookmarked one.
    wait_until(lambda: holds_marker(world.b), timeout=30)
    seen = bob.search(posts[0]["uri"], resolve=True)["statuses"][0]
    bob.status_reblog(seen["id"])
    bob.status_bookmark(seen["id"])
    (upload,) = rows(world.a, select(MediaAttachment).where(MediaAttachment.id == int(media["id"])))
    file_path = media_on_disk(world.a, upload)
    assert file_path.is_file()

    # The archive holds every post, media file and follow.
    job = wait_job(
        world, "vic", world.call("vic", "POST", "/api/v1/staffroom/account/exports").json()["id"]
    )
    with zipfile.ZipFile(io.BytesIO(world.call("vic", "GET", job["archive_url"]).content)) as z:
        outbox = json.loads(z.read("outbox.json"))
        assert {o["object"]["id"] for o in outbox["orderedItems"]} == {p["uri"] for p in posts}
        assert z.read(f"media_attachments/{file_path.name}") == file_path.read_bytes()
        assert world.acct("bob") in z.read("following_accounts.csv").decode()

    assert holds_marker(world.a)
    material_files = [
        world.a.settings.data_dir / "media" / f.file_name
        for f in rows(world.a, select(MaterialFile))
        if f.file_name
    ]
    assert material_files and all(path.is_file() for path in material_files)
    # A wrong password changes nothing; the right one locks the account at once.
    wrong = world.call("vic", "POST", "/api/v1/staffroom/account/erasure", data={"password": "no"})
    assert wrong.status_code == 422 and "password" in wrong.json()["error"]
    assert vic.account_verify_credentials()["username"] == "vic"
    erase = world.call(
        "vic",
        "POST",
        "/api/v1/staffroom/account/erasure",
        data={"password": "correct horse battery"},
    )
    assert erase.status_code == 202, erase.text
    job_id = int(erase.json()["id"])
    status_url = f"{world.a.base_url}{erase.json()['status_url']}"
    assert world.call("vic", "GET", "/api/v1/accounts/verify_credentials").status_code == 401
    # The token is dead, but the status URL (its key) shows the erasure's progress.
    assert httpx.get(status_url + "x").status_code == 404
    assert httpx.get(status_url.split("?")[0]).status_code == 404
    wait_until(lambda: httpx.get(status_url).json()["state"] == "done", timeout=60)
    assert httpx.get(status_url).json()["progress"] == 100

    def erased() -> AccountJob | None:
        (row,) = rows(world.a, select(AccountJob).where(AccountJob.id == job_id))
        return row if row.state == "done" else None

    job_row = wait_until(erased, timeout=60)
    assert job_row.progress == 100
    assert job_row.report["delete_sent_to"] == [f"{world.b.base_url}/inbox"]

    # Node A serves nothing of her but the tombstone.
    actor_url = f"{world.a.base_url}/users/vic"
    gone = httpx.get(actor_url, headers={"Accept": AS})
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone" and gone.json()["id"] == actor_url
    for post in posts:
        answer = httpx.get(post["uri"], headers={"Accept": AS})
        assert answer.status_code in (404, 410) and MARKER not in answer.text
    finger = httpx.get(
        f"{world.a.base_url}/.well-known/webfinger",
        params={"resource": f"acct:{world.acct('vic')}"},
    )
    assert finger.status_code == 404
    assert httpx.get(f"{actor_url}/outbox", headers={"Accept": AS}).status_code == 404
    assert httpx.get(f"{world.a.base_url}/@vic").status_code == 404
    lookup = "/api/v1/accounts/lookup"
    assert httpx.get(f"{world.a.base_url}{lookup}", params={"acct": "vic"}).status_code == 404
    assert httpx.get(posts[0]["media_attachments"][0]["url"]).status_code == 404
    assert not file_path.exists()
    assert not (world.a.settings.data_dir / "media" / "exports" / str(upload.actor_id)).exists()
    # ...and stores nothing of her but the tombstone.
    assert not holds_marker(world.a)
    assert not any(path.exists() for path in material_files)
    (actor,) = rows(world.a, select(Actor).where(Actor.ap_id == actor_url))
    assert actor.gone and actor.display_name == "" and actor.summary == ""
    assert not rows(world.a, select(Follow).where(Follow.follower_id == actor.id))

    # The Delete reached node B, which keeps only the tombstone too.
    def delivered() -> bool:
        sent = rows(world.a, select(Delivery).where(Delivery.host == world.b.domain))
        return any(d.state == "sent" for d in sent)

    wait_until(delivered, timeout=30)
    wait_until(lambda: not holds_marker(world.b), timeout=30)
    (on_b,) = rows(world.b, select(Actor).where(Actor.ap_id == actor_url))
    assert on_b.gone and on_b.display_name == "" and on_b.icon_url is None
    assert not rows(world.b, select(Follow).where(Follow.followee_id == on_b.id))
    assert not rows(world.b, select(Follow).where(Follow.follower_id == on_b.id))
    assert all(s["account"]["username"] != "vic" for s in bob.timeline_home())
    vic_acct = {"acct": world.acct("vic")}
    assert httpx.get(f"{world.b.base_url}{lookup}", params=vic_acct).status_code == 404
    assert bob.bookmarks() == []
