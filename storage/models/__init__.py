"""All tables, imported here so that ``SQLModel.metadata`` knows every one."""

from storage.models.accounts import AccessToken, Account, Role
from storage.models.actors import Actor, ActorType
from storage.models.inbox import InboxItem, InboxState

__all__ = [
    "AccessToken",
    "Account",
    "Actor",
    "ActorType",
    "InboxItem",
    "InboxState",
    "Role",
]
