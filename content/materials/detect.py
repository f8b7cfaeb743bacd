"""What a file really is, from its bytes: never from its name or the client's claim.

A teacher's upload named ``plan.pdf`` may be anything; a renamed program is
the classic. :func:`detect` reads the content: the PDF header, image and
media signatures, and for zips the part that names an office document
(``[Content_Types].xml`` for DOCX/PPTX/XLSX, the ``mimetype`` entry for
ODT/ODP/ODS), after :mod:`.archives` has made sure the zip is not a bomb.
Anything else is refused with a reason (and programs, scripts and
macro-enabled or legacy Office files by name, because those are the ones a
teacher should hear about).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree

from content.materials.archives import ArchiveLimits, ArchiveRefused, first_entry_name, identify_zip


@dataclass(frozen=True)
class FileType:
    media_type: str
    extension: str
    label: str
    #: Mastodon's attachment type for it, where Mastodon has one.
    mastodon_type: str | None = None


class FileRefused(ValueError):
    """A file we do not keep; the message is safe to show (the caller adds the file name)."""


PDF = FileType("application/pdf", "pdf", "PDF")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "DOCX"
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", "PPTX"
)
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "XLSX")
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", "ODT")
ODP = FileType("application/vnd.oasis.opendocument.presentation", "odp", "ODP")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "ods", "ODS")
JPEG = FileType("image/jpeg", "jpg", "JPEG image", "image")
PNG = FileType("image/png", "png", "PNG image", "image")
GIF = FileType("image/gif", "gif", "GIF image", "image")
WEBP = FileType("image/webp", "webp", "WebP image", "image")
MP3 = FileType("audio/mpeg", "mp3", "MP3 audio", "audio")
OGG_AUDIO = FileType("audio/ogg", "ogg", "Ogg audio", "audio")
OGG_VIDEO = FileType("video/ogg", "ogv", "Ogg video", "video")
WAV = FileType("audio/wav", "wav", "WAV audio", "audio")
FLAC = FileType("audio/flac", "flac", "FLAC audio", "audio")
M4A = FileType("audio/mp4", "m4a", "M4A audio", "audio")
MP4 = FileType("video/mp4", "mp4", "MP4 video", "video")
MOV = FileType("video/quicktime", "mov", "QuickTime video", "video")
WEBM = FileType("video/webm", "webm", "WebM video", "video")

ALL_TYPES = (
    *(PDF, DOCX, PPTX, XLSX, ODT, ODP, ODS, JPEG, PNG, GIF, WEBP),
    *(MP3, OGG_AUDIO, OGG_VIDEO, WAV, FLAC, M4A, MP4, MOV, WEBM),
)
BY_MEDIA_TYPE = {t.media_type: t for t in ALL_TYPES}

_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
_OOXML_MACROS = re.compile(r"macroEnabled|vbaProject", re.IGNORECASE)
_ODF = {ODT.media_type: ODT, ODP.media_type: ODP, ODS.media_type: ODS}
_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P "}


def _office(data: bytes, limits: ArchiveLimits) -> FileType:
    try:
        entries = identify_zip(data, limits)
    except ArchiveRefused as exc:
        raise FileRefused(str(exc)) from None
    if "[Content_Types].xml" in entries:
        return _ooxml(entries["[Content_Types].xml"])
    if "mimetype" in entries:
        if first_entry_name(data) != "mimetype":
            raise FileRefused("an OpenDocument file must start with its mimetype entry")
        declared = entries["mimetype"].decode("ascii", "replace").strip()
        found = _ODF.get(declared)
        if found is None:
            raise FileRefused(f"OpenDocument files of type {declared[:80]!r} are not accepted")
        return found
    raise FileRefused("a zip archive that is not an office document is not accepted")


def _ooxml(xml: bytes) -> FileType:
    # Entity declarations are how XML bombs work; a real [Content_Types].xml has none.
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise FileRefused("the document's description part declares entities")
    try:
        root = ElementTree.fromstring(xml)  # noqa: S314 (no DOCTYPE or ENTITY: checked above)
    except ElementTree.ParseError:
        raise FileRefused("the document's description part is not valid XML") from None
    declared = [
        element.get("ContentType", "")
        for element in root.iter()
        if element.tag in (f"{_CONTENT_TYPES_NS}Override", f"{_CONTENT_TYPES_NS}Default")
    ]
    if any(_OOXML_MACROS.search(kind) for kind in declared):
        raise FileRefused("documents with macros are not accepted; save it without macros")
    for kind in declared:
        if kind in _OOXML_MAIN:
            return _OOXML_MAIN[kind]
    raise FileRefused("an Office Open XML package that is not a DOCX, PPTX or XLSX")


def _iso_media(data: bytes) -> FileType:
    brand = data[8:12]
    if brand in _M4A_BRANDS:
        return M4A
    if brand == b"qt  ":
        return MOV
    return MP4


def _mp3_frame(data: bytes) -> bool:
    """An MPEG audio frame header: sync bits, a layer, a real bitrate and sample rate."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return False
    layer = (data[1] >> 1) & 0x3
    bitrate = data[2] >> 4
    sample_rate = (data[2] >> 2) & 0x3
    return layer != 0 and bitrate not in (0, 15) and sample_rate != 3


_REFUSED_SIGNATURES = (
    (b"\x7fELF", "an executable program is not accepted"),
    (b"MZ", "a Windows executable is not accepted"),
    (b"#!", "a script is not accepted"),
    (b"\xca\xfe\xba\xbe", "an executable program is not accepted"),
    (b"\xcf\xfa\xed\xfe", "an executable program is not accepted"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "old Microsoft Office files (.doc, .ppt, .xls) are not accepted; "
        "save it as DOCX, PPTX, XLSX or PDF",
    ),
)


def detect(data: bytes, limits: ArchiveLimits) -> FileType:
    """The type of ``data``; :class:`FileRefused` when it is not one we accept."""
    if not data:
        raise FileRefused("the file is empty")
    head = data[:64]
    if b"%PDF-" in data[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _office(data, limits)
    simple = (
        (b"\xff\xd8\xff", JPEG),
        (b"\x89PNG\r\n\x1a\n", PNG),
        (b"GIF87a", GIF),
        (b"GIF89a", GIF),
        (b"fLaC", FLAC),
        (b"ID3", MP3),
    )
    for signature, found in simple:
        if head.startswith(signature):
            return found
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"OggS"):
        return OGG_VIDEO if b"\x80theora" in data[:512] else OGG_AUDIO
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:
        return WEBM
    if _mp3_frame(head):
        return MP3
    for signature, reason in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            raise FileRefused(reason)
    raise FileRefused(
        "its content is not a type this node accepts "
        "(PDF, DOCX, PPTX, XLSX, ODT, ODP, ODS, images, audio or video)"
    )
