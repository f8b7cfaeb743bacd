"""The running node's shared services, built by the composition root.

Routes reach it as ``request.app.state.node``; workers receive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.config import NodeConfig
from actors.federation_gate import FederationGate
from actors.keys import KeyStore
from actors.remote import RemoteActors
from federation.client import SafeClient
from storage.engine import SessionMaker
from storage.inbox_writer import InboxWriter


@dataclass
class NodeContext:
    config: NodeConfig
    sessions: SessionMaker
    client: SafeClient
    remote: RemoteActors
    keys: KeyStore
    inbox_writer: InboxWriter
    gate: FederationGate
