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
class MaterialConfig:
    """Limits and choices for teaching materials (``STAFFROOM_MATERIAL_*``)."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_files: int = 10
    # An office document (a zip) may unpack to at most this, at most this ratio per entry.
    max_unpacked_bytes: int = 256 * 1024 * 1024
    max_zip_ratio: int = 100
    # Copy remote materials' files here (through the SSRF guard, within the limits).
    mirror_remote: bool = False
    # Rating changes gather this long before one Update of the material goes out.
    rating_debounce_seconds: int = 30


@dataclass(frozen=True)
class EventConfig:
    """Events and polls (``STAFFROOM_EVENT_*``, ``STAFFROOM_POLL_*``)."""

    # Reminders go to participants this many seconds before the start (a day and an hour).
    reminders: tuple[int, ...] = (86400, 3600)
    # Participant-count changes gather this long before one Update of the event goes out.
    count_debounce_seconds: int = 5
    # New poll totals gather this long before one Update(Question) goes out.
    poll_debounce_seconds: int = 5


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
    materials: MaterialConfig = field(default_factory=MaterialConfig)
    events: EventConfig = field(default_factory=EventConfig)
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

    def material_page_url(self, object_id: int) -> str:
        """The material's page for people (served by the web layer), its AS2 ``url``."""
        return f"{self.base_url}/materials/{object_id}"

    def material_file_url(self, key: str, name: str) -> str:
        """Where a material's file is downloaded; ``key`` is the file's unguessable part."""
        return f"{self.base_url}/files/materials/{key}/{quote(name)}"

    def collection_url(self, username: str, collection_id: int) -> str:
        return f"{self.actor_url(username)}/material-collections/{collection_id}"

    @property
    def instance_actor_url(self) -> str:
        return f"{self.base_url}/actor"

    @property
    def shared_inbox_url(self) -> str:
        return f"{self.base_url}/inbox"

    def is_local(self, url: str) -> bool:
        return url == self.base_url or url.startswith(self.base_url + "/")
