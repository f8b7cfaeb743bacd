"""Fixtures for the wire-layer tests: generated keys and a counting key resolver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from federation.errors import KeyNotFoundError
from federation.signatures.keys import PublicKeyInfo, generate_rsa_keypair

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
