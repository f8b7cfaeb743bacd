"""Material files on disk: written with the rows, removed with them, never left behind.

Files live under the node's media directory:

* ``materials/files/<id>-<random>.<ext>``: the files themselves, served only
  by the download route (:mod:`api.materials.downloads`), which counts
  downloads and refuses files of deleted materials; three path segments, so
  the plain ``/media`` route (one or two segments) never serves them;
* ``materials/<id>-<random>-preview.jpg``: previews, served under ``/media``
  like any other image.

A write happens inside a transaction that may still fail (a refusal found
after the first file, a commit that loses a race): :class:`StagedFiles`
remembers what it wrote, and :func:`staged_files` deletes all of it when the
block raises, so a refused material leaves no orphan file. Deleting is the
other way round: rows go first, files only once the commit happened
(:func:`remove_after_commit`), so a rollback never leaves a row without its file.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig

FILES_DIR = "materials/files"
PREVIEWS_DIR = "materials"


def digest_of(data: bytes) -> str:
    """The digest we publish: ``SHA-256=`` and the base64 of the hash (as HTTP's Digest)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def new_key() -> str:
    """The unguessable part of a file's URL and name."""
    return secrets.token_hex(16)


class StagedFiles:
    """Files written for a transaction that has not committed yet."""

    def __init__(self, config: NodeConfig) -> None:
        self.root = config.media_dir
        self.written: list[Path] = []

    async def write(self, relative: str, data: bytes) -> str:
        """Write ``data`` at ``relative`` under the media directory; returns ``relative``."""
        path = self.root / relative
        await asyncio.to_thread(_write, path, data)
        self.written.append(path)
        return relative

    async def discard(self) -> None:
        paths, self.written = self.written, []
        await asyncio.to_thread(_unlink, paths)


@asynccontextmanager
async def staged_files(config: NodeConfig) -> AsyncIterator[StagedFiles]:
    """Files written in the block are deleted again if the block raises."""
    stage = StagedFiles(config)
    try:
        yield stage
    except BaseException:
        await stage.discard()
        raise


def remove_after_commit(session: AsyncSession, config: NodeConfig, names: Iterable[str]) -> None:
    """Delete these stored files once ``session`` commits (never if it rolls back), so
    whatever path deletes a material's rows, no row is left without its file and no
    file without its row."""
    paths = [config.media_dir / name for name in names if name]
    if not paths:
        return
    pending = [True]  # a rollback first (a refused inbox item) cancels the removal

    def unlink(_session: object) -> None:
        if pending and pending.pop():
            _unlink(paths)

    def cancel(_session: object) -> None:
        pending.clear()

    event.listen(session.sync_session, "after_commit", unlink, once=True)
    event.listen(session.sync_session, "after_rollback", cancel, once=True)


async def remove_files(config: NodeConfig, names: Iterable[str]) -> None:
    """Delete stored files by their names under the media directory (after a commit)."""
    paths = [config.media_dir / name for name in names if name]
    await asyncio.to_thread(_unlink, paths)


def stored_path(config: NodeConfig, name: str) -> Path | None:
    """The file ``name`` under the media directory, if it is a file there."""
    root = config.media_dir.resolve()
    path = (root / name).resolve()
    return path if root in path.parents and path.is_file() else None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _unlink(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
