"""``api.auth`` on a tiny Starlette app, over both databases.

Routes guarded the way API routes will be; tokens made through the real
OAuth domain functions. Proves the 401/403/422 answers and their exact
Mastodon bodies, the scope hierarchy, app-only tokens, the ``access_token``
query parameter, and that revoked, expired and disabled are all refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from actors.config import NodeConfig
from actors.local import create_person
from actors.oauth import grants
from actors.oauth.apps import register_app
from api.auth import optional_scope, require_scope, require_user
from api.errors import EXCEPTION_HANDLERS
from storage.engine import SessionMaker
from storage.models import AccessToken, Account, Role
from storage.types import utcnow

CONFIG = NodeConfig(
    domain="school.example",
    scheme="https",
    node_name="Staffroom",
    node_description="",
    open_registrations=False,
    allow_http=False,
    allow_private_addresses=False,
    max_inbox_bytes=1 << 20,
    software_version="test",
    secret_key="k" * 40,
)


async def statuses(request: Request) -> JSONResponse:
    principal = await require_scope(request, "read:statuses")
    return JSONResponse({"scopes": sorted(principal.scopes), "app": principal.app_id})


async def me(request: Request) -> JSONResponse:
    user = await require_user(request, "profile", "read:accounts")
    return JSONResponse({"account": user.account.id, "username": user.actor.username})


async def follows(request: Request) -> JSONResponse:
    await require_user(request, "write:follows")
    return JSONResponse({})


async def public(request: Request) -> JSONResponse:
    principal = await optional_scope(request, "read:statuses")
    return JSONResponse({"anonymous": principal is None})


@dataclass
class World:
    client: httpx.AsyncClient
    sessions: SessionMaker
    account: Account
    app_only: str
    tokens: dict[str, str]


@pytest.fixture
async def world(sessions: SessionMaker) -> AsyncIterator[World]:
    async with sessions() as session:
        account, _actor = await create_person(
            session, CONFIG, "alice", role=Role.TEACHER, password="correct horse battery"
        )
        new = await register_app(
            session,
            name="Test app",
            redirect_uris=["urn:ietf:wg:oauth:2.0:oob"],
            scopes="read write follow profile",
        )
        tokens = {}
        for scopes in ("read", "write", "follow", "profile", "read:statuses"):
            issued = await grants.issue_token(session, app=new.app, account=account, scopes=scopes)
            tokens[scopes] = issued.access_token
        app_only = await grants.client_credentials(session, new.app, "read")
        await session.commit()
    app = Starlette(
        routes=[
            Route("/statuses", statuses),
            Route("/me", me),
            Route("/follows", follows),
            Route("/public", public),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.node = SimpleNamespace(sessions=sessions, config=CONFIG)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield World(client, sessions, account, app_only.access_token, tokens)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_missing_and_unknown_tokens_are_401(world: World) -> None:
    for headers in ({}, auth("nope"), {"Authorization": "Basic abc"}):
        response = await world.client.get("/statuses", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "The access token is invalid"}
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")


@pytest.mark.parametrize(
    ("token", "path", "status"),
    [
        ("read", "/statuses", 200),  # read covers read:statuses
        ("read:statuses", "/statuses", 200),
        ("write", "/statuses", 403),
        ("follow", "/statuses", 403),
        ("follow", "/follows", 200),  # follow covers write:follows
        ("write", "/follows", 200),
        ("read", "/follows", 403),
        ("profile", "/me", 200),
        ("read", "/me", 200),  # via read:accounts
        ("profile", "/statuses", 403),  # profile is verify_credentials only
        ("read:statuses", "/me", 403),
    ],
)
async def test_scope_hierarchy(world: World, token: str, path: str, status: int) -> None:
    response = await world.client.get(path, headers=auth(world.tokens[token]))
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json() == {"error": "This action is outside the authorized scopes"}
        assert "insufficient_scope" in response.headers["WWW-Authenticate"]


async def test_the_current_user_is_at_hand(world: World) -> None:
    response = await world.client.get("/me", headers=auth(world.tokens["profile"]))
    assert response.json() == {"account": world.account.id, "username": "alice"}


async def test_app_only_tokens_act_for_no_one(world: World) -> None:
    ok = await world.client.get("/statuses", headers=auth(world.app_only))
    assert ok.status_code == 200
    assert ok.json()["app"] is not None
    refused = await world.client.get("/me", headers=auth(world.app_only))
    assert refused.status_code == 422
    assert refused.json() == {"error": "This method requires an authenticated user"}


async def test_access_token_query_parameter(world: World) -> None:
    response = await world.client.get(f"/statuses?access_token={world.tokens['read']}")
    assert response.status_code == 200


async def test_optional_scope(world: World) -> None:
    anonymous = await world.client.get("/public")
    assert anonymous.json() == {"anonymous": True}
    signed = await world.client.get("/public", headers=auth(world.tokens["read"]))
    assert signed.json() == {"anonymous": False}
    assert (await world.client.get("/public", headers=auth("bad"))).status_code == 401
    assert (
        await world.client.get("/public", headers=auth(world.tokens["write"]))
    ).status_code == 403


async def _set_all_tokens(world: World, **values: object) -> None:
    async with world.sessions() as session:
        rows = (await session.exec(select(AccessToken))).all()
        for row in rows:
            for key, value in values.items():
                setattr(row, key, value)
            session.add(row)
        await session.commit()


@pytest.mark.parametrize(
    "change",
    [{"revoked_at": utcnow()}, {"expires_at": utcnow() - timedelta(seconds=1)}],
    ids=["revoked", "expired"],
)
async def test_revoked_and_expired_tokens_are_401(world: World, change: dict) -> None:
    await _set_all_tokens(world, **change)
    response = await world.client.get("/statuses", headers=auth(world.tokens["read"]))
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


async def test_a_disabled_login_is_403(world: World) -> None:
    async with world.sessions() as session:
        account = await session.get(Account, world.account.id)
        assert account is not None
        account.disabled = True
        session.add(account)
        await session.commit()
    response = await world.client.get("/statuses", headers=auth(world.tokens["read"]))
    assert response.status_code == 403
    assert response.json() == {"error": "Your login is currently disabled"}


async def test_using_a_token_marks_the_account_active(world: World) -> None:
    await world.client.get("/me", headers=auth(world.tokens["profile"]))
    async with world.sessions() as session:
        account = await session.get(Account, world.account.id)
        assert account is not None and account.last_active_at is not None
