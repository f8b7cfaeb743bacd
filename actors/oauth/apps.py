"""Registering client apps and authenticating them at the token endpoint.

Anyone may register an app (Mastodon's ``POST /api/v1/apps`` is open), so the
checks here are about safety, not trust: redirect URIs must be absolute,
carry no fragment and use no scheme a browser would run (``javascript:``);
custom schemes such as ``com.example.app://callback`` are what native apps
register and are fine. The client secret is returned once and kept hashed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.oauth import scopes as scope_rules
from actors.tokens import hash_token
from storage.models import OAuthApp

OOB = "urn:ietf:wg:oauth:2.0:oob"
MAX_NAME = 60
MAX_URI = 2000
MAX_REDIRECT_URIS = 20
_FORBIDDEN_SCHEMES = {"javascript", "data", "vbscript", "file", "blob", "about"}


class AppValidationError(ValueError):
    """A registration the API refuses with 422; the message is safe to show."""


@dataclass(frozen=True)
class NewApp:
    app: OAuthApp
    client_secret: str  # in the clear, for the registration response only


def _check_redirect_uri(uri: str) -> None:
    if uri == OOB:
        return
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not scheme or scheme in _FORBIDDEN_SCHEMES:
        raise AppValidationError(f"Redirect URI must be an absolute URI: {uri!r}")
    if parts.fragment or "#" in uri:
        raise AppValidationError(f"Redirect URI cannot contain a fragment: {uri!r}")
    if scheme in {"http", "https"} and not parts.hostname:
        raise AppValidationError(f"Redirect URI must name a host: {uri!r}")
    if any(ch.isspace() for ch in uri):
        raise AppValidationError(f"Redirect URI cannot contain spaces: {uri!r}")


def _check_website(website: str) -> None:
    parts = urlsplit(website)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise AppValidationError("Website must be an http(s) URL")
    if len(website) > MAX_URI:
        raise AppValidationError("Website is too long")


def validate_registration(
    name: str, redirect_uris: Sequence[str], scopes: str | None, website: str | None
) -> tuple[str, list[str], str, str | None]:
    """Normalize and check a registration; raise :class:`AppValidationError`."""
    name = name.strip()
    if not name:
        raise AppValidationError("Application name can't be blank")
    if len(name) > MAX_NAME:
        raise AppValidationError(f"Application name is too long (maximum is {MAX_NAME})")
    uris = list(dict.fromkeys(u.strip() for u in redirect_uris if u.strip()))
    if not uris:
        raise AppValidationError("Redirect URI can't be blank")
    if len(uris) > MAX_REDIRECT_URIS:
        raise AppValidationError(f"Too many redirect URIs (maximum is {MAX_REDIRECT_URIS})")
    for uri in uris:
        if len(uri) > MAX_URI:
            raise AppValidationError("Redirect URI is too long")
        _check_redirect_uri(uri)
    try:
        parsed = scope_rules.join(scope_rules.parse(scopes))
    except scope_rules.ScopeError as exc:
        raise AppValidationError(f"Scopes are invalid: {exc}") from None
    site = (website or "").strip() or None
    if site is not None:
        _check_website(site)
    return name, uris, parsed, site


async def register_app(
    session: AsyncSession,
    *,
    name: str,
    redirect_uris: Sequence[str],
    scopes: str | None = None,
    website: str | None = None,
) -> NewApp:
    name, uris, parsed, site = validate_registration(name, redirect_uris, scopes, website)
    secret = secrets.token_urlsafe(32)
    app = OAuthApp(
        client_id=secrets.token_urlsafe(32),
        client_secret_hash=hash_token(secret),
        name=name,
        website=site,
        redirect_uris=uris,
        scopes=parsed,
    )
    session.add(app)
    await session.flush()
    return NewApp(app, secret)


async def app_by_client_id(session: AsyncSession, client_id: str | None) -> OAuthApp | None:
    if not client_id or len(client_id) > 64:
        return None
    return (await session.exec(select(OAuthApp).where(OAuthApp.client_id == client_id))).first()


async def app_by_id(session: AsyncSession, app_id: int) -> OAuthApp | None:
    return await session.get(OAuthApp, app_id)


async def authenticate_client(
    session: AsyncSession, client_id: str | None, client_secret: str | None
) -> OAuthApp | None:
    """The app whose id and secret these are, compared in constant time; else None."""
    app = await app_by_client_id(session, client_id)
    if app is None or not client_secret:
        return None
    if not hmac.compare_digest(hash_token(client_secret), app.client_secret_hash):
        return None
    return app
