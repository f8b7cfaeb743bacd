"""Fixtures for the wire-layer tests: generated keys, a counting key resolver, both loops."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvloop

from federation.errors import KeyNotFoundError
from federation.signatures.keys import PublicKeyInfo, generate_rsa_keypair
from tests.support.loopback import Run

ALICE = "https://remote.example/users/alice"
ALICE_KEY = f"{ALICE}#main-key"


@dataclass
class CountingResolver:
    """A ``KeyResolver`` that serves ``cached`` normally and ``fresh`` on refresh.

    ``calls`` records every ``(key_id, refresh)`` so tests can check that a
    key is refetched exactly once after a failed verification.
    """

    key_id: str
    owner: str
    cached_pem: str | None
    fresh_pem: str | None = None
    calls: list[tuple[str, bool]] = field(default_factory=list)

    async def __call__(self, key_id: str, refresh: bool) -> PublicKeyInfo:
        self.calls.append((key_id, refresh))
        pem = self.fresh_pem if refresh and self.fresh_pem is not None else self.cached_pem
        if key_id != self.key_id or pem is None:
            raise KeyNotFoundError(f"no key {key_id}")
        return PublicKeyInfo(key_id=key_id, owner=self.owner, public_key_pem=pem)


MakeResolver = Callable[..., CountingResolver]


@pytest.fixture(scope="session")
def rsa_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) of a 2048-bit RSA key, shared by the session."""
    return generate_rsa_keypair()


@pytest.fixture(scope="session")
def other_rsa_keypair() -> tuple[str, str]:
    """A second RSA key pair: the "rotated" key in rotation tests."""
    return generate_rsa_keypair()


@pytest.fixture
def make_resolver() -> MakeResolver:
    """Build a :class:`CountingResolver` for ``ALICE_KEY`` (owner ``ALICE``)."""

    def make(
        cached_pem: str | None,
        fresh_pem: str | None = None,
        *,
        key_id: str = ALICE_KEY,
        owner: str = ALICE,
    ) -> CountingResolver:
        return CountingResolver(key_id, owner, cached_pem, fresh_pem)

    return make


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run:
    """Run a scenario to completion on a fresh loop: asyncio's own, or uvloop.

    The node serves on uvloop and the suite runs on asyncio's loop, so the
    outgoing HTTP client's tests run on both. A scenario that hangs fails after
    10 seconds; an unclosed transport warns (hence fails) inside its test.
    """
    runner = asyncio.run if request.param == "asyncio" else uvloop.run

    async def bounded(scenario: Coroutine[Any, Any, None]) -> None:
        async with asyncio.timeout(10):
            await scenario

    def go(scenario: Coroutine[Any, Any, None]) -> None:
        runner(bounded(scenario))
        gc.collect()

    return go
