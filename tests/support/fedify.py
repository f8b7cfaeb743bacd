"""The independent Fedify peer (``build/fedify-peer``) for interop tests.

``make fedify-peer`` copies ``../shared/fedify-peer`` into ``build/fedify-peer``
and runs ``npm ci`` there (the Makefile's ``pytest`` target does it first, so
``make test`` always has it). Without that copy, or without its
``node_modules``, the interop tests skip and say to run ``make fedify-peer``.

Each peer is one Fedify process serving one ``Person``; start it with
:func:`started_peer` from a module-scoped fixture, so a module pays the
Node.js start-up once::

    @pytest.fixture(scope="module")
    def fred(tmp_path_factory):
        with started_peer(tmp_path_factory.mktemp("fedify"), "fred") as peer:
            yield peer
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.node import ROOT, free_port

FEDIFY_DIR = ROOT / "build" / "fedify-peer"

#: The Fedify peer's RSA key algorithm, as its ``/_control/info`` names it.
RSA_ALGORITHM = "RSASSA-PKCS1-v1_5"


def missing_reason() -> str | None:
    """Why the Fedify peer cannot run here, or None when it can."""
    hint = "run `make fedify-peer` (it copies ../shared/fedify-peer and runs npm ci)"
    if not (FEDIFY_DIR / "peer.py").is_file():
        return f"Fedify peer not installed: {FEDIFY_DIR} is missing; {hint}"
    if not (FEDIFY_DIR / "node_modules").is_dir():
        return f"Fedify peer not installed: {FEDIFY_DIR}/node_modules is missing; {hint}"
    return None


def require_fedify() -> type[Any]:
    """The ``FedifyPeer`` class, or skip the calling test module with the reason."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason, allow_module_level=True)
    if str(FEDIFY_DIR) not in sys.path:
        sys.path.insert(0, str(FEDIFY_DIR))
    from peer import FedifyPeer  # type: ignore[import-not-found]

    cls: type[Any] = FedifyPeer
    return cls


@contextmanager
def started_peer(tmp_dir: Path, name: str, **options: Any) -> Iterator[Any]:
    """A running peer on a free loopback port; its log is ``tmp_dir/fedify-NAME.log``.

    ``options`` go to ``FedifyPeer`` (``first_knock="cavage"``, ``ed25519=False``,
    ``log_level="debug"``...). The process is stopped (by its own pid) on exit.
    """
    peer_class = require_fedify()
    tmp_dir.mkdir(parents=True, exist_ok=True)
    peer = peer_class(
        port=free_port(), name=name, log_path=tmp_dir / f"fedify-{name}.log", **options
    )
    try:
        peer.start()
        yield peer
    finally:
        peer.close()


def rsa_key_id(peer: Any) -> str:
    """The key id of the peer's RSA key (the one its HTTP signatures use)."""
    keys = peer.info()["keys"]
    return next(str(k["keyId"]) for k in keys if k["algorithm"] == RSA_ALGORITHM)
