"""Which paths are inboxes: the one place the inbox layer decides to take a request."""

from __future__ import annotations

import pytest

from actors.roles import INSTANCE_ACTOR_USERNAME
from inbox.routes import inbox_owner


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("/inbox", ""),
        ("/actor/inbox", INSTANCE_ACTOR_USERNAME),
        ("/users/bob/inbox", "bob"),
        ("/users/maths.dept/inbox", "maths.dept"),
        ("/users//inbox", None),
        ("/users/bob/extra/inbox", None),
        ("/users/bob/outbox", None),
        ("/users/bob/inbox/", "bob"),  # one trailing slash is tolerated everywhere
        ("/inbox/", ""),
        ("/users/bob/inbox//", None),
        ("/api/v1/inbox", None),
        ("/", None),
    ],
)
def test_inbox_owner(path: str, owner: str | None) -> None:
    assert inbox_owner(path) == owner
