"""The databases a bench runs on: which backends ``--backend`` names, and a fresh one of each.

PostgreSQL is the local server's (trust auth, database ``test``) unless
``STAFFROOM_TEST_POSTGRES_URL`` names another, as in the test suite; each
run gets a new, empty database, dropped when it is done.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from staffroom.settings import normalize_database_url
from tests.support.databases import POSTGRES_ENV, drop_database, new_database_url

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def backends(choice: str) -> list[str]:
    """``sqlite``, ``postgres`` or ``both`` (SQLite first), with PostgreSQL's server set."""
    kinds = ["sqlite", "postgres"] if choice == "both" else [choice]
    if "postgres" in kinds and not os.environ.get(POSTGRES_ENV):
        os.environ[POSTGRES_ENV] = LOCAL_POSTGRES
    return kinds


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[tuple[str, Path]]:
    """A new, empty database of ``kind``: its async URL and a scratch directory beside it."""
    with tempfile.TemporaryDirectory() as tmp:
        raw_url = new_database_url(kind, Path(tmp))
        try:
            yield normalize_database_url(raw_url), Path(tmp)
        finally:
            drop_database(raw_url)
