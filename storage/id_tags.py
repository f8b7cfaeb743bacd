"""Process tags for ids: a small number no other live process of the node holds.

Each tag is a lock file in the node's data directory; a process holds a tag
while it holds a non-blocking ``flock`` on its file. The kernel drops the lock
when the process dies, however it dies, so a tag is never leaked and no lease
needs renewing. This covers every process of a node on one host (the data
directory is per node). Nodes whose processes run on several hosts against
one PostgreSQL would need tags handed out by the database instead.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from storage.ids import TAG_BITS, process_tag, use_process_tag

log = logging.getLogger(__name__)

_held: list[int] = []  # the lock file's descriptor, kept open for the process's life


def claim_process_tag(data_dir: Path) -> int | None:
    """Take the first free tag under ``data_dir`` for this process's ids.

    Returns the tag; ``None`` when all are taken (ids then fall back to random
    starts, and a warning says so). A process claims once; later calls return
    the tag it has.
    """
    if _held:
        return process_tag()
    directory = data_dir / "id-tags"
    directory.mkdir(parents=True, exist_ok=True)
    for tag in range(1 << TAG_BITS):
        fd = os.open(directory / f"{tag}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _held.append(fd)
        use_process_tag(tag)
        return tag
    log.warning("all %d id tags under %s are held; ids use random starts", 1 << TAG_BITS, directory)
    return None
