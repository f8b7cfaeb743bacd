"""What a client asks for when it publishes or edits a material, before anything is checked.

The API's forms, the web pages, C2S, the CLI and the demo all build these;
keeping them apart from :mod:`.publishing` lets them name the request
without importing the write path, which checks and stores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from content.materials.uploads import Upload
from content.materials.vocabulary import DEFAULT_LICENSE, DEFAULT_TYPE
from storage.models import Visibility


@dataclass(frozen=True)
class MaterialDraft:
    title: str
    description: str = ""
    uploads: list[Upload] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    material_type: str = DEFAULT_TYPE
    language: str | None = None
    license: str = DEFAULT_LICENSE
    tags: list[str] = field(default_factory=list)
    visibility: Visibility = Visibility.PUBLIC
    # The community it is posted to (its Group actor id), which announces it;
    # members_only: addressed to that community alone, for its members' eyes.
    community: str | None = None
    members_only: bool = False


@dataclass(frozen=True)
class MaterialEdit:
    """What an edit changes; ``None`` keeps a field. Files are added and removed by id."""

    title: str | None = None
    description: str | None = None
    add_uploads: list[Upload] = field(default_factory=list)
    remove_files: list[int] = field(default_factory=list)
    links: list[str] | None = None
    subjects: list[str] | None = None
    grades: list[str] | None = None
    material_type: str | None = None
    language: str | None = None
    license: str | None = None
    tags: list[str] | None = None
