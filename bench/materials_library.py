"""A teachers' library made up for the benches: authors on twenty nodes and their materials.

Titles and descriptions are built from a teacher's vocabulary in Russian and
English (:data:`RU`, :data:`EN`), so words repeat as they do in a real
library; materials spread over the subjects, grades, types and licenses,
and are indexed with :mod:`content.materials.search`'s own statements, in
bulk. :mod:`bench.materials_search` times searches over it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.materials import search
from content.materials.vocabulary import GRADES, LICENSES, MATERIAL_TYPES, SUBJECTS
from storage.ids import new_id
from storage.models import Actor, ContentObject, Material, MaterialGrade, MaterialSubject

NODES = 20
AUTHORS_PER_NODE = 25
CHUNK = 2_000

RU = [
    "урок",
    "конспект",
    "презентация",
    "задание",
    "контрольная",
    "работа",
    "проект",
    "ученики",
    "класс",
    "тема",
    "повторение",
    "закрепление",
    "материала",
    "практическая",
    "лабораторная",
    "опыт",
    "наблюдение",
    "природа",
    "растения",
    "животные",
    "клетка",
    "фотосинтез",
    "листья",
    "корни",
    "дроби",
    "уравнения",
    "функции",
    "график",
    "теорема",
    "треугольник",
    "окружность",
    "история",
    "война",
    "реформа",
    "культура",
    "литература",
    "поэзия",
    "роман",
    "герой",
    "сочинение",
    "диктант",
    "орфография",
    "пунктуация",
    "словарь",
    "грамматика",
    "чтение",
    "музыка",
    "рисунок",
    "спорт",
    "здоровье",
    "безопасность",
    "экология",
    "вода",
    "воздух",
    "энергия",
    "сила",
    "движение",
    "скорость",
    "масса",
    "химия",
    "реакция",
    "кислоты",
    "металлы",
    "карта",
    "страна",
    "город",
    "река",
]

EN = [
    "lesson",
    "plan",
    "worksheet",
    "presentation",
    "quiz",
    "test",
    "project",
    "pupils",
    "class",
    "topic",
    "review",
    "practice",
    "experiment",
    "observation",
    "nature",
    "plants",
    "animals",
    "cell",
    "photosynthesis",
    "leaves",
    "roots",
    "fractions",
    "equations",
    "functions",
    "graph",
    "theorem",
    "triangle",
    "circle",
    "history",
    "war",
    "reform",
    "culture",
    "literature",
    "poetry",
    "novel",
    "hero",
    "essay",
    "dictation",
    "spelling",
    "grammar",
    "reading",
    "music",
    "drawing",
    "sport",
    "health",
    "safety",
    "ecology",
    "water",
    "air",
    "energy",
    "force",
    "motion",
    "speed",
    "mass",
    "chemistry",
    "reaction",
    "acids",
    "metals",
    "map",
    "country",
    "city",
    "river",
    "vocabulary",
]


def empty_object_columns() -> dict[str, Any]:
    """The columns a new object's row starts empty: no tags, attachments or counts yet."""
    return {
        "tags": [],
        "attachments": [],
        "extra": {},
        "replies_count": 0,
        "likes_count": 0,
        "announces_count": 0,
    }


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choice(words) for _ in range(n))


