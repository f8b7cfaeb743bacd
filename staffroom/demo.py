"""``staffroom demo``: a school's node to look at, seeded through the domain's own functions.

Who is there: three teachers (Marina, biology, writes in Russian; David,
English, writes in English; Olga, chemistry), a student (Sasha) and Sasha's
parent (Irina, linked as the guardian), all with the one demo password. What
they made: a community with a thread, three materials with small real files
(a PDF, an OpenDocument presentation, a PNG poster, made in
:mod:`staffroom.demo_files`) and reviews of them, an upcoming event David
joined, a poll, and posts in both languages.

Everything goes through the same calls as the API and the pages (so the
demo shows what the node really does), and the node's own inbox queue is
drained as it goes (follows of the community, its announces), so the world
is complete before ``serve`` starts. It refuses a node that already has
content: it is for a fresh node, never to mix invented people into a school's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors import node_settings
from actors.context import NodeContext
from actors.graph import follow
from actors.guardians import link
from actors.local import create_person, local_actor_by_name
from content.communities.manage import CommunityDraft, create_community
from content.compose import Draft, PollDraft, post_status
from content.events import participation
from content.events.publishing import EventDraft, create_event
from content.events.rules import Place
from content.limits import COMPOSE_LIMITS
from content.materials.drafts import MaterialDraft
from content.materials.files import staged_files
from content.materials.publishing import create_material
from content.materials.reviews import write_review
from content.materials.uploads import Upload
from content.profile_changes import note_html
from inbox.worker import run_once
from staffroom import demo_files
from storage.models import Actor, ContentObject, Role, Visibility

PASSWORD = "staffroom-demo"
COMMUNITY = "biology7"


class DemoRefused(Exception):
    """The node is not empty; the message says why."""


@dataclass(frozen=True)
class Person:
    name: str
    role: Role
    display_name: str
    bio: str
    fields: list[tuple[str, str]] = field(default_factory=list)


PEOPLE = [
    Person(
        "marina",
        Role.TEACHER,
        "Марина Соколова",
        "Учитель биологии, школа № 7. Лабораторные, экскурсии, олимпиады.",
        [("Предмет", "Биология"), ("Школа", "№ 7")],
    ),
    Person(
        "david",
        Role.TEACHER,
        "David Clark",
        "English teacher at School 7. Stories, songs and a lot of speaking practice.",
        [("Subject", "English"), ("School", "No. 7")],
    ),
    Person(
        "olga",
        Role.TEACHER,
        "Ольга Иванова",
        "Химия, 8–11 классы. Chemistry, grades 8 to 11.",
        [("Предмет", "Химия")],
    ),
    Person("sasha", Role.STUDENT, "Саша К.", "7 «Б»."),
    Person("irina", Role.PARENT, "Ирина К.", "Мама Саши."),
]


@dataclass
class Seeded:
    people: dict[str, Actor] = field(default_factory=dict)
    materials: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    posts: list[int] = field(default_factory=list)


async def has_content(session: AsyncSession) -> str | None:
    """Why the node is not empty, or None: local posts, materials or events, or our names."""
    count = (
        await session.exec(
            select(func.count()).select_from(ContentObject).where(col(ContentObject.local))
        )
    ).one()
    if count:
        return f"it already has {count} posts, materials or events of its own"
    for name in [p.name for p in PEOPLE] + [COMMUNITY]:
        if await local_actor_by_name(session, name) is not None:
            return f"the name {name!r} is taken"
    return None


async def _drain(node: NodeContext) -> None:
    """Handle what the node sent itself (follows, announces) now, as the workers would."""
    for _ in range(50):
        if await run_once(node) == 0:
            return


async def _people(node: NodeContext, seeded: Seeded) -> None:
    async with node.sessions() as session:
        for person in PEOPLE:
            _account, actor = await create_person(
                session,
                node.config,
                person.name,
                role=person.role,
                password=PASSWORD,
                display_name=person.display_name,
            )
            actor.summary = note_html(person.bio)
            actor.fields = [{"name": n, "value": v} for n, v in person.fields]
            session.add(actor)
            seeded.people[person.name] = actor
        await session.flush()
        parent, student = seeded.people["irina"], seeded.people["sasha"]
        assert parent.id is not None and student.id is not None
        await link(session, parent_id=parent.id, student_id=student.id, by=None)
        for name, value in (
            ("node.name", "Школа № 7 · School 7"),
            (
                "node.description",
                "Учителя школы № 7 делятся уроками. Teachers of School 7 share lessons.",
            ),
            ("node.rules", "Будьте добры; указывайте источники. Be kind; cite your sources."),
        ):
            if not await node_settings.read(session, name):
                await node_settings.write(session, name, value)
        await session.commit()


async def _post(
    node: NodeContext, author: Actor, text: str, *, reply_to: int | None = None, **extra: object
) -> int:
    async with node.sessions() as session:
        me = await session.get(Actor, author.id)
        assert me is not None
        draft = Draft(
            text=text,
            visibility=Visibility.PUBLIC,
            in_reply_to_id=reply_to,
            language=str(extra.pop("language", "ru")),
            poll=extra.pop("poll", None),  # type: ignore[arg-type]
        )
        obj = await post_status(session, node, me, draft, COMPOSE_LIMITS)
        await session.commit()
        assert obj.id is not None
        return obj.id


async def _community(node: NodeContext, seeded: Seeded) -> None:
    people = seeded.people
    async with node.sessions() as session:
        owner = await session.get(Actor, people["marina"].id)
        assert owner is not None
        group, _settings = await create_community(
            session,
            node.config,
            CommunityDraft(
                name=COMMUNITY,
                display_name="Биология в школе · Biology at school",
                description=(
                    "Лабораторные, экскурсии и олимпиадные задачи. "
                    "Labs, field trips and olympiad problems, in Russian and English."
                ),
                rules="Указывайте источники. Cite your sources.",
                subjects=["biology", "ecology"],
                level="school",
                kind="",
            ),
            owner,
        )
        for name in ("david", "olga"):
            member = await session.get(Actor, people[name].id)
            assert member is not None
            await follow(session, node, member, group)
        await session.commit()
    await _drain(node)
    domain = node.config.domain
    start = await _post(
        node,
        people["marina"],
        f"@{COMMUNITY}@{domain} Коллеги, кто в этом месяце делает лабораторную по фотосинтезу? "
        "Делюсь рабочим листом в библиотеке.",
    )
    reply = await _post(
        node,
        people["olga"],
        "Я делаю с 8 «А»: добавлю опыт с хлорофиллом и спиртом. Спасибо за лист!",
        reply_to=start,
    )
    answer = await _post(
        node,
        people["david"],
        "We could do a short English glossary for it: leaf, light, oxygen. I can bring one.",
        reply_to=reply,
        language="en",
    )
    seeded.posts += [start, reply, answer]
    await _drain(node)


async def _materials(node: NodeContext, seeded: Seeded) -> None:
    people = seeded.people
    made = [
        (
            "marina",
            MaterialDraft(
                title="Фотосинтез: рабочий лист",
                description="Рабочий лист к лабораторной: **свет**, вода и углекислый газ.",
                uploads=[
                    Upload(
                        "fotosintez.pdf",
                        demo_files.pdf(["Photosynthesis", "6CO2 + 6H2O -> C6H12O6 + 6O2"]),
                    )
                ],
                subjects=["biology"],
                grades=["6", "7"],
                material_type="worksheet",
                language="ru",
                tags=["фотосинтез", "лабораторная"],
            ),
        ),
        (
            "david",
            MaterialDraft(
                title="Present Simple in five slides",
                description="A short presentation for grades 5 and 6, with a speaking game.",
                uploads=[
                    Upload(
                        "present-simple.odp",
                        demo_files.odp(
                            [
                                ("Present Simple", "I read. She reads."),
                                ("Questions", "Do you read? Does she read?"),
                                ("Game", "Find someone who..."),
                            ]
                        ),
                    )
                ],
                subjects=["english_language"],
                grades=["5", "6"],
                material_type="presentation",
                language="en",
                license="CC-BY-SA-4.0",
                tags=["grammar"],
            ),
        ),
        (
            "olga",
            MaterialDraft(
                title="Periodic table: the first period and a half",
                description="A poster for the classroom wall. Плакат для кабинета химии.",
                uploads=[
                    Upload(
                        "periodic.png",
                        demo_files.png_poster(
                            "Periodic table", ["H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne"]
                        ),
                    )
                ],
                subjects=["chemistry"],
                grades=["8"],
                material_type="other",
                language="en",
                tags=["poster"],
            ),
        ),
    ]
    for author, draft in made:
        async with node.sessions() as session, staged_files(node.config) as stage:
            me = await session.get(Actor, people[author].id)
            assert me is not None
            view = await create_material(session, node, me, draft, stage)
            await session.commit()
            seeded.materials.append(view.material.object_id)
    reviews = [
        ("olga", 0, 5, "Отличный лист, беру для 8 «А»."),
        ("david", 0, 4, "Clear and short; my students liked the diagram."),
        ("marina", 1, 5, "Great game at the end!"),
        ("david", 2, 5, "Exactly what my classroom wall needed."),
    ]
    for who, index, rating, text in reviews:
        async with node.sessions() as session:
            me = await session.get(Actor, people[who].id)
            assert me is not None
            await write_review(session, node, me, seeded.materials[index], rating=rating, text=text)
            await session.commit()


async def _event_and_poll(node: NodeContext, seeded: Seeded) -> None:
    people = seeded.people
    start = (datetime.now(UTC) + timedelta(days=7)).replace(hour=9, minute=0, second=0)
    async with node.sessions() as session:
        me = await session.get(Actor, people["marina"].id)
        assert me is not None
        view = await create_event(
            session,
            node,
            me,
            EventDraft(
                title="Открытый урок: фотосинтез · Open lesson: photosynthesis",
                start=start.strftime("%Y-%m-%dT%H:%M"),
                end=(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                timezone="Europe/Moscow",
                description="Приходите с листком растения. Bring a leaf.",
                kind="master_class",
                place=Place(name="Школа № 7, кабинет 12", locality="Казань"),
                capacity=25,
                subjects=["biology"],
                grades=["6"],
            ),
        )
        obj = await session.get(ContentObject, view.row.object_id)
        guest = await session.get(Actor, people["david"].id)
        assert obj is not None and guest is not None
        await participation.request(session, node, view, obj, guest)
        await session.commit()
        seeded.events.append(view.row.object_id)
    seeded.posts.append(
        await _post(
            node,
            people["david"],
            "Which topic should the English club take next week? / Какую тему взять в клубе?",
            language="en",
            poll=PollDraft(
                options=["Travel stories", "School life", "Science words"], expires_in=7 * 86400
            ),
        )
    )
    seeded.posts.append(
        await _post(
            node,
            people["marina"],
            "Завтра 7 «Б» идёт на экскурсию в ботанический сад. Не забудьте блокноты!",
        )
    )
    await _drain(node)


async def seed(node: NodeContext) -> Seeded:
    """Seed an empty node (DemoRefused otherwise)."""
    async with node.sessions() as session:
        why = await has_content(session)
    if why is not None:
        raise DemoRefused(f"this node is not empty ({why}); the demo only seeds a fresh node")
    seeded = Seeded()
    await _people(node, seeded)
    await _community(node, seeded)
    await _materials(node, seeded)
    await _event_and_poll(node, seeded)
    return seeded
