"""New table rows built straight into their ``__dict__``, for the paths that make thousands.

SQLModel's constructor sets every field through two instrumented
``__setattr__`` (pydantic's, then SQLAlchemy's, with its attribute events
and history): a :class:`~storage.models.ContentObject` has 34 fields, and
building one and its stream event was a fifth of the inbox worker's CPU per
received post. None of that work is needed for a row that is about to be
INSERTed: SQLAlchemy's unit of work takes a new row's values from the
instance's ``__dict__``, and a table model's constructor does not validate
(SQLModel skips validation for ``table=True``). So :func:`new_row` puts the
values and the fields' defaults there directly.

The result is the object the constructor would have made: the same values
and defaults (each default factory called afresh, so no two rows share a
list), a pending row once added to a session, and every later assignment
tracked as usual. ``tests/storage/test_rows.py`` holds it to that.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy.orm import class_mapper
from sqlmodel import SQLModel

Row = TypeVar("Row", bound=SQLModel)
_Default = tuple[str, Any, Callable[[], Any] | None]


@functools.cache
def _defaults(cls: type[SQLModel]) -> tuple[_Default, ...]:
    """Each field with its default, or its default factory; required fields are left out."""
    found: list[_Default] = []
    for name, field in cls.model_fields.items():
        if field.is_required():
            continue
        if field.default_factory_takes_validated_data:
            raise TypeError(f"{cls.__name__}.{name}: a default made from other fields")
        factory = cast("Callable[[], Any] | None", field.default_factory)
        if factory is None and isinstance(field.default, (list, dict, set)):
            # pydantic copies such a default for each instance; so must we.
            factory = functools.partial(copy.deepcopy, field.default)
        found.append((name, None if factory else field.default, factory))
    return tuple(found)


def new_row(cls: type[Row], values: dict[str, Any]) -> Row:
    """``cls(**values)`` for a table model, without its per-field ``__setattr__``.

    ``values`` must name fields of ``cls`` (an unknown name is a TypeError,
    where the constructor would drop it silently).
    """
    unknown = values.keys() - cls.model_fields.keys()
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    row: Row = class_mapper(cls).class_manager.new_instance()
    fields = row.__dict__
    for name, default, factory in _defaults(cls):
        if name not in values:
            fields[name] = factory() if factory is not None else default
    fields.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row
