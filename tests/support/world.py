"""Several running nodes (and the Fedify peer) for the federation e2e modules.

The communities' and events' e2e modules all need the same thing: a few
``staffroom serve`` nodes on loopback, node A on PostgreSQL when it is
configured (the others on SQLite), some people on each with a bearer token,
and often the Fedify peer. :func:`started_world` starts exactly that and
closes it; :func:`world_fixture` makes the module-scoped ``world`` fixture
of a module from a layout, so a module says *who lives where* and nothing
else. Nodes are the expensive part of the suite (a process, a database and
a migration each): a module that can play its story on nodes another
module's layout already has belongs in that module, not in a new world.

    world = world_fixture("communities", {"a": ("alice",), "b": ("bob",)}, peer="fred")

    def test_x(world: World) -> None:
        bob = world.client(world.nodes["b"], "bob")   # Mastodon.py
        with world.http(world.a, "alice") as http: ...

The safety modules' worlds are schools: people with roles (``Person("head",
"admin")``), a few fields set on an actor, and Mastodon.py clients with the
scopes each test needs, which a module's own fixture puts in ``world.api``
once the world is up (``world.api_for("head", ADMIN_SCOPES)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from staffroom.settings import load_settings
from tests.support.databases import postgres_admin_url
from tests.support.fedify import missing_reason, started_peer
from tests.support.node import Node


@dataclass(frozen=True)
class Person:
    """Someone a layout creates: a teacher unless ``role`` says otherwise, with
    ``attrs`` set on the actor (``display_name``, ``summary``...)."""

    name: str
    role: str = "teacher"
    attrs: dict[str, Any] = field(default_factory=dict)


#: Node name → the people created on it (a bare name is a teacher).
Layout = dict[str, tuple[str | Person, ...]]


@dataclass
class World:
    nodes: dict[str, Node]
    tokens: dict[str, str]
    #: The Fedify peer (None when the layout asked for none).
    fred: Any = None
    #: What the module's tests learn and pass on, in order.
    seen: dict[str, Any] = field(default_factory=dict)
    #: Person → the name of the node they live on.
    homes: dict[str, str] = field(default_factory=dict)
    #: Mastodon.py clients by name, as the module's fixture made them (its scopes).
    api: dict[str, Mastodon] = field(default_factory=dict)

    @property
    def a(self) -> Node:
        return self.nodes["a"]

    @property
    def b(self) -> Node:
        return self.nodes["b"]

    @property
    def c(self) -> Node:
        return self.nodes["c"]

    def client(self, node: Node, who: str) -> Mastodon:
        return Mastodon(access_token=self.tokens[who], api_base_url=node.base_url)

    def http(self, node: Node, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=node.base_url, headers=headers, timeout=30)

    def home(self, who: str) -> Node:
        """The node ``who`` lives on."""
        return self.nodes[self.homes[who]]

    def acct(self, who: str) -> str:
        return f"{who}@{self.home(who).domain}"

    def actor_url(self, who: str) -> str:
        return f"{self.home(who).base_url}/users/{who}"

    def api_for(
        self, who: str, scopes: str | None = None, *, version_check_mode: str = "created"
    ) -> Mastodon:
        """Mastodon.py for ``who`` on their node: with the world's token, or with a
        token of its own for ``scopes`` (an admin's, a narrower one)."""
        home = self.home(who)
        token = self.tokens[who] if scopes is None else home.token(who, scopes)
        return Mastodon(
            access_token=token, api_base_url=home.base_url, version_check_mode=version_check_mode
        )

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request to ``who``'s node with their bearer token (what Mastodon.py hides)."""
        return httpx.request(
            method,
            f"{self.home(who).base_url}{path}",
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            timeout=30,
            **kwargs,
        )


@contextmanager
def started_world(
    base: Path, layout: Layout, *, peer: str | None = None, env: dict[str, str] | None = None
) -> Iterator[World]:
    """Start the nodes of ``layout`` (the first on PostgreSQL when configured, the
    others on SQLite; side by side) and the peer, with a bearer token
    (``read write follow``) for each person."""
    if peer is not None and missing_reason() is not None:
        pytest.skip(missing_reason() or "")
    nodes: dict[str, Node] = {}
    homes: dict[str, str] = {}
    with ExitStack() as stack:
        for index, name in enumerate(layout):
            kind = "postgres" if index == 0 and postgres_admin_url() else "sqlite"
            node = Node(base / name, kind)
            stack.callback(node.close)
            if env:
                node.env.update(env)
                node.settings = load_settings(env=node.env)
            nodes[name] = node
        for name, people in layout.items():
            node = nodes[name]
            node.migrate()
            for entry in people:
                person = Person(entry) if isinstance(entry, str) else entry
                node.create_user(person.name, person.role, **person.attrs)
                homes[person.name] = name
            node.launch()
        for node in nodes.values():
            node.wait_started()
        tokens = {who: nodes[name].token(who) for who, name in homes.items()}
        fred = stack.enter_context(started_peer(base / "fedify", peer)) if peer else None
        yield World(nodes, tokens, fred, homes=homes)


def world_fixture(
    name: str, layout: Layout, *, peer: str | None = None, env: dict[str, str] | None = None
) -> Callable[..., Iterator[World]]:
    """A module-scoped ``world`` fixture over :func:`started_world`."""

    @pytest.fixture(scope="module")
    def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
        with started_world(tmp_path_factory.mktemp(name), layout, peer=peer, env=env) as made:
            yield made

    return world
