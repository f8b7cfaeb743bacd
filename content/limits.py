"""The limits this node advertises in its Instance entities, in one place.

Apps read them from ``/api/v2/instance`` (``configuration``) to size their
compose box, poll editor and upload checks, so the routes that enforce a limit
(statuses, polls, media, profile edits) import the same numbers from here:
an app never offers what the server then refuses.
"""

from __future__ import annotations

from content.compose import ComposeLimits
from content.media import MediaLimits
from content.polls import PollLimits

# Statuses
MAX_STATUS_CHARACTERS = 5_000
MAX_MEDIA_ATTACHMENTS = 4
CHARACTERS_RESERVED_PER_URL = 23
MAX_PINNED_STATUSES = 5

# Polls
MAX_POLL_OPTIONS = 4
MAX_POLL_OPTION_CHARACTERS = 50
MIN_POLL_EXPIRATION = 300  # five minutes
MAX_POLL_EXPIRATION = 2_629_746  # one month

# Media
IMAGE_MIME_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
VIDEO_MIME_TYPES = ("video/mp4", "video/webm", "video/quicktime")
AUDIO_MIME_TYPES = ("audio/mpeg", "audio/mp3", "audio/ogg", "audio/wav", "audio/webm")
SUPPORTED_MIME_TYPES = (*IMAGE_MIME_TYPES, *VIDEO_MIME_TYPES, *AUDIO_MIME_TYPES)
IMAGE_SIZE_LIMIT = 16 * 1024 * 1024
IMAGE_MATRIX_LIMIT = 33_177_600  # 7680 x 4320
VIDEO_SIZE_LIMIT = 99 * 1024 * 1024
VIDEO_FRAME_RATE_LIMIT = 120
VIDEO_MATRIX_LIMIT = 8_294_400  # 3840 x 2160
MEDIA_DESCRIPTION_LIMIT = 1_500

# Accounts
MAX_FEATURED_TAGS = 10
MAX_PROFILE_FIELDS = 4
MAX_DISPLAY_NAME_CHARACTERS = 100
MAX_NOTE_CHARACTERS = 500
MAX_FIELD_NAME_CHARACTERS = 255
MAX_FIELD_VALUE_CHARACTERS = 255
AVATAR_SIZE_LIMIT = 2 * 1024 * 1024
HEADER_SIZE_LIMIT = 2 * 1024 * 1024


# The same limits as objects, for the API and the pages alike.
MEDIA_LIMITS = MediaLimits(
    image_types=IMAGE_MIME_TYPES,
    video_types=VIDEO_MIME_TYPES,
    audio_types=AUDIO_MIME_TYPES,
    image_bytes=IMAGE_SIZE_LIMIT,
    video_bytes=VIDEO_SIZE_LIMIT,
    image_pixels=IMAGE_MATRIX_LIMIT,
    description_chars=MEDIA_DESCRIPTION_LIMIT,
)
POLL_LIMITS = PollLimits(
    max_options=MAX_POLL_OPTIONS,
    max_option_chars=MAX_POLL_OPTION_CHARACTERS,
    min_expiration=MIN_POLL_EXPIRATION,
    max_expiration=MAX_POLL_EXPIRATION,
)
COMPOSE_LIMITS = ComposeLimits(
    max_characters=MAX_STATUS_CHARACTERS,
    max_media=MAX_MEDIA_ATTACHMENTS,
    characters_per_url=CHARACTERS_RESERVED_PER_URL,
    poll=POLL_LIMITS,
    media=MEDIA_LIMITS,
)
