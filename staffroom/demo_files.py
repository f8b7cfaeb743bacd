"""Small real files for ``staffroom demo``, made in code (nothing binary in the repository):
a one-page PDF, an OpenDocument presentation and a PNG poster.

Each is a genuine file of its kind, so the library's checks (real type sniffed
from the bytes, office documents unpacked within limits), its preview and its
download behave as they do with a teacher's own files.
"""

from __future__ import annotations

import io
import zipfile

from PIL import Image, ImageDraw

ODP_TYPE = "application/vnd.oasis.opendocument.presentation"


def pdf(lines: list[str]) -> bytes:
    """A one-page A6 PDF showing ``lines`` (ASCII, Helvetica), offsets and xref exact."""

    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = " ".join(f"({escaped(line)}) Tj T*" for line in lines)
    content = f"BT /F1 14 Tf 18 TL 24 380 Td {shown} ET".encode("ascii")
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"")
    out.write(b"%PDF-1.4\n")
    starts = []
    for number, body in enumerate(bodies, start=1):
        starts.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    table = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % start for start in starts))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(bodies) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % table)
    return out.getvalue()


def _slide(number: int, title: str, body: str) -> str:
    return (
        f'<draw:page draw:name="slide{number}">'
        '<draw:frame svg:x="1cm" svg:y="1cm" svg:width="24cm" svg:height="3cm">'
        f"<draw:text-box><text:p>{title}</text:p></draw:text-box></draw:frame>"
        '<draw:frame svg:x="1cm" svg:y="5cm" svg:width="24cm" svg:height="10cm">'
        f"<draw:text-box><text:p>{body}</text:p></draw:text-box></draw:frame>"
        "</draw:page>"
    )


def odp(slides: list[tuple[str, str]]) -> bytes:
    """An OpenDocument presentation with one page per (title, text): a zip whose first,
    uncompressed entry is its ``mimetype``, with a manifest, as the format asks."""
    pages = "".join(_slide(i, title, text) for i, (title, text) in enumerate(slides, 1))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
        'office:version="1.3"><office:body><office:presentation>'
        f"{pages}</office:presentation></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODP_TYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODP_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return out.getvalue()


def png_poster(title: str, cells: list[str]) -> bytes:
    """A small PNG: a title band and a grid of labelled cells (a periodic-table corner)."""
    width, height = 480, 300
    image = Image.new("RGB", (width, height), (247, 249, 252))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 50), fill=(11, 92, 173))
    draw.text((16, 18), title, fill=(255, 255, 255))
    size, gap = 70, 12
    for i, label in enumerate(cells):
        x = 16 + (i % 6) * (size + gap)
        y = 70 + (i // 6) * (size + gap)
        draw.rectangle((x, y, x + size, y + size), fill=(223, 230, 241), outline=(77, 86, 104))
        draw.text((x + 10, y + 26), label, fill=(27, 34, 48))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
