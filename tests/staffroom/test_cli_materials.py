"""``staffroom materials import`` and ``reindex``, run as a school admin would run them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from content.materials import library
from content.materials.library import LibraryQuery
from storage.models import Material
from tests.support import material_files as files
from tests.support.node import Node


@pytest.fixture
def node(db_kind: str, tmp_path: Path) -> Any:
    node = Node(tmp_path / "node", db_kind)
    node.migrate()
    node.create_user("alice")
    yield node
    node.close()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "leaves.pdf").write_bytes(files.pdf("Leaves"))
    (folder / "worksheet.docx").write_bytes(files.docx())
    (folder / "setup.pdf").write_bytes(files.elf())  # a program renamed
    rows = [
        {"files": "leaves.pdf;worksheet.docx", "title": "Leaves", "description": "Chlorophyll",
         "subjects": "biology", "grades": "6;7", "type": "lesson_plan", "license": "CC-BY-4.0"},
        {"files": "setup.pdf", "title": "Setup", "description": "", "subjects": "", "grades": "",
         "type": "other", "license": ""},
        {"files": "leaves.pdf", "title": "Alchemy", "description": "", "subjects": "alchemy",
         "grades": "", "type": "other", "license": ""},
        {"files": "missing.pdf", "title": "Gone", "description": "", "subjects": "", "grades": "",
         "type": "other", "license": ""},
    ]  # fmt: skip
    with (folder / "metadata.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_import_a_folder_then_reindex(node: Node, tmp_path: Path) -> None:
    result = node.staffroom("materials", "import", str(_folder(tmp_path)), "--as", "alice")
    assert result.returncode == 0, result.stderr
    assert "imported 1 of 4 materials" in result.stdout
    assert "refused 3:" in result.stdout
    assert "row 3 (Setup): setup.pdf: an executable program is not accepted" in result.stdout
    assert "row 4 (Alchemy): unknown subject 'alchemy'" in result.stdout
    assert "row 5 (Gone): missing.pdf: no such file" in result.stdout
    stored = node.settings.media_dir / "materials" / "files"
    assert len(list(stored.iterdir())) == 2  # the two files of the one material, no orphans

    async def found(session: Any) -> list[str]:
        rows = await library.find(session, None, LibraryQuery(q="chlorophyll"), _Page())
        return [m.title for m in rows]

    assert node.with_session(found) == ["Leaves"]
    reindexed = node.staffroom("materials", "reindex")
    assert reindexed.returncode == 0, reindexed.stderr
    assert "reindexed 1 materials" in reindexed.stdout
    assert node.with_session(found) == ["Leaves"]

    async def grades(session: Any) -> int:
        return len((await session.exec(select(Material))).all())

    assert node.with_session(grades) == 1
    missing = node.staffroom("materials", "import", str(tmp_path / "nowhere"), "--as", "alice")
    assert missing.returncode == 1 and "no metadata file" in missing.stderr


class _Page:
    max_id = since_id = min_id = None
    limit = 20
    ascending = False
