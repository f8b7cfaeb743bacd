"""Checking a person's name (or email) and password for the login form.

argon2 verification is deliberately slow (tens of milliseconds of CPU), so it
runs in a worker thread rather than stalling every other request on the event
loop; an unknown name still costs one verification, so response time does not
reveal which names exist.
"""

from __future__ import annotations

import asyncio
from functools import cache

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.local import account_by_name
from actors.passwords import hash_password, verify_password
from storage.models import Account

MAX_LOGIN = 320
MAX_PASSWORD = 1024


@cache
def _decoy_hash() -> str:
    return hash_password("not-a-password-anyone-has")


async def _find(session: AsyncSession, login: str, domain: str) -> Account | None:
    name = login.removeprefix("@")
    if "@" not in name:
        found = await account_by_name(session, name)
        return None if found is None else found[0]
    by_email = (
        await session.exec(select(Account).where(func.lower(col(Account.email)) == name.lower()))
    ).first()
    if by_email is not None:
        return by_email
    local, _, host = name.rpartition("@")
    if host.lower() == domain.lower() and local:
        found = await account_by_name(session, local)
        return None if found is None else found[0]
    return None


async def authenticate(
    session: AsyncSession, login: str, password: str, *, domain: str
) -> Account | None:
    """The enabled account ``login`` names, if ``password`` is its password."""
    login = login.strip()
    if not login or not password or len(login) > MAX_LOGIN or len(password) > MAX_PASSWORD:
        return None
    account = await _find(session, login, domain)
    stored = account.password_hash if account is not None else await asyncio.to_thread(_decoy_hash)
    ok = await asyncio.to_thread(verify_password, stored, password)
    if account is None or not ok or account.disabled:
        return None
    return account
