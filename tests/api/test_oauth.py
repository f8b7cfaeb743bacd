"""OAuth 2 against a running node over HTTP, on both databases.

The happy paths the apps take (Mastodon.py out of band, a native app's custom
scheme with ``state``, PKCE, client credentials, refresh, revocation) and the
attacks each step must refuse: unregistered redirect URIs, replayed and
expired codes, PKCE mismatches, wrong secrets, scope escalation, the password
grant, forged form posts and bad passwords.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from mastodon import Mastodon, MastodonUnauthorizedError
from sqlalchemy import update
from sqlmodel import col

from storage.models import OAuthCode
from storage.types import utcnow
from tests.support.node import Node
from tests.support.oauth import (
    OOB,
    PASSWORD,
    Browser,
    Page,
    authorize,
    authorize_url,
    exchange,
    pkce_pair,
    register_app,
    token_request,
)

NATIVE = "com.example.staffroom://oauth-callback"
SCOPES = ["read", "write", "follow"]


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("oauth"), module_db_kind, workers=False)
    # Every test here comes from 127.0.0.1: keep the per-IP limits out of the way
    # (test_oauth_ratelimit.py proves them on a node of its own).
    node.env["STAFFROOM_LOGIN_RATE_LIMIT"] = "1000"
    node.env["STAFFROOM_APP_REGISTRATION_RATE_LIMIT"] = "1000"
    node.migrate()
    for name in ("alice", "bob"):
        node.create_user(name)
    node.start()
    yield node
    node.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def app_credentials(node: Node, token: str) -> httpx.Response:
    return httpx.get(
        f"{node.base_url}/api/v1/apps/verify_credentials", headers=bearer(token), timeout=10
    )


def redirect_query(response: httpx.Response) -> dict[str, str]:
    """The query of the ``Location`` a response redirects to."""
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def user_token(node: Node, app: dict[str, Any], user: str = "alice") -> dict[str, Any]:
    code = authorize(node, authorize_url(node, app), user).code
    response = exchange(node, app, code)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- registration and discovery -------------------------------------------------


def test_registration_returns_the_application_entity(node: Node) -> None:
    response = httpx.post(
        f"{node.base_url}/api/v1/apps",
        data={
            "client_name": "Tusky",
            "redirect_uris": f"{OOB}\n{NATIVE}",
            "scopes": "read write push",
            "website": "https://tusky.app",
        },
    )
    assert response.status_code == 200, response.text
    app = response.json()
    assert isinstance(app["id"], str)
    assert app["name"] == "Tusky"
    assert app["website"] == "https://tusky.app"
    assert app["scopes"] == ["read", "write", "push"]
    assert app["redirect_uris"] == [OOB, NATIVE]
    assert app["redirect_uri"] == f"{OOB}\n{NATIVE}"
    assert app["vapid_key"] == ""
    assert app["client_id"] and app["client_secret"]
    assert response.headers["X-RateLimit-Limit"] == "1000"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("encoding", ["json", "multipart", "array-form"])
def test_registration_accepts_how_clients_send_it(node: Node, encoding: str) -> None:
    url = f"{node.base_url}/api/v1/apps"
    if encoding == "json":
        response = httpx.post(
            url, json={"client_name": "Elk", "redirect_uris": [NATIVE, OOB], "scopes": "read"}
        )
    elif encoding == "multipart":
        response = httpx.post(
            url,
            data={"client_name": "Ivory", "redirect_uris": NATIVE},
            files={"website": (None, "https://ivory.example")},
        )
    else:
        response = httpx.post(
            url,
            content=f"client_name=Phanpy&redirect_uris[]={NATIVE}&redirect_uris[]={OOB}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200, response.text
    assert NATIVE in response.json()["redirect_uris"]
    assert response.json()["scopes"] == ["read"]  # the default, or as asked


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"redirect_uris": OOB}, "name"),
        ({"client_name": "x"}, "Redirect URI"),
        ({"client_name": "x", "redirect_uris": "javascript:alert(1)"}, "absolute"),
        ({"client_name": "x", "redirect_uris": "https://app.example/cb#frag"}, "fragment"),
        ({"client_name": "x", "redirect_uris": "/relative"}, "absolute"),
        ({"client_name": "x", "redirect_uris": OOB, "scopes": "read everything"}, "Scopes"),
        ({"client_name": "x", "redirect_uris": OOB, "website": "ftp://x"}, "Website"),
    ],
)
def test_registration_refuses_invalid_apps(node: Node, fields: dict, message: str) -> None:
    response = httpx.post(f"{node.base_url}/api/v1/apps", data=fields)
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed: ")
    assert message in response.json()["error"]


def test_authorization_server_metadata(node: Node) -> None:
    meta = httpx.get(f"{node.base_url}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == f"{node.base_url}/"
    assert meta["authorization_endpoint"] == f"{node.base_url}/oauth/authorize"
    assert meta["token_endpoint"] == f"{node.base_url}/oauth/token"
    assert meta["revocation_endpoint"] == f"{node.base_url}/oauth/revoke"
    assert meta["app_registration_endpoint"] == f"{node.base_url}/api/v1/apps"
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256", "plain"]
    assert "password" not in meta["grant_types_supported"]
    assert {"authorization_code", "client_credentials", "refresh_token"} <= set(
        meta["grant_types_supported"]
    )
    assert {"read", "write", "follow", "push", "profile", "read:statuses"} <= set(
        meta["scopes_supported"]
    )
    assert meta["token_endpoint_auth_methods_supported"]


# --- the flows real clients use ----------------------------------------------------


def test_mastodon_py_logs_in_through_the_login_form(node: Node) -> None:
    client_id, client_secret = Mastodon.create_app(
        "Mastodon.py tests", scopes=SCOPES, redirect_uris=OOB, api_base_url=node.base_url
    )
    # Until /api/v1/instance exists, name a version: Mastodon.py's own detection
    # recurses without end when the instance endpoint is missing.
    api = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=node.base_url,
        version_check_mode="none",
        mastodon_version="4.3.0",
    )
    url = api.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    assert url.startswith(f"{node.base_url}/oauth/authorize?")
    code = authorize(node, url, "alice").code
    token = api.log_in(code=code, redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    assert token
    assert api.app_verify_credentials()["name"] == "Mastodon.py tests"

    api.revoke_access_token(allow_http=True)
    revoked = Mastodon(
        access_token=token,
        api_base_url=node.base_url,
        version_check_mode="none",
        mastodon_version="4.3.0",
    )
    with pytest.raises(MastodonUnauthorizedError):
        revoked.app_verify_credentials()


def test_native_app_gets_its_code_at_its_custom_scheme(node: Node) -> None:
    app = register_app(node, redirect_uris=NATIVE, scopes="read write")
    url = authorize_url(node, app, scope="read", state="st4te/+=")
    outcome = authorize(node, url, "alice")
    assert outcome.response.status_code == 302
    assert outcome.location.startswith(f"{NATIVE}?")
    assert outcome.query["state"] == "st4te/+="
    response = exchange(node, app, outcome.code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read"
    assert isinstance(body["created_at"], int)
    assert body["refresh_token"]
    assert response.headers["Cache-Control"] == "no-store"
    assert app_credentials(node, body["access_token"]).json()["name"] == "Staffroom tests"


def test_a_live_session_skips_the_login_form_and_force_login_does_not(node: Node) -> None:
    app = register_app(node)
    with Browser(node) as browser:
        browser.authorize(authorize_url(node, app), "alice")
        again = browser.get(authorize_url(node, app))
        assert "consent" in Page(again.text).forms
        assert f"@alice@{node.domain}" in again.text
        forced = browser.get(authorize_url(node, app, force_login="true"))
        assert "login" in Page(forced.text).forms
        # ... and logging in as someone else there authorizes as them.
        consent = browser.log_in(authorize_url(node, app, force_login="true"), "bob")
        assert f"@bob@{node.domain}" in consent.text
        assert "force_login" not in Page(consent.text).forms["consent"].fields


def test_denying_sends_access_denied_with_the_state(node: Node) -> None:
    app = register_app(node, redirect_uris=NATIVE)
    outcome = authorize(node, authorize_url(node, app, state="s1"), decision="deny")
    assert outcome.response.status_code == 302
    assert outcome.query == {
        "error": "access_denied",
        "error_description": outcome.query["error_description"],
        "state": "s1",
    }


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_pkce(node: Node, method: str) -> None:
    app = register_app(node, redirect_uris=NATIVE)
    verifier, challenge = pkce_pair()
    if method == "plain":
        challenge = verifier
    url = authorize_url(node, app, code_challenge=challenge, code_challenge_method=method)
    with Browser(node) as browser:
        code = browser.authorize(url, "alice").code
        assert exchange(node, app, code).json()["error"] == "invalid_grant"  # no verifier

        code = browser.authorize(url, "alice").code
        wrong = exchange(node, app, code, code_verifier=pkce_pair()[0])
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "invalid_grant"
        # A code presented with a wrong verifier is spent.
        spent = exchange(node, app, code, code_verifier=verifier)
        assert spent.json()["error"] == "invalid_grant"

        code = browser.authorize(url, "alice").code
        good = exchange(node, app, code, code_verifier=verifier)
        assert good.status_code == 200, good.text


def test_client_credentials_give_an_app_only_token(node: Node) -> None:
    app = register_app(node, scopes="read write")
    response = token_request(
        node,
        grant_type="client_credentials",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "read"
    assert "refresh_token" not in body
    assert app_credentials(node, body["access_token"]).json()["name"] == "Staffroom tests"


def test_http_basic_client_authentication(node: Node) -> None:
    app = register_app(node)
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    response = httpx.post(
        f"{node.base_url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "read"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text


def test_refresh_rotates_the_token_pair(node: Node) -> None:
    app = register_app(node)
    first = user_token(node, app)
    refresh = token_request(
        node,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        scope="read",
    )
    assert refresh.status_code == 200, refresh.text
    second = refresh.json()
    assert second["scope"] == "read"
    assert second["refresh_token"] != first["refresh_token"]
    assert app_credentials(node, second["access_token"]).status_code == 200
    assert app_credentials(node, first["access_token"]).status_code == 401
    replay = token_request(
        node,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    assert replay.json()["error"] == "invalid_grant"


def test_revocation(node: Node) -> None:
    app, other = register_app(node), register_app(node)
    token = user_token(node, app)["access_token"]
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}

    not_theirs = httpx.post(
        f"{node.base_url}/oauth/revoke",
        data={
            "token": token,
            "client_id": other["client_id"],
            "client_secret": other["client_secret"],
        },
    )
    assert not_theirs.status_code == 403
    assert not_theirs.json()["error"] == "unauthorized_client"
    assert app_credentials(node, token).status_code == 200

    unknown = httpx.post(f"{node.base_url}/oauth/revoke", data={"token": "nope", **creds})
    assert (unknown.status_code, unknown.json()) == (200, {})

    done = httpx.post(f"{node.base_url}/oauth/revoke", data={"token": token, **creds})
    assert (done.status_code, done.json()) == (200, {})
    refused = app_credentials(node, token)
    assert refused.status_code == 401
    assert refused.json() == {"error": "The access token is invalid"}
    assert "invalid_token" in refused.headers["WWW-Authenticate"]


# --- attacks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "https://evil.example/cb"},
        {"redirect_uri": NATIVE + "/extra"},
        {"redirect_uri": ""},
        {"client_id": "unknown"},
    ],
)
def test_unregistered_redirects_are_never_followed(node: Node, change: dict) -> None:
    app = register_app(node, redirect_uris=NATIVE)
    response = httpx.get(authorize_url(node, app, **change))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert Page(response.text).texts["error"]


def test_scope_escalation_is_refused_everywhere(node: Node) -> None:
    app = register_app(node, redirect_uris=NATIVE, scopes="read")
    escalate = httpx.get(authorize_url(node, app, scope="read write", state="z"))
    assert escalate.status_code == 302
    query = redirect_query(escalate)
    assert (query["error"], query["state"]) == ("invalid_scope", "z")

    granular = authorize(node, authorize_url(node, app, scope="read:statuses"), "alice")
    assert exchange(node, app, granular.code).json()["scope"] == "read:statuses"

    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    app_only = token_request(node, grant_type="client_credentials", scope="write", **creds)
    assert (app_only.status_code, app_only.json()["error"]) == (400, "invalid_scope")

    first = user_token(node, app)
    wider = token_request(
        node,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        scope="write",
        **creds,
    )
    assert wider.json()["error"] == "invalid_scope"


def test_malformed_pkce_and_response_type_go_back_to_the_app(node: Node) -> None:
    app = register_app(node, redirect_uris=NATIVE)
    bad_method = httpx.get(
        authorize_url(node, app, code_challenge="a" * 43, code_challenge_method="MD5")
    )
    assert redirect_query(bad_method)["error"] == "invalid_request"
    short = httpx.get(authorize_url(node, app, code_challenge="short"))
    assert redirect_query(short)["error"] == "invalid_request"
    implicit = httpx.get(authorize_url(node, app, response_type="token"))
    assert redirect_query(implicit)["error"] == "unsupported_response_type"


def test_a_replayed_code_fails_and_revokes_its_token(node: Node) -> None:
    app = register_app(node)
    code = authorize(node, authorize_url(node, app), "alice").code
    first = exchange(node, app, code)
    assert first.status_code == 200
    token = first.json()["access_token"]
    assert app_credentials(node, token).status_code == 200
    replay = exchange(node, app, code)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    assert app_credentials(node, token).status_code == 401


def test_an_expired_code_is_refused(node: Node) -> None:
    app = register_app(node)
    code = authorize(node, authorize_url(node, app), "alice").code

    async def age_codes(session: Any) -> None:
        await session.exec(
            update(OAuthCode)
            .where(col(OAuthCode.used_at).is_(None))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    node.with_session(age_codes)
    response = exchange(node, app, code)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert "expired" in response.json()["error_description"]


def test_codes_are_bound_to_their_client_and_redirect_uri(node: Node) -> None:
    app = register_app(node, redirect_uris=f"{OOB}\n{NATIVE}")
    other = register_app(node)
    code = authorize(node, authorize_url(node, app), "alice").code
    stolen = exchange(node, other, code)
    assert stolen.json()["error"] == "invalid_grant"
    moved = exchange(node, app, code, redirect_uri=NATIVE)
    assert moved.json()["error"] == "invalid_grant"
    assert exchange(node, app, code).status_code == 200  # neither attempt spent it


def test_wrong_client_secret(node: Node) -> None:
    app = register_app(node)
    code = authorize(node, authorize_url(node, app), "alice").code
    response = exchange(node, app, code, client_secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert exchange(node, app, code).status_code == 200


def test_client_secrets_are_not_taken_from_the_url(node: Node) -> None:
    app = register_app(node)
    query = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    response = httpx.post(
        f"{node.base_url}/oauth/token", params=query, data={"grant_type": "client_credentials"}
    )
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_the_password_grant_is_refused(node: Node) -> None:
    app = register_app(node)
    response = token_request(
        node,
        grant_type="password",
        username="alice",
        password=PASSWORD,
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")
    missing = token_request(node, client_id=app["client_id"], client_secret=app["client_secret"])
    assert missing.json()["error"] == "invalid_request"


def test_forms_without_a_valid_csrf_token_are_refused(node: Node) -> None:
    app = register_app(node)
    creds = {"username": "alice", "password": PASSWORD}
    with Browser(node) as browser, Browser(node) as stranger:
        page = browser.get(authorize_url(node, app))
        fields = Page(page.text).forms["login"].fields
        without = {k: v for k, v in fields.items() if k != "authenticity_token"}

        for token in ({}, {"authenticity_token": "forged"}):
            refused = browser.post("/oauth/authorize", without | token | creds)
            assert refused.status_code == 403
            assert "staffroom_session" not in refused.cookies

        # A token from another browser (another CSRF cookie) does not fit this one.
        stranger.get(authorize_url(node, app))
        assert stranger.post("/oauth/authorize", fields | creds).status_code == 403

        cross_site = browser.post(
            "/oauth/authorize", fields | creds, headers={"Origin": "https://evil.example"}
        )
        assert cross_site.status_code == 403

        consent = browser.log_in(authorize_url(node, app), "alice")
        form = Page(consent.text).forms["consent"].fields
        forged = {k: v for k, v in form.items() if k != "authenticity_token"}
        approve = browser.post("/oauth/authorize", forged | {"decision": "approve"})
        assert approve.status_code == 403
        assert "location" not in approve.headers


def test_a_bad_password_shows_the_form_again_without_a_code(node: Node) -> None:
    app = register_app(node, redirect_uris=NATIVE)
    with Browser(node) as browser:
        page = browser.get(authorize_url(node, app))
        for username in ("alice", "nobody"):
            response = browser.submit(page, "login", username=username, password="wrong password")
            assert response.status_code == 422
            parsed = Page(response.text)
            assert "Invalid username or password" in parsed.texts["login-error"]
            assert "login" in parsed.forms
            assert "location" not in response.headers
            assert "code=" not in response.text
            assert "staffroom_session" not in response.cookies


def test_unknown_api_paths_answer_json(node: Node) -> None:
    for path in ("/api/v1/nothing-here", "/api/v2/nothing/deeper", "/api/v1/apps/123/"):
        response = httpx.get(f"{node.base_url}{path}")
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    wrong_method = httpx.delete(f"{node.base_url}/api/v1/apps")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"error": "Method not allowed"}
    # A trailing slash on a known path is that path (no redirect, as in Mastodon).
    slashed = httpx.get(f"{node.base_url}/api/v1/apps/verify_credentials/")
    bare = httpx.get(f"{node.base_url}/api/v1/apps/verify_credentials")
    assert slashed.status_code == bare.status_code == 401
    assert slashed.json() == bare.json()
    # Pages for people keep plain answers.
    assert httpx.get(f"{node.base_url}/nothing-here").text == "Not Found"


def test_cors_for_browser_apps(node: Node) -> None:
    preflight = httpx.options(
        f"{node.base_url}/api/v1/apps/verify_credentials",
        headers={
            "Origin": "https://elk.zone",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    token_preflight = httpx.options(
        f"{node.base_url}/oauth/token",
        headers={"Origin": "https://elk.zone", "Access-Control-Request-Method": "POST"},
    )
    assert token_preflight.status_code == 204
    answer = token_request(node, grant_type="password")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Remaining" in answer.headers["Access-Control-Expose-Headers"]
    page = httpx.get(f"{node.base_url}/oauth/authorize", headers={"Origin": "https://elk.zone"})
    assert "Access-Control-Allow-Origin" not in page.headers
