"""A vote from another node: Mastodon.py on node B votes in a poll posted on node A.

Proves the way a vote travels, as Mastodon sends it: B records the vote
(``own_votes``, no second vote) and sends one ``Create`` of a ``Note`` named
after the option, replying to the Question, to the poll's author only; A's
inbox counts it on the Question (which it then serves with the new count),
and ignores a redelivery of the same vote.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mastodon import MastodonAPIError

from tests.api.statuses_support import client
from tests.support.node import Node, wait_until


@pytest.fixture(scope="module")
def nodes(
    module_db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Node, Node]]:
    a = Node(tmp_path_factory.mktemp("poll-a"), module_db_kind)
    b = Node(tmp_path_factory.mktemp("poll-b"), module_db_kind)
    for node, name in ((a, "alice"), (b, "bob")):
        node.migrate()
        node.create_user(name)
        node.start()
    yield a, b
    a.close()
    b.close()


def fetch_on(node: Node, uri: str) -> int:
    """``node`` fetches the post ``uri`` (as a search with resolve would); its local id."""
    from content.objects import fetch_object

    async def work(session: Any, ctx: Any) -> int:
        obj = await fetch_object(session, ctx, uri)
        assert obj is not None and obj.id is not None
        return obj.id

    return node.with_node(work)


def test_a_remote_vote_is_sent_and_counted(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    alice, bob = client(a, "alice"), client(b, "bob")
    status = alice.status_post(
        "Best time for the cross-school webinar?",
        poll=alice.make_poll(["Morning", "Afternoon"], expires_in=3600),
    )
    copy_id = fetch_on(b, status.uri)
    seen = bob.status(copy_id)
    assert seen.poll is not None and seen.poll.voted is False
    voted = bob.poll_vote(seen.poll.id, [1])
    assert voted.own_votes == [1] and voted.options[1].votes_count == 1
    with pytest.raises(MastodonAPIError):
        bob.poll_vote(seen.poll.id, [0])

    def counted() -> bool:
        return bool(alice.poll(status.poll.id).options[1].votes_count == 1)

    wait_until(counted, timeout=20)
    poll = alice.poll(status.poll.id)
    assert poll.votes_count == 1 and poll.voters_count == 1
    question = httpx.get(
        status.uri, headers={"Accept": "application/activity+json"}, timeout=10
    ).json()
    assert [o["replies"]["totalItems"] for o in question["oneOf"]] == [0, 1]
    assert question["votersCount"] == 1

    # The vote as B sent it, and a redelivery of it counts nothing more.
    async def sent(session: Any) -> dict[str, Any]:
        from sqlmodel import select

        from storage.models import Activity

        row = (await session.exec(select(Activity).where(Activity.type == "Create"))).all()
        [vote] = [r for r in row if r.body["object"].get("inReplyTo") == status.uri]
        return dict(vote.body)

    body = b.with_session(sent)
    assert body["object"]["name"] == "Afternoon"
    assert body["to"] == body["object"]["to"] == [f"{a.base_url}/users/alice"]
    assert body["object"]["type"] == "Note" and "content" not in body["object"]

    async def redeliver(session: Any, ctx: Any) -> bool:
        from actors.remote import actor_by_ap_id
        from content.objects import object_by_ap_id
        from content.polls import receive_vote

        poll_obj = await object_by_ap_id(session, status.uri)
        voter = await actor_by_ap_id(session, body["actor"])
        assert poll_obj is not None and voter is not None
        return await receive_vote(session, poll_obj, voter, "Afternoon", body["object"]["id"])

    assert a.with_node(redeliver) is False
    assert alice.poll(status.poll.id).votes_count == 1
