"""One exception tree for the wire layer.

Each error carries a public ``reason`` that is safe to show a remote server (it
goes into the body of a 4xx), and an HTTP ``status`` the route renders. Internal
detail belongs in the log, never in ``reason``.
"""

from __future__ import annotations


class FederationError(Exception):
    """Base of every error the wire layer raises on purpose."""

    status: int = 400

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if status is not None:
            self.status = status


class SignatureError(FederationError):
    """A request's HTTP signature (or its digest) is missing, malformed or wrong."""

    status = 401


class KeyNotFoundError(SignatureError):
    """The signing key could not be fetched or does not parse."""


class JsonLdError(FederationError):
    """A JSON-LD document cannot be normalized (e.g. an unknown remote context)."""

    status = 400


class FetchError(FederationError):
    """An outgoing request failed: timeout, bad status, too large, wrong type."""

    status = 502


class UnsafeURLError(FetchError):
    """The SSRF guard refused a URL before any connection was made."""

    status = 400


class HostRefusedError(FetchError):
    """The node's federation policy refuses this host (see ``SafeClient.set_host_gate``)."""
