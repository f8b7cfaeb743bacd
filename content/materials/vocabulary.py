"""The codes a material is described with, and their labels in English and Russian.

Scripts and other nodes rely on the codes, never on the labels: types are
snake_case, licenses SPDX identifiers (or ``all-rights-reserved``), subjects
and grades short codes (``biology``, ``6``). A code we do not know, arriving
from another node, is kept for types (as ``other``) and dropped for subjects
and grades, so the library's filters stay within the lists below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    en: str
    ru: str

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "ru": self.ru}


MATERIAL_TYPES: dict[str, Label] = {
    "lesson_plan": Label("Lesson plan", "Конспект урока"),
    "presentation": Label("Presentation", "Презентация"),
    "worksheet": Label("Worksheet", "Рабочий лист"),
    "program": Label("Program", "Рабочая программа"),
    "test": Label("Test", "Контрольная работа"),
    "methodological_guide": Label("Methodological guide", "Методическое пособие"),
    "video_lesson": Label("Video lesson", "Видеоурок"),
    "extracurricular_activity": Label("Extracurricular activity", "Внеурочное мероприятие"),
    "project": Label("Project", "Проект"),
    "other": Label("Other", "Другое"),
}

LICENSES: dict[str, Label] = {
    "CC-BY-4.0": Label("CC BY 4.0", "CC BY 4.0"),
    "CC-BY-SA-4.0": Label("CC BY-SA 4.0", "CC BY-SA 4.0"),
    "CC-BY-NC-4.0": Label("CC BY-NC 4.0", "CC BY-NC 4.0"),
    "CC-BY-NC-SA-4.0": Label("CC BY-NC-SA 4.0", "CC BY-NC-SA 4.0"),
    "CC0-1.0": Label("CC0 1.0 (public domain)", "CC0 1.0 (общественное достояние)"),
    "all-rights-reserved": Label("All rights reserved", "Все права защищены"),  # noqa: RUF001
}

LICENSE_URLS: dict[str, str] = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}

SUBJECTS: dict[str, Label] = {
    "mathematics": Label("Mathematics", "Математика"),
    "algebra": Label("Algebra", "Алгебра"),
    "geometry": Label("Geometry", "Геометрия"),
    "russian_language": Label("Russian language", "Русский язык"),
    "literature": Label("Literature", "Литература"),
    "native_language": Label("Native language", "Родной язык"),
    "english_language": Label("English", "Английский язык"),
    "german_language": Label("German", "Немецкий язык"),
    "french_language": Label("French", "Французский язык"),
    "physics": Label("Physics", "Физика"),
    "chemistry": Label("Chemistry", "Химия"),
    "biology": Label("Biology", "Биология"),
    "geography": Label("Geography", "География"),
    "history": Label("History", "История"),
    "social_studies": Label("Social studies", "Обществознание"),
    "economics": Label("Economics", "Экономика"),
    "law": Label("Law", "Право"),
    "computer_science": Label("Computer science", "Информатика"),
    "astronomy": Label("Astronomy", "Астрономия"),
    "ecology": Label("Ecology", "Экология"),
    "world_around_us": Label("The world around us", "Окружающий мир"),
    "music": Label("Music", "Музыка"),
    "art": Label("Art", "Изобразительное искусство"),
    "physical_education": Label("Physical education", "Физическая культура"),
    "technology": Label("Technology", "Технология"),
    "life_safety": Label("Life safety", "ОБЖ"),
    "primary_school": Label("Primary school", "Начальная школа"),
    "special_education": Label("Special education", "Коррекционная педагогика"),
    "psychology": Label("School psychology", "Школьная психология"),
    "project_work": Label("Project work", "Проектная деятельность"),
}

GRADES: dict[str, Label] = {str(n): Label(f"Grade {n}", f"{n} класс") for n in range(1, 12)}

DEFAULT_TYPE = "other"
DEFAULT_LICENSE = "all-rights-reserved"


class VocabularyError(ValueError):
    """A code that is not in the list; the message names the field and the code."""


def check_type(code: str) -> str:
    if code not in MATERIAL_TYPES:
        raise VocabularyError(f"unknown type {code[:40]!r}; one of {', '.join(MATERIAL_TYPES)}")
    return code


def check_license(code: str) -> str:
    if code not in LICENSES:
        raise VocabularyError(f"unknown license {code[:40]!r}; one of {', '.join(LICENSES)}")
    return code


def check_codes(field: str, codes: list[str], known: dict[str, Label]) -> list[str]:
    """The codes in order, once each; every one must be known."""
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise VocabularyError(f"unknown {field} {unknown[0][:40]!r}")
    return list(dict.fromkeys(codes))


def known_codes(codes: list[str], known: dict[str, Label]) -> list[str]:
    """Codes from another node: the ones we know, in order, once each (others are dropped)."""
    return list(dict.fromkeys(c for c in codes if c in known))


def labels() -> dict[str, dict[str, dict[str, str]]]:
    """Every list with its labels, for clients that build filter menus."""
    return {
        name: {code: label.as_dict() for code, label in table.items()}
        for name, table in (
            ("types", MATERIAL_TYPES),
            ("licenses", LICENSES),
            ("subjects", SUBJECTS),
            ("grades", GRADES),
        )
    }
