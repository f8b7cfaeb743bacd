"""The README's two pictures, taken from a living node: ``staffroom demo`` seeded,
served, and photographed in Debian's chromium (the browser tests' set-up).

    .venv/bin/python tools/readme_screenshots.py   # writes docs/screenshots/{front,library}.png

The pictures are the top of each page at a desktop width, scaled down and
reduced to a palette, so each stays small in the repository.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.node import Node  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT, SCALED = 1280, 1000, 960


def small_png(raw: bytes) -> bytes:
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    image = image.resize((SCALED, round(image.height * SCALED / image.width)), Image.LANCZOS)
    out = io.BytesIO()
    image.quantize(colors=128, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        node = Node(Path(tmp) / "demo")
        try:
            node.migrate()
            seeded = node.staffroom("demo")
            if seeded.returncode != 0:
                raise SystemExit(seeded.stderr)
            node.start()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
                )
                page = browser.new_context(
                    locale="ru-RU", viewport={"width": WIDTH, "height": HEIGHT}
                ).new_page()
                OUT.mkdir(parents=True, exist_ok=True)
                for name, path in (("front", "/"), ("library", "/materials")):
                    page.goto(node.base_url + path)
                    (OUT / f"{name}.png").write_bytes(small_png(page.screenshot()))
                    print(f"{name}.png: {(OUT / f'{name}.png').stat().st_size // 1024} KiB")
                browser.close()
        finally:
            node.close()


if __name__ == "__main__":
    main()