def _authors(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for node in range(NODES):
        domain = "school.example" if node == 0 else f"school{node}.example"
        for n in range(AUTHORS_PER_NODE):
            name = f"t{node}_{n}"
            rows.append(
                {
                    "id": new_id(),
                    "ap_id": f"https://{domain}/users/{name}",
                    "type": "Person",
                    "local": node == 0,
                    "local_username": name if node == 0 else None,
                    "username": name,
                    "domain": domain,
                    "display_name": name,
                    "summary": "",
                    "inbox_url": f"https://{domain}/users/{name}/inbox",
                    "manually_approves_followers": False,
                    "discoverable": True,
                    "fields": [],
                    "published": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                    "gone": False,
                }
            )
    return rows


async def generate(session: AsyncSession, count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Insert ``count`` materials in bulk; returns the authors."""
    rng = random.Random(seed)
    authors = _authors(rng)
    await (await session.connection()).execute(insert(Actor), authors)
    subjects, grades = list(SUBJECTS), list(GRADES)
    types, licenses = list(MATERIAL_TYPES), list(LICENSES)
    dialect = session.get_bind().dialect.name
    start = datetime.now(UTC) - timedelta(days=800)
    for first in range(0, count, CHUNK):
        objects, materials, subject_rows, grade_rows, docs = [], [], [], [], []
        for n in range(first, min(count, first + CHUNK)):
            author = rng.choice(authors)
            russian = n % 2 == 0
            words = RU if russian else EN
            title = _sentence(rng, words, rng.randint(3, 7)).capitalize()
            description = ". ".join(_sentence(rng, words, rng.randint(6, 14)) for _ in range(4))
            object_id = new_id()
            when = start + timedelta(minutes=n * 11)
            visibility = "followers" if rng.random() < 0.1 else "public"
            objects.append(
                {
                    "id": object_id,
                    "ap_id": f"{author['ap_id']}/statuses/{object_id}",
                    "type": "Article",
                    "author_id": author["id"],
                    "local": author["local"],
                    "visibility": visibility,
                    "content": "",
                    "sensitive": False,
                    "to": [],
                    "cc": [],
                    **empty_object_columns(),
                    "published": when,
                }
            )
            rated = rng.random() < 0.4
            material = {
                "object_id": object_id, "author_id": author["id"], "local": author["local"],
                "domain": author["domain"], "visibility": visibility, "title": title,
                "summary": description[:300], "description_html": f"<p>{description}</p>",
                "material_type": rng.choice(types), "license": rng.choice(licenses),
                "language": "ru" if russian else "en", "tags": [], "published": when,
                "rating_count": rng.randint(1, 30) if rated else 0, "rating_sum": 0,
                "rating_average": round(rng.uniform(1, 5), 2) if rated else None,
                "downloads_count": int(rng.expovariate(1 / 40)),
            }  # fmt: skip
            materials.append(material)
            for code in rng.sample(subjects, rng.randint(1, 2)):
                subject_rows.append({"material_id": object_id, "code": code})
            for code in rng.sample(grades, rng.randint(1, 2)):
                grade_rows.append({"material_id": object_id, "code": code})
            docs.append((object_id, title, f"{material['summary']} {description}"))
        connection = await session.connection()
        await connection.execute(insert(ContentObject), objects)  # executemany: no bind limit
        await connection.execute(insert(Material), materials)
        await connection.execute(insert(MaterialSubject), subject_rows)
        await connection.execute(insert(MaterialGrade), grade_rows)
        codes: dict[Any, list[tuple[str, Any]]] = {}
        for facet, rows in (("subject", subject_rows), ("grade", grade_rows)):
            for row in rows:
                codes.setdefault(row["material_id"], []).append((facet, row["code"]))
        facets = [" ".join(_facets(m, codes[m["object_id"]])) for m in materials]
        if dialect == "sqlite":
            await connection.execute(
                text(search.SQLITE_INSERT),
                [search.sqlite_row(i, t, b, f) for (i, t, b), f in zip(docs, facets, strict=True)],
            )
        else:
            await connection.execute(
                text(search.POSTGRES_INSERT),
                [
                    {"id": i, "title": t, "body": b, "facets": f}
                    for (i, t, b), f in zip(docs, facets, strict=True)
                ],
            )
        await session.commit()
    if dialect == "postgresql":
        connection = await session.connection()
        for table in ("materials", "material_subjects", "material_grades", "material_search"):
            await connection.execute(text(f"ANALYZE {table}"))
        await session.commit()
    return authors


def _facets(material: dict[str, Any], codes: list[tuple[str, Any]]) -> list[str]:
    """The facet tokens :func:`content.materials.search.facet_tokens` would write."""
    pairs = [*codes]
    pairs += [
        ("material_type", material["material_type"]),
        ("license", material["license"]),
        ("language", material["language"]),
        ("node", material["domain"]),
    ]
    return [search.facet_token(name, value) for name, value in pairs] + [
        search.facet_token("visibility", material["visibility"])
    ]


async def kept_authors(session: AsyncSession) -> list[dict[str, Any]]:
    """The authors of a library generated by an earlier run (``--keep``)."""
    rows = await session.exec(select(Actor).order_by(col(Actor.id)))
    return [{"id": a.id, "domain": a.domain} for a in rows.all()]
