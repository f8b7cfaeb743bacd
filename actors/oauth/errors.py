"""One exception for every OAuth refusal, carrying its RFC 6749 error code.

``error`` is the registered code (``invalid_grant``, ``invalid_client``, ...),
``description`` a safe sentence for the client, ``status`` the HTTP status the
token endpoint answers with (400, or 401 for a client that failed to
authenticate, as RFC 6749 §5.2 says).
"""

from __future__ import annotations


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client() -> OAuthError:
    # Doorkeeper's wording, which Mastodon clients show verbatim.
    return OAuthError(
        "invalid_client",
        "Client authentication failed due to unknown client, no client authentication "
        "included, or unsupported authentication method.",
        401,
    )


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_scope(description: str) -> OAuthError:
    return OAuthError("invalid_scope", description)
