"""Settings: typed, from STAFFROOM_* with CLI overrides, clear errors on bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from staffroom.settings import SettingsError, load_settings


def test_defaults_give_an_sqlite_file_under_data(tmp_path: Path) -> None:
    settings = load_settings(env={"STAFFROOM_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path}/staffroom.db"
    assert settings.media_dir == tmp_path / "media"
    assert settings.base_url == "https://127.0.0.1:8000"
    assert not settings.allow_http
    assert not settings.allow_private_addresses


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(env={"STAFFROOM_DATA_DIR": str(tmp_path)}).secret_key
    second = load_settings(env={"STAFFROOM_DATA_DIR": str(tmp_path)}).secret_key
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_flags_override_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        env={
            "STAFFROOM_DATA_DIR": str(tmp_path),
            "STAFFROOM_DOMAIN": "school.example",
            "STAFFROOM_ALLOW_HTTP": "false",
        },
        overrides={"domain": "127.0.0.1:8101", "allow_http": True},
    )
    assert settings.domain == "127.0.0.1:8101"
    assert settings.base_url == "http://127.0.0.1:8101"


def test_postgres_urls_get_the_async_driver(tmp_path: Path) -> None:
    settings = load_settings(
        env={"STAFFROOM_DATA_DIR": str(tmp_path), "STAFFROOM_DATABASE_URL": "postgres://u@h/db"}
    )
    assert settings.database_url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DOMAIN", "https://school.example", "DOMAIN must be host"),
        ("DOMAIN", "school.example:99999", "invalid port"),
        ("DOMAIN", "bad host", "DOMAIN must be host"),
        ("ALLOW_HTTP", "maybe", "ALLOW_HTTP must be true or false"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL must be"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 32"),
        ("MAX_INBOX_BYTES", "lots", "MAX_INBOX_BYTES must be an integer"),
    ],
)
def test_invalid_values_are_named_in_the_error(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env={"STAFFROOM_DATA_DIR": str(tmp_path), f"STAFFROOM_{name}": value})


def test_material_settings_are_read_and_checked(tmp_path: Path) -> None:
    env = {
        "STAFFROOM_DATA_DIR": str(tmp_path),
        "STAFFROOM_MATERIAL_MAX_FILE_BYTES": "1048576",
        "STAFFROOM_MATERIAL_MAX_FILES": "3",
        "STAFFROOM_MATERIAL_MIRROR_REMOTE": "yes",
        "STAFFROOM_MATERIAL_RATING_DEBOUNCE_SECONDS": "0",
    }
    settings = load_settings(env=env)
    assert (settings.material_max_file_bytes, settings.material_max_files) == (1048576, 3)
    assert settings.material_mirror_remote is True
    assert settings.material_rating_debounce_seconds == 0
    assert settings.material_max_zip_ratio == 100  # the default
    for name, value in (("MAX_FILES", "0"), ("MAX_ZIP_RATIO", "1"), ("MAX_FILE_BYTES", "ten")):
        with pytest.raises(SettingsError, match=f"STAFFROOM_MATERIAL_{name}"):
            load_settings(env={**env, f"STAFFROOM_MATERIAL_{name}": value})


def test_the_suspension_sweep_interval_is_read_and_checked(tmp_path: Path) -> None:
    env = {"STAFFROOM_DATA_DIR": str(tmp_path)}
    assert load_settings(env=env).suspension_sweep_seconds == 30
    env["STAFFROOM_SUSPENSION_SWEEP_SECONDS"] = "86400"
    assert load_settings(env=env).suspension_sweep_seconds == 86400
    with pytest.raises(SettingsError, match="STAFFROOM_SUSPENSION_SWEEP_SECONDS"):
        load_settings(env={**env, "STAFFROOM_SUSPENSION_SWEEP_SECONDS": "0"})
