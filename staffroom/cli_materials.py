"""``staffroom materials``: rebuild the search index, import a folder of materials.

* ``reindex`` rewrites every material's search entry (after a change of
  stemming, or a restore that lost the index), with a progress bar.
* ``import DIR --as NAME`` publishes one material per row of
  ``DIR/metadata.csv`` (or ``--csv FILE``) for the local account NAME, with a
  progress bar, then prints what was refused and why. Columns (a header row;
  lists separated by ``;``): ``files`` (names in DIR), ``title``,
  ``description`` (Markdown), ``subjects``, ``grades``, ``type``,
  ``license``, ``language``, ``tags``, ``links``, ``visibility``. Each row
  is its own transaction: a refused row keeps nothing and the others go on.
  Files are checked exactly as uploads are (their real type, size, zip bombs).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from actors.local import account_by_name
from content.materials import search
from content.materials.drafts import MaterialDraft
from content.materials.files import staged_files
from content.materials.publishing import MaterialError, create_material
from content.materials.uploads import Upload
from content.materials.vocabulary import DEFAULT_LICENSE, DEFAULT_TYPE
from content.sanitize import plain_text
from staffroom.app import node_context
from staffroom.settings import Settings
from storage.models import Material, Visibility

if TYPE_CHECKING:  # rich is imported when a command runs: `serve` need not load it
    from rich.progress import Progress

VISIBILITIES = {
    "public": Visibility.PUBLIC,
    "unlisted": Visibility.UNLISTED,
    "private": Visibility.FOLLOWERS,
    "followers": Visibility.FOLLOWERS,
    "direct": Visibility.DIRECT,
}
BATCH = 500


class ImportRefused(ValueError):
    """A row that cannot become a material; the message says why."""


@dataclass(frozen=True)
class Refusal:
    row: int
    title: str
    reason: str


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def draft_from_row(row: dict[str, str], folder: Path) -> MaterialDraft:
    uploads = []
    for name in _list(row.get("files")):
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents or not path.is_file():
            raise ImportRefused(f"{name}: no such file in {folder}")
        uploads.append(Upload(path.name, path.read_bytes()))
    visibility = (row.get("visibility") or "public").strip().lower()
    if visibility not in VISIBILITIES:
        raise ImportRefused(f"unknown visibility {visibility!r}")
    return MaterialDraft(
        title=row.get("title") or "",
        description=row.get("description") or "",
        uploads=uploads,
        links=_list(row.get("links")),
        subjects=_list(row.get("subjects")),
        grades=_list(row.get("grades")),
        material_type=(row.get("type") or DEFAULT_TYPE).strip(),
        license=(row.get("license") or DEFAULT_LICENSE).strip(),
        language=(row.get("language") or "").strip() or None,
        tags=_list(row.get("tags")),
        visibility=VISIBILITIES[visibility],
    )


async def import_folder(
    settings: Settings,
    folder: Path,
    sheet: Path,
    username: str,
    advance: Callable[[], None] = lambda: None,
) -> tuple[int, list[Refusal]]:
    """Publish one material per row; returns (published, refusals)."""
    with sheet.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    published, refused = 0, []
    async with node_context(settings) as node:
        async with node.sessions() as session:
            found = await account_by_name(session, username)
        if found is None:
            raise ImportRefused(f"no account named {username!r}")
        author = found[1]
        for number, row in enumerate(rows, start=2):
            title = (row.get("title") or "").strip()
            try:
                draft = draft_from_row(row, folder)
                async with node.sessions() as session, staged_files(node.config) as stage:
                    await create_material(session, node, author, draft, stage)
                    await session.commit()
                published += 1
            except (ImportRefused, MaterialError) as exc:
                refused.append(Refusal(number, title, str(exc)))
            advance()
    return published, refused


async def reindex(settings: Settings, progress: Progress) -> int:
    """Rewrite every material's search entry, in batches by id."""
    async with node_context(settings) as node:
        async with node.sessions() as session:
            total = len((await session.exec(select(Material.object_id))).all())
            await search.clear(session)
            await session.commit()
        task = progress.add_task("reindexing", total=total)
        done, after = 0, -1
        while True:
            async with node.sessions() as session:
                batch = list(
                    (
                        await session.exec(
                            select(Material)
                            .where(col(Material.object_id) > after)
                            .order_by(col(Material.object_id))
                            .limit(BATCH)
                        )
                    ).all()
                )
                for material in batch:
                    await search.index(
                        session, material, plain_text(material.description_html) or ""
                    )
                await session.commit()
            if not batch:
                return done
            after = batch[-1].object_id
            done += len(batch)
            progress.update(task, advance=len(batch))


def cmd_reindex(settings: Settings, _args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True)) as progress:
        count = asyncio.run(reindex(settings, progress))
    print(f"reindexed {count} materials")


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.progress import Progress

    folder = Path(args.dir)
    sheet = Path(args.csv) if args.csv else folder / "metadata.csv"
    if not sheet.is_file():
        raise ImportRefused(f"no metadata file at {sheet}")
    with sheet.open(newline="", encoding="utf-8-sig") as handle:
        total = sum(1 for _ in csv.DictReader(handle))
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task("importing", total=total)
        published, refused = asyncio.run(
            import_folder(
                settings, folder, sheet, args.as_name, lambda: progress.update(task, advance=1)
            )
        )
    print(f"imported {published} of {total} materials")
    if refused:
        print(f"refused {len(refused)}:")
        for item in refused:
            print(f"  row {item.row} ({item.title or 'untitled'}): {item.reason}")


def register(subparsers: Any) -> list[argparse.ArgumentParser]:
    """Add ``materials reindex`` and ``materials import``; returns the leaf parsers."""
    materials = subparsers.add_parser("materials", help="teaching materials").add_subparsers(
        dest="materials_command", required=True
    )
    rebuild = materials.add_parser("reindex", help="rebuild the search index")
    rebuild.set_defaults(func=cmd_reindex)
    load = materials.add_parser("import", help="publish a folder of files with a metadata CSV")
    load.add_argument("dir", help="the folder with the files and metadata.csv")
    load.add_argument("--as", dest="as_name", required=True, help="the local account publishing")
    load.add_argument("--csv", help="the metadata file (default DIR/metadata.csv)")
    load.set_defaults(func=cmd_import)
    return [rebuild, load]
