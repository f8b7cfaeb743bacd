"""Sign outgoing requests: an ``httpx.Auth`` that adds an HTTP signature at send time.

Signing happens in ``auth_flow``, which HTTPX runs for every send, so a retry
gets a fresh ``Date`` (Mastodon refuses stale ones) and a new signature. The
auth owns ``Date``, ``Digest``/``Content-Digest`` and the signature headers:
any left from an earlier send are replaced.

Usage::

    auth = HttpSignatureAuth(key_id, private_key_pem)
    await client.post(inbox, content=body, auth=auth)
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Literal

import httpx

from federation.signatures.cavage import PostSigner, sign_cavage_target
from federation.signatures.keys import load_private_key
from federation.signatures.rfc9421 import sign_rfc9421

_OWNED_HEADERS = frozenset({"date", "digest", "content-digest", "signature", "signature-input"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class HttpSignatureAuth(httpx.Auth):
    """Sign every request (GET and POST) with ``key_id``'s private key.

    ``scheme`` is ``"draft-cavage"`` (what Mastodon and nearly every server
    accept) or ``"rfc9421"`` (what Fedify tries first).
    """

    requires_request_body = True

    def __init__(
        self,
        key_id: str,
        private_key_pem: str,
        scheme: Literal["draft-cavage", "rfc9421"] = "draft-cavage",
    ) -> None:
        if scheme not in ("draft-cavage", "rfc9421"):
            raise ValueError(f"unknown signature scheme {scheme!r}")
        self.key_id = key_id
        self.scheme = scheme
        # Parse now: a broken key should fail at construction, not mid-delivery.
        self._private_key = load_private_key(private_key_pem)
        self._post_signer: PostSigner | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request

    def sign_post(self, target: str, host: str, body: bytes) -> dict[str, str]:
        """The headers that sign a POST of ``body`` to ``target`` on ``host``, made now.

        For a delivery written as bytes (:mod:`federation.delivery_post`):
        draft-cavage only, since an RFC 9421 signature covers the whole request.
        """
        if self.scheme != "draft-cavage":
            raise ValueError("sign_post makes draft-cavage signatures only")
        if self._post_signer is None:
            self._post_signer = PostSigner(self.key_id, self._private_key)
        return self._post_signer.sign(target, host, body)

    def sign(self, request: httpx.Request) -> None:
        """Replace ``request``'s signature headers with fresh ones."""
        headers = request.headers
        # One pass over the names present (usually none of ours): httpx's
        # pop() of an absent header costs a scan and a KeyError each.
        for name in _OWNED_HEADERS.intersection(headers.keys()):
            del headers[name]
        content = request.content
        body = content if content or request.method.upper() in _BODY_METHODS else None
        if self.scheme == "draft-cavage":
            # The request is ours and whole: its target and Host are read off
            # it rather than parsed back from the URL and every header.
            current = {"host": headers.get("host") or request.url.netloc.decode("ascii")}
            if (accept := headers.get("accept")) is not None:
                current["accept"] = accept
            added = sign_cavage_target(
                request.method,
                request.url.raw_path.decode("ascii"),
                current,
                self.key_id,
                self._private_key,
                body,
            )
            if "host" not in headers:
                added["Host"] = current["host"]
        else:
            added = sign_rfc9421(
                request.method, str(request.url), headers, self.key_id, self._private_key, body
            )
        # Set one by one: Headers.update() builds a Headers and pops each key.
        for name, value in added.items():
            headers[name] = value
