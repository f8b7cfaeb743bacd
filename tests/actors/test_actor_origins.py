"""An actor document is believed only when its inbox, outbox, collections and endpoints
live on its own origin (actors.as2.remote_actor_fields)."""

from __future__ import annotations

from typing import Any

import pytest

from actors.as2 import InvalidActorError, remote_actor_fields

ID = "https://school.example/users/eve"


def actor(**overrides: Any) -> dict[str, Any]:
    return {
        "id": ID,
        "type": "Person",
        "preferredUsername": "eve",
        "inbox": f"{ID}/inbox",
        "outbox": f"{ID}/outbox",
        "followers": f"{ID}/followers",
        "endpoints": {"sharedInbox": "https://school.example/inbox", "type": "as:Endpoints"},
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("inbox", {"inbox": "https://victim.example/inbox"}),
        ("inbox", {"inbox": "https://school.example:8443/users/eve/inbox"}),
        ("inbox", {"inbox": "http://school.example/users/eve/inbox"}),
        ("endpoints.sharedInbox", {"endpoints": {"sharedInbox": "https://victim.example/inbox"}}),
        ("outbox", {"outbox": "https://victim.example/outbox"}),
        ("followers", {"followers": "https://victim.example/followers"}),
        ("featured", {"featured": {"id": "https://victim.example/featured"}}),
        ("endpoints.uploadMedia", {"endpoints": {"uploadMedia": "https://victim.example/up"}}),
    ],
)
def test_an_endpoint_off_the_actors_origin_is_refused(field: str, overrides: Any) -> None:
    with pytest.raises(InvalidActorError) as refused:
        remote_actor_fields(actor(**overrides), ID)
    assert f"the actor's {field}" in refused.value.reason
    assert "not on its own origin (https://school.example)" in refused.value.reason


def test_an_actor_on_its_own_origin_is_read() -> None:
    fields = remote_actor_fields(actor(), ID)
    assert fields["inbox_url"] == f"{ID}/inbox"
    assert fields["shared_inbox_url"] == "https://school.example/inbox"
