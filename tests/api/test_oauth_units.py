"""The pure parts of OAuth: scopes, PKCE, the rate limiter, signed cookies, params."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from actors.config import NodeConfig
from actors.oauth import scopes
from actors.oauth.apps import AppValidationError, validate_registration
from actors.oauth.codes import pkce_matches
from actors.ratelimit import Rate, TokenBucket
from actors.web_sessions import key_id
from api.errors import EXCEPTION_HANDLERS
from api.params import read_params
from storage.models import Account, WebSession
from tests.support.oauth import pkce_pair
from web import cookies
from web.oauth import with_query

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
    secret_key="s" * 48,
)


# --- scopes ---


def test_scope_parsing() -> None:
    assert scopes.parse(None) == ("read",)
    assert scopes.parse("") == ("read",)
    assert scopes.parse("read write read") == ("read", "write")
    assert scopes.parse("read+write:media") == ("read", "write:media")
    assert scopes.parse("read,follow") == ("read", "follow")
    with pytest.raises(scopes.ScopeError, match="read:everything"):
        scopes.parse("read read:everything")


def test_scope_hierarchy() -> None:
    assert scopes.covers({"read"}, "read:statuses")
    assert scopes.covers({"write"}, "write:media")
    assert not scopes.covers({"read"}, "write:media")
    assert not scopes.covers({"read"}, "profile")
    assert scopes.covers({"follow"}, "read:follows")
    assert scopes.covers({"follow"}, "write:blocks")
    assert not scopes.covers({"follow"}, "read:statuses")
    assert scopes.covers({"admin:read"}, "admin:read:reports")
    assert not scopes.covers({"admin:read"}, "admin:write:reports")
    assert not scopes.covers({"read:statuses"}, "read")
    assert scopes.within(["read:statuses", "write:media"], ["read", "write"])
    assert not scopes.within(["read", "write"], ["read"])
    assert all(scopes.describe(scope) for scope in scopes.ALL)


# --- PKCE (RFC 7636 appendix B's example) ---


def test_pkce_s256_matches_the_rfc_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce_matches(verifier, challenge, "S256")
    assert not pkce_matches(verifier, challenge, "plain")
    assert pkce_matches(verifier, verifier, "plain")
    assert not pkce_matches("short", "short", "plain")
    verifier, challenge = pkce_pair()
    assert pkce_matches(verifier, challenge, "S256")


# --- app registration rules ---


@pytest.mark.parametrize(
    "uri",
    [
        "urn:ietf:wg:oauth:2.0:oob",
        "https://app.example/callback?x=1",
        "http://localhost:4000/cb",
        "com.example.app://callback",
        "myapp:/oauth",
    ],
)
def test_acceptable_redirect_uris(uri: str) -> None:
    assert validate_registration("App", [uri], None, None)[1] == [uri]


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "https://app.example/cb#x",
        "/relative",
        "https:///nohost",
        "https://a b.example/",
    ],
)
def test_refused_redirect_uris(uri: str) -> None:
    with pytest.raises(AppValidationError):
        validate_registration("App", [uri], None, None)


def test_redirect_uris_keep_any_scheme_when_building_the_answer() -> None:
    assert with_query("com.example.app://cb", {"code": "a b"}) == "com.example.app://cb?code=a+b"
    assert (
        with_query("https://x.example/cb?k=1", {"code": "c"}) == "https://x.example/cb?k=1&code=c"
    )


# --- the token bucket, on a fake clock ---


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_refills() -> None:
    clock = Clock()
    bucket = TokenBucket(Rate(3, 30.0), clock=clock)
    decisions = [bucket.hit("10.0.0.1") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    refused = decisions[-1]
    assert refused.headers()["Retry-After"] == "10"
    assert refused.headers()["X-RateLimit-Limit"] == "3"
    assert refused.headers()["X-RateLimit-Reset"].endswith("Z")
    assert bucket.hit("10.0.0.2").allowed  # another client has its own bucket
    clock.now += 10
    assert bucket.hit("10.0.0.1").allowed
    assert not bucket.hit("10.0.0.1").allowed
    clock.now += 300
    assert bucket.hit("10.0.0.1").remaining == 2


def test_token_bucket_forgets_idle_clients() -> None:
    clock = Clock()
    bucket = TokenBucket(Rate(2, 10.0), clock=clock, max_keys=100)
    for n in range(150):
        bucket.hit(f"10.0.{n // 256}.{n % 256}")
        clock.now += 1
    assert len(bucket._buckets) <= 100


# --- signed cookies ---


def account(account_id: int = 7, digest: str = "$argon2id$v=19$x") -> Account:
    return Account(id=account_id, actor_id=1, password_hash=digest)


class OneAccount:
    """Enough of a session for ``session_account``: our account and its one session row."""

    def __init__(self, found: Account | None, live_key: str | None = "k1") -> None:
        self.found = found
        self.live_key = live_key

    async def get(self, model: object, key: object) -> object:
        if model is WebSession:
            if self.found is None or self.live_key is None or key != key_id(self.live_key):
                return None
            return WebSession(id=str(key), account_id=self.found.id or 0)
        return self.found


async def test_session_cookie_round_trip_and_tampering() -> None:
    alice = account()
    value = cookies.session_value(CONFIG, alice, "k1", now=1000)
    assert await cookies.session_account(OneAccount(alice), CONFIG, value, now=1001) is alice  # type: ignore[arg-type]
    account_id, issued, key, mac = value.split(".")
    for forged in (
        f"8.{issued}.{key}.{mac}",
        f"{account_id}.{int(issued) + 1}.{key}.{mac}",
        f"{account_id}.{issued}.k2.{mac}",
        f"{account_id}.{issued}.{mac}",
        value + "x",
        "",
    ):
        assert await cookies.session_account(OneAccount(alice), CONFIG, forged, now=1001) is None  # type: ignore[arg-type]
    # An ended session (its row deleted) is refused, however genuine the cookie.
    assert await cookies.session_account(OneAccount(alice, None), CONFIG, value, now=1001) is None  # type: ignore[arg-type]
    late = 1000 + cookies.SESSION_LIFETIME.total_seconds() + 1
    assert await cookies.session_account(OneAccount(alice), CONFIG, value, now=late) is None  # type: ignore[arg-type]
    # A new password ends every session.
    changed = account(digest="$argon2id$v=19$other")
    assert await cookies.session_account(OneAccount(changed), CONFIG, value, now=1001) is None  # type: ignore[arg-type]
    # So does another node's key.
    other = NodeConfig(**{**CONFIG.__dict__, "secret_key": "t" * 48})
    assert await cookies.session_account(OneAccount(alice), other, value, now=1001) is None  # type: ignore[arg-type]


def test_csrf_tokens_belong_to_their_cookie() -> None:
    cookie = cookies.csrf_cookie(CONFIG, None)
    assert cookies.csrf_cookie(CONFIG, cookie) == cookie  # kept while genuine
    token = cookies.csrf_token(CONFIG, cookie)
    assert cookies.csrf_valid(CONFIG, cookie, token)
    other = cookies.csrf_cookie(CONFIG, None)
    assert not cookies.csrf_valid(CONFIG, other, token)
    assert not cookies.csrf_valid(CONFIG, cookie, None)
    assert not cookies.csrf_valid(CONFIG, None, token)
    nonce = cookie.split(".")[0]
    assert not cookies.csrf_valid(CONFIG, f"{nonce}.forged", token)
    assert cookies.csrf_cookie(CONFIG, f"{nonce}.forged") != f"{nonce}.forged"


def test_cookies_need_a_secret_key() -> None:
    keyless = NodeConfig(**{**CONFIG.__dict__, "secret_key": ""})
    with pytest.raises(RuntimeError):
        cookies.csrf_cookie(keyless, None)


# --- parameters however clients send them ---


async def echo(request: Request) -> JSONResponse:
    params = await read_params(request)
    return JSONResponse(
        {
            "name": params.get("name"),
            "uris": params.get_list("uris"),
            "options": params.get_list("poll[options]"),
            "flag": params.get_bool("flag"),
        }
    )


@pytest.fixture
async def client():
    app = Starlette(
        routes=[Route("/echo", echo, methods=["POST"])], exception_handlers=EXCEPTION_HANDLERS
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_params_from_form_json_multipart_and_query(client: httpx.AsyncClient) -> None:
    expected = {"name": "x", "uris": ["a", "b"], "options": ["1", "2"], "flag": True}
    form = await client.post(
        "/echo?name=ignored",
        content="name=x&uris[]=a&uris[]=b&poll[options][]=1&poll[options][]=2&flag=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.json() == expected
    as_json = await client.post(
        "/echo", json={"name": "x", "uris": ["a", "b"], "poll": {"options": [1, 2]}, "flag": True}
    )
    assert as_json.json() == expected
    multipart = await client.post(
        "/echo",
        files=[
            ("name", (None, "x")),
            ("uris", (None, "a")),
            ("uris", (None, "b")),
            ("poll[options][]", (None, "1")),
            ("poll[options][]", (None, "2")),
            ("flag", (None, "true")),
        ],
    )
    assert multipart.json() == expected
    query = await client.post("/echo?name=x&flag=0")
    assert query.json()["name"] == "x"
    assert query.json()["flag"] is False


async def test_bad_bodies_are_json_errors(client: httpx.AsyncClient) -> None:
    broken = await client.post("/echo", content="{", headers={"Content-Type": "application/json"})
    assert (broken.status_code, broken.json()) == (400, {"error": "Request body is not valid JSON"})
    not_bool = await client.post("/echo", data={"flag": "maybe"})
    assert not_bool.status_code == 422
    huge = await client.post("/echo", data={"name": "x" * (2 << 20)})
    assert (huge.status_code, huge.json()) == (413, {"error": "Request entity too large"})
