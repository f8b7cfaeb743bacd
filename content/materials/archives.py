"""Office documents are zip archives: read what identifies them, and refuse zip bombs.

DOCX, PPTX and XLSX (Office Open XML) and ODT, ODP and ODS (OpenDocument)
are zips. A zip can claim to hold a few kilobytes and unpack to terabytes,
or hold entries that overlap so that one compressed block unpacks a
thousand times. Nothing here extracts to disk: the archive is opened in
memory and every entry is decompressed in chunks and counted, so the check
costs at most ``max_unpacked_bytes`` of CPU and a chunk of memory.

What is checked, in this order (each a :class:`ArchiveRefused` with a reason
a teacher can read):

1. it opens as a zip, with at most :data:`MAX_ENTRIES` entries, none encrypted;
2. the *declared* sizes: their sum is within ``max_unpacked_bytes`` and no
   entry above :data:`RATIO_FLOOR` unpacks more than ``max_ratio`` times its
   compressed size (a zero-length compressed entry that claims content is
   refused outright);
3. the *actual* sizes: every entry is decompressed and counted; the running
   total may not pass the limit, and an entry whose bytes disagree with its
   declared size or CRC (a lying header) is refused as damaged.

Only then are the two small entries that say what the document is returned:
``[Content_Types].xml`` (OOXML) and ``mimetype`` (OpenDocument).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

MAX_ENTRIES = 10_000
#: Entries smaller than this unpacked may compress as well as they like (XML does).
RATIO_FLOOR = 1024 * 1024
#: The identifying entries are small; a bigger one is not an office document.
MAX_IDENTITY_BYTES = 1024 * 1024
_CHUNK = 64 * 1024
IDENTITY_ENTRIES = ("[Content_Types].xml", "mimetype")


class ArchiveRefused(ValueError):
    """A zip we will not keep; the message is safe to show."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_unpacked_bytes: int
    max_ratio: int


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.0f} MB"


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ArchiveRefused("the document is a damaged zip archive") from None


def _check_declared(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    if len(infos) > MAX_ENTRIES:
        raise ArchiveRefused(f"the document has more than {MAX_ENTRIES} parts")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ArchiveRefused("the document is encrypted")
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise ArchiveRefused(
                f"the document would unpack to more than {_megabytes(limits.max_unpacked_bytes)}"
            )
        if info.file_size and not info.compress_size:
            raise ArchiveRefused("the document has a part that claims content but holds none")
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * info.compress_size:
            raise ArchiveRefused(
                f"the document has a part compressed more than {limits.max_ratio} times "
                "(a zip bomb)"
            )


def _unpack_counting(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: ArchiveLimits
) -> dict[str, bytes]:
    """Decompress every entry, counting; keep only the identifying ones."""
    total = 0
    kept: dict[str, bytes] = {}
    for info in infos:
        wanted = info.filename in IDENTITY_ENTRIES
        seen = 0
        parts: list[bytes] = []
        try:
            with archive.open(info) as entry:
                while chunk := entry.read(_CHUNK):
                    seen += len(chunk)
                    total += len(chunk)
                    if total > limits.max_unpacked_bytes:
                        raise ArchiveRefused(
                            "the document unpacks to more than "
                            f"{_megabytes(limits.max_unpacked_bytes)}"
                        )
                    if wanted:
                        if seen > MAX_IDENTITY_BYTES:
                            raise ArchiveRefused("the document's description part is too large")
                        parts.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            raise ArchiveRefused("the document is a damaged zip archive") from None
        if seen != info.file_size:
            raise ArchiveRefused("the document is a damaged zip archive")
        if wanted:
            kept[info.filename] = b"".join(parts)
    return kept


def identify_zip(data: bytes, limits: ArchiveLimits) -> dict[str, bytes]:
    """The identifying entries of a safe office zip; :class:`ArchiveRefused` otherwise."""
    with _open(data) as archive:
        infos = archive.infolist()
        _check_declared(infos, limits)
        return _unpack_counting(archive, infos, limits)


def first_entry_name(data: bytes) -> str | None:
    """The name of the archive's first entry (OpenDocument puts ``mimetype`` there)."""
    with _open(data) as archive:
        infos = archive.infolist()
        return infos[0].filename if infos else None
