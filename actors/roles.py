"""Roles of local accounts and the names people may take."""

from __future__ import annotations

import re

from storage.models import Role

USERNAME_RE = re.compile(r"^[a-z0-9_]{1,30}$", re.IGNORECASE)

# The instance actor's name contains a dot, which USERNAME_RE refuses, so no
# person or community can ever take it.
INSTANCE_ACTOR_USERNAME = "instance.actor"

STAFF_ROLES = frozenset({Role.ADMIN, Role.MODERATOR})
# Who speaks for the school: creates student and parent accounts, links them,
# issues invites; a student may write directly to these (and to their parents).
SCHOOL_ROLES = frozenset({Role.ADMIN, Role.MODERATOR, Role.TEACHER})
# Accounts only the school creates (never by open registration).
PROTECTED_ROLES = frozenset({Role.STUDENT, Role.PARENT})


class InvalidUsernameError(ValueError):
    pass


def validate_username(name: str) -> str:
    if not USERNAME_RE.match(name):
        raise InvalidUsernameError(
            f"invalid name {name!r}: use 1-30 letters, digits or underscores"
        )
    return name


def parse_role(value: str) -> Role:
    try:
        return Role(value.lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}; choose one of: {choices}") from None
