"""OAuth 2 endpoints for Mastodon apps: registration, tokens, revocation, metadata.

The authorization endpoint itself (``/oauth/authorize``, a page for people)
is in ``web.oauth``; both build on ``actors.oauth``.
"""

from api.oauth import apps, metadata, token

routes = [*apps.routes, *token.routes, *metadata.routes]

__all__ = ["routes"]
