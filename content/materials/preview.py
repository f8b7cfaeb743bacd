"""The preview image of a material: the first page of its first PDF, or its first image.

PDF pages are rendered with pypdfium2 (PDFium, the renderer of Chromium,
shipped as wheels). PDFium is not thread-safe, so every call holds one
process-wide lock; rendering runs in a worker thread (the caller's
``asyncio.to_thread``), never on the event loop. The page is scaled so its
longer side is at most :data:`MAX_SIDE` pixels, whatever size the PDF
claims, so a page of absurd dimensions costs no more than a normal one.

Images are already checked and thumbnailed by :mod:`content.images`; their
small version is the preview. Other files (documents, audio, video) have none.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from PIL import Image

MAX_SIDE = 800
_PDFIUM = threading.Lock()


class PreviewError(ValueError):
    """A PDF that PDFium cannot open (damaged, or locked with a password)."""


@dataclass(frozen=True)
class Preview:
    data: bytes
    media_type: str
    extension: str
    width: int
    height: int


def pdf_first_page(data: bytes) -> Preview | None:
    """The first page as a JPEG, or None for a PDF without pages."""
    import pypdfium2  # a native library: loaded by the first PDF, not by every process

    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            raise PreviewError("the PDF is damaged or protected by a password") from None
        try:
            if len(document) == 0:
                return None
            page = document[0]
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                return None
            scale = MAX_SIDE / max(width, height)
            image: Image.Image = page.render(scale=scale).to_pil()
        except pypdfium2.PdfiumError:
            return None
        finally:
            document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return Preview(out.getvalue(), "image/jpeg", "jpg", image.size[0], image.size[1])


def image_preview(small: bytes, width: int, height: int) -> Preview:
    """An image file's thumbnail (made by :mod:`content.images`) as the preview."""
    is_png = small.startswith(b"\x89PNG")
    return Preview(
        small, "image/png" if is_png else "image/jpeg", "png" if is_png else "jpg", width, height
    )
