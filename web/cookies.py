"""Signed cookies for the login session and CSRF protection.

Both are HMAC-SHA256 under keys derived from the node's secret key, one key
per purpose, so a value signed for one use is worthless for another.

*Session*: ``account_id.issued_at.key.signature``, where the signature also
covers a digest of the account's password hash, so changing the password ends
every session; ``key`` names a row of ``web_sessions`` (``actors.web_sessions``)
that must still exist, so a person can end one session from the settings.
The cookie has no ``Max-Age`` (it dies with the browser: schools share
computers) and is refused server-side after :data:`SESSION_LIFETIME` anyway.

*CSRF*: the cookie holds a signed random nonce; each form carries a token
derived from that nonce with a second key. A cross-site page can neither read
the cookie nor compute the token, so it cannot forge a form post; a missing
or mismatched token is refused with 403.

Cookies are ``HttpOnly``, ``SameSite=Lax``, for the whole site (the OAuth
pages and the web pages share one session, the same account as the API) and
``Secure`` whenever the node is served over https. The visitor's language
cookie is a plain choice (one of our language codes), checked when read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from actors import web_sessions
from actors.config import NodeConfig
from storage.models import Account

SESSION_COOKIE = "staffroom_session"
CSRF_COOKIE = "staffroom_csrf"
COOKIE_PATH = "/"
LANGUAGE_COOKIE = "staffroom_language"
SESSION_LIFETIME = timedelta(hours=12)


def _key(config: NodeConfig, purpose: str) -> bytes:
    if len(config.secret_key) < 32:
        raise RuntimeError("the node's secret key is not configured")
    return hmac.new(config.secret_key.encode(), f"staffroom/{purpose}".encode(), "sha256").digest()


def _mac(config: NodeConfig, purpose: str, message: str) -> str:
    digest = hmac.new(_key(config, purpose), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _password_digest(account: Account) -> str:
    return hashlib.sha256(account.password_hash.encode()).hexdigest()


def set_cookie(
    response: Response,
    config: NodeConfig,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=config.scheme == "https",
    )


def clear_cookie(response: Response, config: NodeConfig, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, httponly=True, samesite="lax", secure=config.scheme == "https"
    )


def session_value(
    config: NodeConfig, account: Account, key: str, *, now: float | None = None
) -> str:
    """The cookie for a session of ``account`` whose row ``key`` names."""
    issued = int(time.time() if now is None else now)
    payload = f"{account.id}.{issued}.{key}"
    mac = _mac(config, "session", f"{payload}.{_password_digest(account)}")
    return f"{payload}.{mac}"


async def session_account(
    session: AsyncSession, config: NodeConfig, cookie: str | None, *, now: float | None = None
) -> Account | None:
    """The enabled account a session cookie names, if the cookie is genuine and fresh."""
    key = session_key(cookie)
    if cookie is None or key is None:
        return None
    parts = cookie.split(".")
    account_id, issued, mac = int(parts[0]), int(parts[1]), parts[3]
    current = time.time() if now is None else now
    if not 0 <= current - issued <= SESSION_LIFETIME.total_seconds():
        return None
    account = await session.get(Account, account_id)
    if account is None or account.disabled:
        return None
    payload = f"{account_id}.{issued}.{key}.{_password_digest(account)}"
    if not hmac.compare_digest(_mac(config, "session", payload), mac):
        return None
    return account if await web_sessions.alive(session, account_id, key) else None


def session_key(cookie: str | None) -> str | None:
    """The session row's key a cookie carries (not yet checked: see :func:`session_account`)."""
    if not cookie or len(cookie) > 200:
        return None
    parts = cookie.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
        return None
    return parts[2]


def csrf_cookie(config: NodeConfig, current: str | None) -> str:
    """The CSRF cookie to keep using: ``current`` if genuine, else a new one."""
    if current is not None and _csrf_nonce(config, current) is not None:
        return current
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_mac(config, 'csrf-cookie', nonce)}"


def _csrf_nonce(config: NodeConfig, cookie: str) -> str | None:
    nonce, _, mac = cookie.partition(".")
    if not nonce or len(cookie) > 200:
        return None
    return nonce if hmac.compare_digest(_mac(config, "csrf-cookie", nonce), mac) else None


def csrf_token(config: NodeConfig, cookie: str) -> str:
    """The form token matching a (genuine) CSRF cookie."""
    nonce = _csrf_nonce(config, cookie)
    assert nonce is not None, "csrf_token needs a cookie from csrf_cookie()"
    return _mac(config, "csrf-form", nonce)


def csrf_valid(config: NodeConfig, cookie: str | None, token: str | None) -> bool:
    if not cookie or not token:
        return False
    nonce = _csrf_nonce(config, cookie)
    if nonce is None:
        return False
    return hmac.compare_digest(_mac(config, "csrf-form", nonce), token)
