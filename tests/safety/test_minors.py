"""The safety matrix for minors, over real HTTP between two nodes and the Fedify peer.

On node A (PostgreSQL when configured): ``head`` (admin), ``tess`` (teacher),
``sam`` and ``sia`` (students), ``pat`` (parent, linked to sam) and ``pia``
(a parent linked to nobody: a local stranger). Node B has ``bob`` (a remote
adult); ``fred`` is the Fedify peer. Each cell of the issue's matrix
(follow, DM, mention, see a post, find by search) is asserted for each of
them, and nothing of a local-only post ever leaves node A.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError
from sqlmodel import select

from actors import guardians, node_settings
from actors.local import account_by_name
from storage.models import Activity, ContentObject, Delivery, Follow, InboxItem, Report
from tests.api.statuses_support import client
from tests.support.fedify import require_fedify
from tests.support.node import Node, rows, wait_until
from tests.support.world import Layout, Person, World, started_world

AS = "application/activity+json"
# The Fedify peer's error type (the module is skipped without the peer).
PeerError: type[Exception] = sys.modules[require_fedify().__module__].PeerError


def _link(node: Node, parent: str, student: str) -> None:
    async def work(session: Any) -> None:
        p = await account_by_name(session, parent)
        s = await account_by_name(session, student)
        assert p is not None and s is not None
        await guardians.link(session, parent_id=p[1].id, student_id=s[1].id, by=None)

    node.with_session(work)


LAYOUT: Layout = {
    "a": (
        Person("head", "admin"),
        Person("tess", "teacher"),
        Person("sam", "student"),
        Person("sia", "student"),
        Person("pat", "parent"),
        Person("pia", "parent"),
    ),
    "b": ("bob",),
}


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with started_world(tmp_path_factory.mktemp("minors"), LAYOUT, peer="fred") as made:
        _link(made.a, "pat", "sam")
        made.api = {name: made.api_for(name) for name in made.homes}
        yield made


def account_id(school: World, name: str) -> str:
    return str(school.api[name].account_verify_credentials()["id"])


def test_a_student_is_protected_by_default_and_cannot_lift_it(school: World) -> None:
    sam = school.api["sam"]
    me = sam.account_verify_credentials()
    assert me["locked"] is True
    assert me["discoverable"] is False
    assert me["indexable"] is False
    with pytest.raises(MastodonAPIError) as refused:
        sam.account_update_credentials(discoverable=True, locked=False)
    assert refused.value.args[1] == 422
    assert "set by the school" in str(refused.value)
    again = sam.account_verify_credentials()
    assert again["locked"] is True and again["discoverable"] is False
    # Teachers keep an adult's defaults.
    tess = school.api["tess"].account_verify_credentials()
    assert tess["locked"] is False and tess["discoverable"] is True


def test_nothing_of_a_student_is_served_to_other_nodes(school: World) -> None:
    a = school.a
    wf = httpx.get(
        f"{a.base_url}/.well-known/webfinger",
        params={"resource": f"acct:sam@{a.domain}"},
        timeout=10,
    )
    assert wf.status_code == 404
    doc = httpx.get(school.actor_url("sam"), headers={"Accept": AS}, timeout=10)
    assert doc.status_code == 404
    assert httpx.get(f"{a.base_url}/@sam", timeout=10).status_code == 404
    # A teacher is found as ever, and says it is indexable.
    teacher = httpx.get(school.actor_url("tess"), headers={"Accept": AS}, timeout=10).json()
    assert teacher["discoverable"] is True and teacher["indexable"] is True
    # The remote adult cannot resolve the student at all.
    found = school.api["bob"].search(f"sam@{a.domain}", resolve=True)
    assert found["accounts"] == []


def test_search_by_others_never_finds_a_student(school: World) -> None:
    for name in ("tess", "pia", "sia", "head"):
        found = school.api[name].account_search("sam")
        assert all(acct["username"] != "sam" for acct in found), name
    assert any(a["username"] == "tess" for a in school.api["pia"].account_search("tess"))


def test_a_students_post_is_local_only_and_never_leaves(school: World) -> None:
    sam = school.api["sam"]
    # tess follows sam (a request sam approves); pia does not.
    tess = school.api["tess"]
    rel = tess.account_follow(account_id(school, "sam"))
    assert rel["requested"] is True and rel["following"] is False
    wait_until(lambda: sam.follow_requests(), timeout=15)
    sam.follow_request_authorize(account_id(school, "tess"))
    wait_until(
        lambda: tess.account_relationships(account_id(school, "sam"))[0]["following"],
        timeout=15,
    )
    status = sam.status_post("Our science fair project")
    assert status["local_only"] is True
    assert status["visibility"] == "private"
    # On the node: the follower, the linked parent and the author see it.
    for name in ("sam", "tess", "pat"):
        assert school.api[name].status(status["id"])["id"] == status["id"], name
    # The stranger on the node does not.
    for name in ("pia", "sia"):
        with pytest.raises(MastodonNotFoundError):
            school.api[name].status(status["id"])
    # Off the node: an anonymous fetch and the Fedify peer's signed fetch get 404.
    uri = status["uri"]
    assert httpx.get(uri, headers={"Accept": AS}, timeout=10).status_code == 404
    with pytest.raises(PeerError) as missing:
        school.fred.lookup(uri)
    assert missing.value.status == 404
    # The same lookup of a teacher's public post succeeds (the refusal is the post's).
    public = school.api["tess"].status_post("Open day on Saturday")
    assert school.fred.lookup(public["uri"])
    # No delivery row for it to any other host, ever.
    (activity,) = rows(
        school.a, select(Activity).where(Activity.object_ap_id == uri, Activity.type == "Create")
    )
    assert rows(school.a, select(Delivery).where(Delivery.activity_id == activity.id)) == []
    assert rows(school.b, select(InboxItem).where(InboxItem.actor_ap_id.contains("/sam"))) == []  # type: ignore[attr-defined]
    assert not [i for i in school.fred.received() if "sam" in str(i)]


def test_a_student_may_not_post_publicly(school: World) -> None:
    sam = school.api["sam"]
    for visibility in ("public", "unlisted", "private"):
        with pytest.raises(MastodonAPIError) as refused:
            sam.status_post("Look at me", visibility=visibility)
        assert refused.value.args[1] == 422, visibility
        assert "stay within the school" in str(refused.value)


def test_followers_only_federation_when_the_admin_allows_it(school: World) -> None:
    async def allow(session: Any) -> None:
        await node_settings.write(session, "students.federation", "followers")

    school.a.with_session(allow)
    try:
        status = school.api["sam"].status_post("Seen by my followers", visibility="private")
        assert status["local_only"] is False
        with pytest.raises(MastodonAPIError):
            school.api["sam"].status_post("Still not public", visibility="public")
    finally:

        async def forbid(session: Any) -> None:
            await node_settings.write(session, "students.federation", "none")

        school.a.with_session(forbid)


def test_direct_messages_only_with_staff_and_linked_parents(school: World) -> None:
    sam = school.api["sam"]
    a = school.a.domain
    # Allowed: to a teacher, to the linked parent.
    sam.status_post(f"@tess@{a} I finished my homework", visibility="direct")
    sam.status_post(f"@pat@{a} home at five", visibility="direct")
    pat_dm = school.api["pat"].status_post(f"@sam@{a} dinner is ready", visibility="direct")
    assert pat_dm["visibility"] == "direct"
    # Refused, with a clear reason: to another student, to a stranger parent, and the reverse.
    for sender, text in [
        ("sam", f"@sia@{a} hi"),
        ("sam", f"@pia@{a} hi"),
        ("pia", f"@sam@{a} hi"),
        ("sia", f"@sam@{a} hi"),
    ]:
        with pytest.raises(MastodonAPIError) as refused:
            school.api[sender].status_post(text, visibility="direct")
        assert refused.value.args[1] == 422
        assert "staff" in str(refused.value) and "parents" in str(refused.value)


def test_a_remote_message_to_a_student_is_held_for_a_moderator(school: World) -> None:
    fred = school.fred
    note_id = f"{fred.actor}/notes/held-1"
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": fred.actor,
        "to": [school.actor_url("sam")],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": fred.actor,
            "to": [school.actor_url("sam")],
            "content": "<p>hi, want to meet?</p>",
            "tag": [{"type": "Mention", "href": school.actor_url("sam")}],
        },
    }
    answer = fred.raw_post(f"{school.a.base_url}/inbox", activity)
    assert answer["status"] == 202, answer

    def held() -> list[Report]:
        return rows(school.a, select(Report).where(Report.category == "held"))

    (report,) = wait_until(held, timeout=15)
    assert report.object_ap_ids == [note_id]
    assert report.extra["held_activity"]["object"]["id"] == note_id
    # The student got nothing: no stored post, no notification.
    notes = school.api["sam"].notifications(types=["mention"])
    assert all(n["account"]["url"] != fred.actor for n in notes)
    assert all("want to meet" not in (n["status"] or {}).get("content", "") for n in notes)
    assert rows(school.a, select(ContentObject).where(ContentObject.ap_id == note_id)) == []
    (item,) = rows(
        school.a, select(InboxItem).where(InboxItem.activity_id == f"{note_id}/activity")
    )
    assert item.state == "rejected"


def test_a_remote_follow_of_a_student_is_refused(school: World) -> None:
    fred = school.fred
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fred.actor}/follows/sam",
        "type": "Follow",
        "actor": fred.actor,
        "object": school.actor_url("sam"),
    }
    assert fred.raw_post(f"{school.a.base_url}/inbox", follow)["status"] == 202

    def done() -> list[InboxItem]:
        found = rows(school.a, select(InboxItem).where(InboxItem.activity_id == follow["id"]))
        return [i for i in found if i.state != "received"]

    (item,) = wait_until(done, timeout=15)
    assert item.state == "rejected"
    assert rows(school.a, select(Follow).where(Follow.activity_ap_id == follow["id"])) == []


def test_a_parent_reads_but_never_writes(school: World) -> None:
    sam, pat = school.api["sam"], school.api["pat"]
    status = sam.status_post("A local post for the family")
    assert pat.status(status["id"])["id"] == status["id"]
    listed = pat.account_statuses(account_id(school, "sam"))
    assert any(s["id"] == status["id"] for s in listed)
    for attempt in (
        lambda: pat.status_favourite(status["id"]),
        lambda: pat.status_reblog(status["id"]),
        lambda: pat.status_delete(status["id"]),
        lambda: pat.status_post("a reply", in_reply_to_id=status["id"]),
    ):
        with pytest.raises((MastodonNotFoundError, MastodonAPIError)):
            attempt()
    assert sam.status(status["id"])["favourites_count"] == 0


def _api(school: World, name: str, method: str, path: str, **body: Any) -> httpx.Response:
    token = school.api[name].access_token
    return httpx.request(
        method,
        f"{school.a.base_url}{path}",
        json=body or None,
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )


def test_the_school_creates_students_and_students_cannot_promote_themselves(
    school: World,
) -> None:
    made = _api(
        school, "tess", "POST", "/api/v1/staffroom/accounts", username="sol", role="student"
    )
    assert made.status_code == 200, made.text
    assert made.json()["staffroom_role"] == "student"
    assert made.json()["account"]["locked"] is True
    assert made.json()["staffroom_password"]
    # A teacher cannot make an admin; a student cannot make anyone.
    assert (
        _api(school, "tess", "POST", "/api/v1/staffroom/accounts", username="boss", role="admin")
    ).status_code == 403
    assert (
        _api(school, "sam", "POST", "/api/v1/staffroom/accounts", username="pal", role="student")
    ).status_code == 403
    sam_id = account_id(school, "sam")
    for attempt in (
        _api(school, "sam", "POST", f"/api/v1/admin/accounts/{sam_id}/role", role="teacher"),
        _api(school, "sam", "POST", "/api/v1/staffroom/invites", role="teacher"),
        _api(school, "sam", "POST", "/api/v1/staffroom/guardians", parent_id="1", student_id="2"),
    ):
        assert attempt.status_code in (403, 422), attempt.text
    me = school.api["sam"].account_verify_credentials()
    assert me["role"]["name"].lower() != "teacher"
    assert me["locked"] is True


def test_a_parent_invite_links_the_new_parent_to_the_child(school: World) -> None:
    sia_id = account_id(school, "sia")
    made = _api(
        school, "tess", "POST", "/api/v1/staffroom/invites", role="parent", student_id=sia_id
    )
    assert made.status_code == 200, made.text
    code = made.json()["code"]
    assert made.json()["url"].endswith(f"/invite/{code}")
    redeem = f"{school.a.base_url}/api/v1/staffroom/invites/{code}/redeem"
    joined = httpx.post(
        redeem, json={"username": "paz", "password": "a long password", "role": "admin"}, timeout=20
    )
    assert joined.status_code == 200, joined.text
    assert joined.json()["username"] == "paz"
    # Used up: a second account cannot come in on it.
    again = httpx.post(redeem, json={"username": "paz2", "password": "a long password"}, timeout=20)
    assert again.status_code == 422
    school.api["paz"] = client(school.a, "paz")
    assert school.api["paz"].account_verify_credentials()["role"]["name"].lower() != "admin"
    post = school.api["sia"].status_post("my drawing")
    assert school.api["paz"].status(post["id"])["id"] == post["id"]
    kids = school.api["paz"].account_verify_credentials()
    assert kids["username"] == "paz"
    children = _api(school, "paz", "GET", "/api/v1/staffroom/children").json()
    assert [c["username"] for c in children] == ["sia"]


def test_a_parent_cannot_be_linked_to_a_child_of_another_school(school: World) -> None:
    bob = school.api["tess"].search(f"bob@{school.b.domain}", resolve=True)["accounts"]
    assert bob, "node B's bob is known on A"
    linked = _api(
        school,
        "head",
        "POST",
        "/api/v1/staffroom/guardians",
        parent_id=account_id(school, "pia"),
        student_id=bob[0]["id"],
    )
    assert linked.status_code == 422
    assert "of this school" in linked.json()["error"]
    refused = school.a.staffroom("safety", "link-parent", "pia", "tess")
    assert refused.returncode == 1 and "not a student" in refused.stderr
    assert _api(school, "pia", "GET", "/api/v1/staffroom/children").json() == []


def test_a_parent_reads_the_childs_messages(school: World) -> None:
    sam_id = account_id(school, "sam")
    messages = _api(school, "pat", "GET", f"/api/v1/staffroom/children/{sam_id}/messages")
    assert messages.status_code == 200
    texts = " ".join(m["content"] for m in messages.json())
    assert "home at five" in texts and "dinner is ready" in texts
    # Not the stranger's to read.
    assert (
        _api(school, "pia", "GET", f"/api/v1/staffroom/children/{sam_id}/messages").status_code
        == 404
    )
