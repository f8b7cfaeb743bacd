"""All tables, imported here so that ``SQLModel.metadata`` knows every one."""

from storage.models.accounts import AccessToken, Account, Role
from storage.models.actors import Actor, ActorType
from storage.models.graph import Block, Follow, FollowState
from storage.models.inbox import InboxItem, InboxState
from storage.models.interactions import Announce, Featured, Like, Report
from storage.models.objects import ContentObject, Visibility
from storage.models.outbox import (
    Activity,
    Delivery,
    DeliveryState,
    HostHealth,
    MailboxEntry,
)

__all__ = [
    "AccessToken",
    "Account",
    "Activity",
    "Actor",
    "ActorType",
    "Announce",
    "Block",
    "ContentObject",
    "Delivery",
    "DeliveryState",
    "Featured",
    "Follow",
    "FollowState",
    "HostHealth",
    "InboxItem",
    "InboxState",
    "Like",
    "MailboxEntry",
    "Report",
    "Role",
    "Visibility",
]
