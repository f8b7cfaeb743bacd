"""All tables, imported here so that ``SQLModel.metadata`` knows every one."""

from storage.models.account_jobs import AccountJob, JobKind, JobState
from storage.models.account_settings import AccountSettings
from storage.models.accounts import AccessToken, Account, Role
from storage.models.actors import Actor, ActorType
from storage.models.communities import (
    Community,
    CommunityBan,
    CommunityInvitation,
    CommunityMember,
    CommunityPost,
    CommunityRole,
    CommunityVisibility,
    JoinPolicy,
    PostingPolicy,
)
from storage.models.conversations import ConversationMark
from storage.models.events import (
    CalendarFeed,
    EventCode,
    EventParticipant,
    EventReminder,
    EventRow,
    PollState,
)
from storage.models.graph import Block, Follow, FollowState
from storage.models.inbox import InboxItem, InboxState
from storage.models.interactions import Announce, Featured, Like, Report
from storage.models.material_collections import (
    MaterialCollection,
    MaterialCollectionFollow,
    MaterialCollectionItem,
)
from storage.models.materials import (
    Material,
    MaterialDownload,
    MaterialFile,
    MaterialGrade,
    MaterialReview,
    MaterialSubject,
)
from storage.models.media import MediaAttachment
from storage.models.node_settings import NodeSetting
from storage.models.notifications import Notification
from storage.models.oauth import OAuthApp, OAuthCode
from storage.models.objects import ContentObject, Visibility
from storage.models.outbox import (
    Activity,
    Delivery,
    DeliveryState,
    HostHealth,
    MailboxEntry,
)
from storage.models.peers import PeerSoftware
from storage.models.polls import PollVote
from storage.models.preferences import ListMember, Marker, Mute, UserList
from storage.models.safety import (
    ActorModeration,
    DomainPolicy,
    DomainSeverity,
    Filter,
    FilterKeyword,
    GuardianLink,
    Invite,
    ModerationAction,
)
from storage.models.statuses import Bookmark, IdempotencyKey, StatusEdit, StatusSource
from storage.models.streams import StreamEvent
from storage.models.web_sessions import WebSession

__all__ = [
    "AccessToken",
    "Account",
    "AccountJob",
    "AccountSettings",
    "Activity",
    "Actor",
    "ActorModeration",
    "ActorType",
    "Announce",
    "Block",
    "Bookmark",
    "CalendarFeed",
    "Community",
    "CommunityBan",
    "CommunityInvitation",
    "CommunityMember",
    "CommunityPost",
    "CommunityRole",
    "CommunityVisibility",
    "ContentObject",
    "ConversationMark",
    "Delivery",
    "DeliveryState",
    "DomainPolicy",
    "DomainSeverity",
    "EventCode",
    "EventParticipant",
    "EventReminder",
    "EventRow",
    "Featured",
    "Filter",
    "FilterKeyword",
    "Follow",
    "FollowState",
    "GuardianLink",
    "HostHealth",
    "IdempotencyKey",
    "InboxItem",
    "InboxState",
    "Invite",
    "JobKind",
    "JobState",
    "JoinPolicy",
    "Like",
    "ListMember",
    "MailboxEntry",
    "Marker",
    "Material",
    "MaterialCollection",
    "MaterialCollectionFollow",
    "MaterialCollectionItem",
    "MaterialDownload",
    "MaterialFile",
    "MaterialGrade",
    "MaterialReview",
    "MaterialSubject",
    "MediaAttachment",
    "ModerationAction",
    "Mute",
    "NodeSetting",
    "Notification",
    "OAuthApp",
    "OAuthCode",
    "PeerSoftware",
    "PollState",
    "PollVote",
    "PostingPolicy",
    "Report",
    "Role",
    "StatusEdit",
    "StatusSource",
    "StreamEvent",
    "UserList",
    "Visibility",
    "WebSession",
]
