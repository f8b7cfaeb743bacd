"""A material with everything beside its row (files, links, subjects, grades), loaded in bulk.

Lists render twenty materials at a time, so :func:`load_views` reads the
rows of a whole page in three queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Material, MaterialFile, MaterialGrade, MaterialSubject

FILE = "file"
LINK = "link"


@dataclass
class MaterialView:
    material: Material
    files: list[MaterialFile] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)

    @property
    def documents(self) -> list[MaterialFile]:
        return [f for f in self.files if f.kind == FILE]

    @property
    def links(self) -> list[MaterialFile]:
        return [f for f in self.files if f.kind == LINK]


def grade_order(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (99, code)


async def load_views(session: AsyncSession, materials: Iterable[Material]) -> list[MaterialView]:
    """Views for ``materials``, in the order given."""
    views = {m.object_id: MaterialView(m) for m in materials}
    if not views:
        return []
    ids = list(views)
    files = await session.exec(
        select(MaterialFile)
        .where(col(MaterialFile.material_id).in_(ids))
        .order_by(col(MaterialFile.material_id), col(MaterialFile.position))
    )
    for row in files.all():
        views[row.material_id].files.append(row)
    subjects = await session.exec(
        select(MaterialSubject.material_id, MaterialSubject.code).where(
            col(MaterialSubject.material_id).in_(ids)
        )
    )
    for material_id, code in subjects.all():
        views[material_id].subjects.append(code)
    grades = await session.exec(
        select(MaterialGrade.material_id, MaterialGrade.code).where(
            col(MaterialGrade.material_id).in_(ids)
        )
    )
    for material_id, code in grades.all():
        views[material_id].grades.append(code)
    for view in views.values():
        view.subjects.sort()
        view.grades.sort(key=grade_order)
    return list(views.values())


async def load_view(session: AsyncSession, material_id: int) -> MaterialView | None:
    material = await session.get(Material, material_id)
    if material is None:
        return None
    return (await load_views(session, [material]))[0]
