"""Every limit on what a stranger may make us parse, in one place, and the body reader.

A peer or a client chooses the bytes we parse. Each figure here bounds one
way those bytes could cost us more than they are worth (memory, a deep
recursion, minutes of JSON-LD processing on the event loop), and each is
enforced before the expensive step, so a refusal is a fast, clear 4xx and
never a 500:

* bodies: :data:`DEFAULT_MAX_BODY` (the inbox's own limit is a setting,
  ``STAFFROOM_MAX_INBOX_BYTES``), read under the limit so an oversized body
  is never buffered (:func:`read_limited`);
* JSON (:mod:`federation.strict_json`): :data:`MAX_JSON_DEPTH` levels of
  arrays and objects; no ``NaN``/``Infinity`` (not JSON, and a float that
  overflows to infinity counts as one), no NUL and no unpaired surrogate in
  strings (PostgreSQL refuses both, and no text needs them);
* JSON-LD (:mod:`federation.jsonld`, before pyld sees the document): at most
  :data:`MAX_CONTEXT_URLS` context URLs, :data:`MAX_INLINE_CONTEXTS` inline
  context objects of which :data:`MAX_SCOPED_CONTEXTS` are scoped (a term
  definition's own ``@context``), nested at most :data:`MAX_CONTEXT_DEPTH`
  deep, and :data:`MAX_CONTEXT_TERMS` term definitions in all. Scoped
  contexts are what makes pyld slow: each use copies the active context,
  and 200 nested ones took two minutes of CPU before these limits. A
  document that needs pyld at all (its context is not the common one) has
  at most :data:`MAX_JSONLD_VALUES` values.

The figures are generous for every real server we have met: Mastodon,
GoToSocial, Misskey, Pleroma, Lemmy, Mobilizon and Fedify send one to four
context URLs, one inline context of at most a few dozen terms, no scoped
contexts, and documents at most a dozen levels deep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Final

from federation.errors import FederationError

#: Largest body of a request that is not an upload (API bodies, C2S).
DEFAULT_MAX_BODY: Final = 1024 * 1024

#: Arrays and objects nested deeper than this are refused (an AS2 Create with
#: an embedded object, its tags and their icons is about six deep).
MAX_JSON_DEPTH: Final = 32

#: Context URLs (remote-context references) in one document, counted everywhere.
MAX_CONTEXT_URLS: Final = 16
#: Inline context objects in one document, scoped ones included.
MAX_INLINE_CONTEXTS: Final = 16
#: Term definitions that carry a ``@context`` of their own.
MAX_SCOPED_CONTEXTS: Final = 8
#: A scoped context inside a scoped context inside ... at most this deep.
MAX_CONTEXT_DEPTH: Final = 3
#: Term definitions in all the inline contexts of one document.
MAX_CONTEXT_TERMS: Final = 512
#: Values (object members and array items, at every level) of a document that
#: needs full JSON-LD processing: pyld spends about 0.2 ms on each.
MAX_JSONLD_VALUES: Final = 2000

#: The media types an ActivityPub POST (inbox, C2S outbox) may carry; parameters
#: such as ``profile`` and ``charset`` are allowed, as Mastodon allows them.
ACTIVITY_MEDIA_TYPES: Final = frozenset(
    {"application/activity+json", "application/ld+json", "application/json"}
)


class BodyTooLargeError(FederationError):
    status = 413


class UnsupportedMediaTypeError(FederationError):
    status = 415


def require_activity_media_type(content_type: str | None) -> None:
    """415 unless ``content_type`` is one an ActivityPub POST may carry."""
    if not content_type or not content_type.strip():
        raise UnsupportedMediaTypeError("Content-Type is required: send application/activity+json")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in ACTIVITY_MEDIA_TYPES:
        raise UnsupportedMediaTypeError(
            f"unsupported Content-Type {media_type[:100]!r}: send application/activity+json"
        )


async def read_limited(
    headers: Mapping[str, str], stream: AsyncIterator[bytes], limit: int
) -> bytes:
    """Read a request body of at most ``limit`` bytes, refusing early when possible."""
    declared = headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BodyTooLargeError(f"body exceeds the limit of {limit} bytes")
        except ValueError:
            raise FederationError("invalid Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
