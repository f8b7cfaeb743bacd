"""Writes tools/ru_messages.py into the ru catalog (run by ``make messages``).

Prints the ids still without a Russian text, so a new string is never shipped
untranslated unnoticed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).parent))
from ru_messages import RU

PO = Path(__file__).resolve().parents[1] / "web/locale/ru/LC_MESSAGES/messages.po"


def main() -> int:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="ru")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        text = RU.get(key)
        if text is None:
            missing.append(key)
            continue
        if isinstance(message.id, tuple):
            forms = text if isinstance(text, tuple) else (text, text, text)
            message.string = forms
        else:
            message.string = text if isinstance(text, str) else text[0]
        message.flags.discard("fuzzy")
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    for key in missing:
        print(f"untranslated (ru): {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
