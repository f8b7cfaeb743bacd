"""Drive a node's OAuth login pages the way a browser does, for API tests.

:class:`Browser` keeps cookies, reads the forms on each page (by their ids,
``form#login`` and ``form#consent``) and submits them with every hidden field,
so tests exercise the real CSRF, session and redirect handling. Typical use::

    app = register_app(node, redirect_uris=OOB)
    code = authorize(node, authorize_url(node, app), "alice").code
    token = exchange(node, app, code)["access_token"]
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

OOB = "urn:ietf:wg:oauth:2.0:oob"
PASSWORD = "correct horse battery"  # what tests.support.node.Node.create_user sets


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class Page(HTMLParser):
    """Forms (by id) and the text of elements with an id, from one HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: dict[str, Form] = {}
        self.texts: dict[str, str] = {}
        self._form: Form | None = None
        self._open: list[tuple[str, str]] = []  # (tag, id) of elements with an id
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = self.forms[attr.get("id", "")] = Form(attr.get("action", ""))
        elif tag == "input" and self._form is not None and attr.get("type") == "hidden":
            self._form.fields[attr["name"]] = attr.get("value", "")
        if "id" in attr and tag != "input":
            self._open.append((tag, attr["id"]))
            self.texts.setdefault(attr["id"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for _tag, ident in self._open:
            self.texts[ident] += data


@dataclass
class Outcome:
    """Where an authorization ended: a redirect to the app, or a page."""

    response: httpx.Response

    @property
    def location(self) -> str:
        return self.response.headers.get("location", "")

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}

    @property
    def code(self) -> str:
        if self.response.status_code in {302, 303}:
            return self.query["code"]
        assert self.response.status_code == 200, self.response.text
        return Page(self.response.text).texts["authorization-code"].strip()


class Browser:
    """One person's browser: cookies kept, forms read and posted. Close it (``with``)."""

    def __init__(self, node: Any) -> None:
        self.base_url = node.base_url
        # English pages: a node speaks its default language (ru) to a client that names none.
        self.client = httpx.Client(
            base_url=node.base_url,
            follow_redirects=False,
            timeout=30,
            headers={"Accept-Language": "en"},
        )

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str) -> httpx.Response:
        return self.client.get(url)

    def post(self, url: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        return self.client.post(url, data=data, **kwargs)

    def submit(self, page: httpx.Response, form_id: str, **extra: str) -> httpx.Response:
        form = Page(page.text).forms[form_id]
        return self.client.post(form.action, data={**form.fields, **extra})

    def log_in(self, url: str, username: str, password: str = PASSWORD) -> httpx.Response:
        """From an authorize URL to the consent page, through the login form."""
        page = self.get(url)
        assert page.status_code == 200, page.text
        assert "login" in Page(page.text).forms, page.text
        done = self.submit(page, "login", username=username, password=password)
        assert done.status_code == 303, done.text
        consent = self.get(done.headers["location"])
        assert "consent" in Page(consent.text).forms, consent.text
        return consent

    def authorize(
        self, url: str, username: str, password: str = PASSWORD, *, decision: str = "approve"
    ) -> Outcome:
        """Log in if the page asks to, then answer the consent page."""
        page = self.get(url)
        if "consent" not in Page(page.text).forms:
            page = self.log_in(url, username, password)
        return Outcome(self.submit(page, "consent", decision=decision))


def authorize(
    node: Any, url: str, username: str = "alice", *, decision: str = "approve"
) -> Outcome:
    """The whole flow in a fresh browser (no session yet)."""
    with Browser(node) as browser:
        return browser.authorize(url, username, decision=decision)


def register_app(node: Any, **fields: Any) -> dict[str, Any]:
    data = {"client_name": "Staffroom tests", "redirect_uris": OOB, "scopes": "read write follow"}
    data.update(fields)
    response = httpx.post(f"{node.base_url}/api/v1/apps", data=data, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def authorize_url(node: Any, app: dict[str, Any], **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": app["redirect_uris"][0],
        "scope": " ".join(app["scopes"]),
        **params,
    }
    return f"{node.base_url}/oauth/authorize?{urlencode(query)}"


def pkce_pair() -> tuple[str, str]:
    """A (verifier, S256 challenge) pair, per RFC 7636 appendix B."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_request(node: Any, **data: str) -> httpx.Response:
    return httpx.post(f"{node.base_url}/oauth/token", data=data, timeout=10)


def exchange(node: Any, app: dict[str, Any], code: str, **extra: str) -> httpx.Response:
    """``grant_type=authorization_code`` for ``app``; ``extra`` adds or overrides fields."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": app["redirect_uris"][0],
    }
    return token_request(node, **(data | extra))
