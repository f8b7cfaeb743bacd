"""What the layers below the composition root need to know about their node.

Built once from ``staffroom.settings.Settings`` (which lower layers must not
import) and handed down; it also builds every URL we mint, so that ids are made
in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote


@dataclass(frozen=True)
class NodeConfig:
    domain: str
    scheme: str
    node_name: str
    node_description: str
    open_registrations: bool
    allow_http: bool
    allow_private_addresses: bool
    max_inbox_bytes: int
    software_version: str
    # Signs the web login session and CSRF cookies; never shown.
    secret_key: str = field(default="", repr=False)
    # Per client IP per five minutes (actors/ratelimit.py).
    login_rate_limit: int = 50
    app_registration_rate_limit: int = 30
    # Where uploaded files (media, avatars, headers) are stored.
    media_dir: Path = Path("data/media")
    # The node's own files: the rate-limit table every process maps lives here.
    data_dir: Path = Path("data")

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    def actor_url(self, username: str) -> str:
        return f"{self.base_url}/users/{quote(username)}"

    def profile_url(self, username: str) -> str:
        return f"{self.base_url}/@{quote(username)}"

    def object_url(self, username: str, object_id: int) -> str:
        return f"{self.actor_url(username)}/statuses/{object_id}"

    def activity_url(self, username: str, activity_id: int) -> str:
        return f"{self.actor_url(username)}/activities/{activity_id}"

    @property
    def instance_actor_url(self) -> str:
        return f"{self.base_url}/actor"

    @property
    def shared_inbox_url(self) -> str:
        return f"{self.base_url}/inbox"

    def is_local(self, url: str) -> bool:
        return url == self.base_url or url.startswith(self.base_url + "/")
