"""content.materials.detect, .archives and .uploads: a file's type comes from its bytes,
zip bombs are refused without unpacking to disk, names tell the truth."""

from __future__ import annotations

import pytest

from actors.config import MaterialConfig
from content.materials import detect
from content.materials.archives import ArchiveLimits
from content.materials.detect import FileRefused
from content.materials.uploads import Upload, UploadRefused, prepare, safe_name
from tests.support import material_files as files

LIMITS = ArchiveLimits(max_unpacked_bytes=8 * 1024 * 1024, max_ratio=100)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (files.pdf(), detect.PDF),
        (files.docx(), detect.DOCX),
        (files.pptx(), detect.PPTX),
        (files.ooxml("xlsx"), detect.XLSX),
        (files.odt(), detect.ODT),
        (files.png(), detect.PNG),
    ],
    ids=["pdf", "docx", "pptx", "xlsx", "odt", "png"],
)
def test_real_files_are_known_by_their_content(data: bytes, expected: detect.FileType) -> None:
    assert detect.detect(data, LIMITS) == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (files.elf(), "executable program"),
        (b"MZ\x90\x00" + b"\x00" * 100, "Windows executable"),
        (b"#!/bin/sh\nrm -rf /\n", "script"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Microsoft Office"),
        (files.macro_docx(), "macros"),
        (b"just some text, not a document", "not a type this node accepts"),
        (b"", "empty"),
    ],
    ids=["elf", "pe", "script", "ole2", "macros", "text", "empty"],
)
def test_what_is_not_allowed_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FileRefused, match=reason):
        detect.detect(data, LIMITS)


def test_a_zip_bomb_is_refused_by_its_declared_size_and_ratio() -> None:
    bomb = files.zip_bomb_docx(40)
    assert len(bomb) < 200 * 1024  # forty megabytes of zeros in a small file
    with pytest.raises(FileRefused, match="unpack to more than 8 MB"):
        detect.detect(bomb, LIMITS)
    roomy = ArchiveLimits(max_unpacked_bytes=100 * 1024 * 1024, max_ratio=100)
    with pytest.raises(FileRefused, match="zip bomb"):
        detect.detect(bomb, roomy)


def test_a_zip_that_lies_about_a_part_size_is_refused_when_counted() -> None:
    liar = files.lying_docx(declared=100)
    with pytest.raises(FileRefused, match="damaged"):
        detect.detect(liar, LIMITS)


def test_a_plain_zip_or_odf_without_its_mimetype_first_is_refused() -> None:
    plain = files.ooxml("docx", main_type="application/zip-of-something")
    with pytest.raises(FileRefused, match="not a DOCX, PPTX or XLSX"):
        detect.detect(plain, LIMITS)


def test_names_keep_no_path_and_say_what_the_file_is() -> None:
    assert safe_name("../../etc/plan.pdf", detect.PDF) == "plan.pdf"
    assert safe_name("C:\\Users\\me\\Урок.pdf", detect.PDF) == "Урок.pdf"
    assert safe_name("plan.pdf", detect.DOCX) == "plan.pdf.docx"
    assert safe_name("photo.jpeg", detect.JPEG) == "photo.jpeg"
    assert safe_name("\x00\n", detect.PNG) == "file.png"


async def test_prepare_checks_size_type_and_makes_a_preview() -> None:
    limits = MaterialConfig(max_file_bytes=64 * 1024, max_files=3)
    done = await prepare([Upload("plan.pdf", files.pdf()), Upload("p.png", files.png())], limits)
    assert [d.file_type for d in done] == [detect.PDF, detect.PNG]
    assert done[0].preview is not None and done[0].preview.media_type == "image/jpeg"
    assert done[0].digest.startswith("SHA-256=")
    with pytest.raises(UploadRefused, match=r"big\.pdf: the file is larger than"):
        await prepare([Upload("big.pdf", files.pdf() + b"\x00" * 70_000)], limits)
    with pytest.raises(UploadRefused, match=r"plan\.pdf: an executable program"):
        await prepare([Upload("plan.pdf", files.elf())], limits)
    with pytest.raises(UploadRefused, match="at most 3 files"):
        await prepare([Upload("a.png", files.png())] * 4, limits)
