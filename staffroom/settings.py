"""Typed settings, read once from ``STAFFROOM_*`` and CLI flags, validated at start.

Library packages never read the environment: the composition root builds one
frozen :class:`Settings` and passes down what each layer needs.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PREFIX = "STAFFROOM_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# host[:port]; the host is a DNS name, an IPv4 address or a bracketed IPv6 address.
_DOMAIN_RE = re.compile(
    r"^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?$"
)


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    domain: str = "127.0.0.1:8000"
    data_dir: Path = Path("data")
    database_url: str = ""
    media_dir: Path | None = None
    secret_key: str = field(default="", repr=False)
    allow_http: bool = False
    allow_private_addresses: bool = False
    node_name: str = "Staffroom"
    node_description: str = "A Staffroom node: a federated community for teachers and schools."
    open_registrations: bool = False
    max_inbox_bytes: int = 1024 * 1024
    workers: bool = True
    #: How long a delivery worker's claim on a row lasts (renewed while held).
    delivery_lease_seconds: int = 30
    #: Log-in attempts and app registrations allowed per client IP per five minutes.
    login_rate_limit: int = 50
    # API requests per token (or IP) per five minutes; Mastodon's default.
    api_rate_limit: int = 300
    app_registration_rate_limit: int = 30
    #: Uploads no post attached within this many seconds are removed with their files.
    unattached_media_seconds: int = 86_400
    #: How often the workers look for suspended accounts whose grace period is over.
    suspension_sweep_seconds: int = 30
    #: Web server processes. One runs the background workers in-process; more
    #: run as many HTTP processes and ``worker_processes`` beside them.
    processes: int = 1
    #: Processes that run the queues (inbox handling and delivery) when they
    #: run apart from the web processes. A fan-out is CPU-bound (a signature
    #: and a connection per inbox), so a second one uses a second core.
    worker_processes: int = 1
    #: Teaching materials: the largest file, files per material, what an office
    #: document may unpack to and its compression ratio (zip bombs), whether
    #: remote materials' files are copied here, and how long rating changes
    #: gather before one Update tells the other nodes.
    material_max_file_bytes: int = 50 * 1024 * 1024
    material_max_files: int = 10
    material_max_unpacked_bytes: int = 256 * 1024 * 1024
    material_max_zip_ratio: int = 100
    material_mirror_remote: bool = False
    material_rating_debounce_seconds: int = 30
    #: Events: when participants are reminded before the start, a comma-separated
    #: list of durations (``1d,1h``; units s, m, h, d; empty for none), and how long
    #: participant-count changes and new poll totals gather before one Update goes out.
    event_reminders: str = "1d,1h"
    event_count_debounce_seconds: int = 5
    poll_debounce_seconds: int = 5

    @property
    def scheme(self) -> str:
        """Our own URLs use http only on a node told to (loopback tests, local demos)."""
        return "http" if self.allow_http else "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# Whole numbers that must be at least 1 (counts, seconds, rate limits).
_POSITIVE_NUMBERS = (
    "DELIVERY_LEASE_SECONDS",
    "PROCESSES",
    "WORKER_PROCESSES",
    "UNATTACHED_MEDIA_SECONDS",
    "SUSPENSION_SWEEP_SECONDS",
    "LOGIN_RATE_LIMIT",
    "APP_REGISTRATION_RATE_LIMIT",
    "API_RATE_LIMIT",
)

# Numeric material settings and their smallest sensible values.
_MATERIAL_NUMBERS = {
    "MATERIAL_MAX_FILE_BYTES": 1024,
    "MATERIAL_MAX_FILES": 1,
    "MATERIAL_MAX_UNPACKED_BYTES": 1024,
    "MATERIAL_MAX_ZIP_RATIO": 2,
    "MATERIAL_RATING_DEBOUNCE_SECONDS": 0,
    "EVENT_COUNT_DEBOUNCE_SECONDS": 0,
    "POLL_DEBOUNCE_SECONDS": 0,
}

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_durations(name: str, raw: str) -> tuple[int, ...]:
    """``"1d,1h"`` → ``(86400, 3600)`` (seconds, largest first, no repeats)."""
    out: set[int] = set()
    for part in (p.strip().lower() for p in raw.split(",")):
        if not part:
            continue
        unit = _UNITS.get(part[-1])
        number = part[:-1] if unit else part
        if not number.isdigit() or int(number) <= 0:
            raise SettingsError(f"{PREFIX}{name} must list durations such as 1d,1h, not {raw!r}")
        out.add(int(number) * (unit or 1))
    return tuple(sorted(out, reverse=True))


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, not {raw!r}")


def _parse_int(name: str, raw: str, *, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{PREFIX}{name} must be at least {minimum}, not {value}")
    return value


def normalize_database_url(raw: str) -> str:
    """Accept the URLs people write and return the async driver URL we run on."""
    url = raw.strip()
    if url.startswith(("sqlite:///", "sqlite+aiosqlite:///")):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    for prefix in ("postgresql://", "postgres://", "postgresql+asyncpg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise SettingsError(
        f"{PREFIX}DATABASE_URL must be sqlite:///PATH or postgresql://..., not {raw!r}"
    )


def validate_domain(raw: str) -> str:
    domain = raw.strip().lower()
    match = _DOMAIN_RE.match(domain)
    if not match:
        raise SettingsError(f"{PREFIX}DOMAIN must be host[:port], not {raw!r}")
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise SettingsError(f"{PREFIX}DOMAIN has an invalid port: {raw!r}")
    return domain


def load_secret_key(data_dir: Path) -> str:
    """Return the node's secret key, generating and keeping one on first run."""
    path = data_dir / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= 32:
            return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def load_settings(
    env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings from the environment, then CLI overrides (flags win)."""
    source = os.environ if env is None else env

    def get(name: str) -> str | None:
        return source.get(PREFIX + name)

    values: dict[str, Any] = {}
    if (raw := get("DOMAIN")) is not None:
        values["domain"] = raw
    if (raw := get("DATA_DIR")) is not None:
        values["data_dir"] = Path(raw)
    if (raw := get("DATABASE_URL")) is not None:
        values["database_url"] = raw
    if (raw := get("MEDIA_DIR")) is not None:
        values["media_dir"] = Path(raw)
    if (raw := get("SECRET_KEY")) is not None:
        values["secret_key"] = raw
    for name in (
        "ALLOW_HTTP",
        "ALLOW_PRIVATE_ADDRESSES",
        "OPEN_REGISTRATIONS",
        "WORKERS",
        "MATERIAL_MIRROR_REMOTE",
    ):
        if (raw := get(name)) is not None:
            values[name.lower()] = _parse_bool(name, raw)
    if (raw := get("NODE_NAME")) is not None:
        values["node_name"] = raw
    if (raw := get("NODE_DESCRIPTION")) is not None:
        values["node_description"] = raw
    if (raw := get("MAX_INBOX_BYTES")) is not None:
        values["max_inbox_bytes"] = _parse_int("MAX_INBOX_BYTES", raw, minimum=1024)
    for name in _POSITIVE_NUMBERS:
        if (raw := get(name)) is not None:
            values[name.lower()] = _parse_int(name, raw, minimum=1)
    if (raw := get("EVENT_REMINDERS")) is not None:
        parse_durations("EVENT_REMINDERS", raw)
        values["event_reminders"] = raw
    for name, minimum in _MATERIAL_NUMBERS.items():
        if (raw := get(name)) is not None:
            values[name.lower()] = _parse_int(name, raw, minimum=minimum)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})

    settings = Settings(**values)
    data_dir = settings.data_dir
    database_url = normalize_database_url(
        settings.database_url or f"sqlite:///{(data_dir / 'staffroom.db').as_posix()}"
    )
    secret_key = settings.secret_key
    if secret_key and len(secret_key) < 32:
        raise SettingsError(f"{PREFIX}SECRET_KEY must be at least 32 characters")
    if not secret_key:
        secret_key = load_secret_key(data_dir)
    if settings.processes < 1:
        raise SettingsError(f"{PREFIX}PROCESSES must be at least 1")
    if settings.worker_processes < 1:
        raise SettingsError(f"{PREFIX}WORKER_PROCESSES must be at least 1")
    if not settings.node_name.strip():
        raise SettingsError(f"{PREFIX}NODE_NAME must not be empty")
    return replace(
        settings,
        domain=validate_domain(settings.domain),
        database_url=database_url,
        media_dir=settings.media_dir or data_dir / "media",
        secret_key=secret_key,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``STAFFROOM_*`` variables that make :func:`load_settings` give ``settings`` back.

    Child processes (the web and worker processes of a multi-process
    ``serve``) start from the environment, so what flags set must travel there.
    """
    env: dict[str, str] = {}
    for item in fields(Settings):
        value = getattr(settings, item.name)
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        env[PREFIX + item.name.upper()] = text
    return env
