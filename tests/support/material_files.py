"""Small real files for the materials tests, made in the tests (no binaries in the repository).

Each is the genuine format, as small as it can be: a one-page PDF with a
line of text (Helvetica, which every PDF reader has), a DOCX, a PPTX and an
XLSX (Office Open XML packages with their ``[Content_Types].xml``), an ODT
(OpenDocument, ``mimetype`` stored first), a PNG. And the bad ones: an ELF
program renamed, a DOCX with a zip bomb inside, a DOCX whose zip headers lie
about a part's size, a macro-enabled document.
"""

from __future__ import annotations

import io
import struct
import zipfile

from PIL import Image

_OOXML = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
}


def pdf(text: str = "Photosynthesis") -> bytes:
    """A valid one-page PDF (objects, xref table and trailer with correct offsets)."""
    stream = f"BT /F1 24 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode())
    out.write(f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def ooxml(
    kind: str = "docx", *, main_type: str | None = None, extra: dict[str, bytes] | None = None
) -> bytes:
    """A minimal Office Open XML package of ``kind`` (docx, pptx or xlsx)."""
    part, suffix = _OOXML[kind]
    content_type = main_type or f"application/vnd.openxmlformats-officedocument.{suffix}"
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        "</Types>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<document><body><p>Leaf structure</p></body></document>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx() -> bytes:
    return ooxml("docx")


def pptx() -> bytes:
    return ooxml("pptx")


def macro_docx() -> bytes:
    return ooxml("docx", main_type="application/vnd.ms-word.document.macroEnabled.main+xml")


def odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def elf() -> bytes:
    """The start of a real x86-64 ELF executable (what a renamed program begins with)."""
    header = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HHI", 2, 0x3E, 1)
    return header + b"\x00" * 200


def zip_bomb_docx(unpacked_mb: int = 40) -> bytes:
    """A DOCX whose one extra part is ``unpacked_mb`` MB of zeros (a few tens of KB packed)."""
    return ooxml("docx", extra={"word/media/zeros.bin": b"\x00" * (unpacked_mb * 1024 * 1024)})


def lying_docx(declared: int = 100) -> bytes:
    """A DOCX whose big part claims, in both zip headers, to unpack to ``declared`` bytes."""
    data = bytearray(zip_bomb_docx(4))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/media/zeros.bin")
    local = info.header_offset
    data[local + 22 : local + 26] = struct.pack("<I", declared)
    central = data.find(b"PK\x01\x02")
    name = b"word/media/zeros.bin"
    while central != -1:
        length = struct.unpack("<H", data[central + 28 : central + 30])[0]
        if data[central + 46 : central + 46 + length] == name:
            data[central + 24 : central + 28] = struct.pack("<I", declared)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)
