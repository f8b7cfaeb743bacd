"""Start real Staffroom nodes on loopback, each on its own port (= its own host).

A node is a ``staffroom serve`` subprocess over a fresh database, so tests
exercise the real HTTP stack, the real signatures and the real database.
Accounts are created in-process against the same database.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from staffroom.app import node_config
from staffroom.processes import exit_with_parent
from staffroom.settings import Settings, load_settings
from storage import migrate
from storage.engine import create_engine, create_sessionmaker
from tests.support.aio import run_async
from tests.support.databases import drop_database, fill_from_template, new_database_url

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


# Ports for test servers come from below the kernel's ephemeral range
# (32768-60999 here), which outgoing connections draw their source ports from,
# and each xdist worker has its own slice: a port handed out here cannot be
# taken by another worker or by a client socket before the server binds it.
_PORT_BASE = 20_000
_PORT_SPAN = 12_000
_handed_out: list[int] = []  # how many ports this process has handed out


def _port_slice() -> tuple[int, int]:
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int("".join(ch for ch in name if ch.isdigit()) or 0) % workers
    size = _PORT_SPAN // workers
    return _PORT_BASE + index * size, _PORT_BASE + (index + 1) * size


def free_port() -> int:
    """A loopback port nobody is listening on, never handed out twice by this process.

    Each process starts at its own place in the slice (by pid), so two test
    runs at once on one machine rarely reach for the same port.
    """
    start, end = _port_slice()
    size = end - start
    if not _handed_out:
        _handed_out.append(0)
    offset = os.getpid() * 7919 % size
    while _handed_out[0] < size:
        port = start + (offset + _handed_out[0]) % size
        _handed_out[0] += 1
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free test port left in this worker's slice")


def wait_until(check: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:  # still starting, not yet there
            last = exc
        else:
            last = value
            if value:
                return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last result: {last!r}")


class Node:
    def __init__(
        self,
        tmp_dir: Path,
        db_kind: str = "sqlite",
        *,
        workers: bool = True,
        processes: int = 1,
        worker_processes: int = 1,
    ) -> None:
        self.port = free_port()
        self.domain = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.domain}"
        self.dir = tmp_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.database_url = new_database_url(db_kind, self.dir)
        self.workers = workers
        self.processes = processes
        self.worker_processes = worker_processes
        self.env = {
            **os.environ,
            "STAFFROOM_DOMAIN": self.domain,
            "STAFFROOM_DATA_DIR": str(self.dir / "data"),
            "STAFFROOM_DATABASE_URL": self.database_url,
            "STAFFROOM_ALLOW_HTTP": "true",
            "STAFFROOM_ALLOW_PRIVATE_ADDRESSES": "true",
            # Tests poll the API far faster than any app; the limit itself has its own test.
            "STAFFROOM_API_RATE_LIMIT": "1000000",
        }
        self.settings: Settings = load_settings(env=self.env)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.dir / "server.log"

    def migrate(self) -> None:
        if fill_from_template(self.database_url):  # still empty: a migrated copy
            return

        async def run() -> None:
            engine = create_engine(self.settings.database_url)
            try:
                await migrate.upgrade(engine)
            finally:
                await engine.dispose()

        run_async(run)

    def with_session(self, work: Callable[[Any], Awaitable[T]]) -> T:
        async def run() -> T:
            engine = create_engine(self.settings.database_url)
            try:
                async with create_sessionmaker(engine)() as session:
                    value = await work(session)
                    await session.commit()
                    return value
            finally:
                await engine.dispose()

        return run_async(run)

    def create_user(self, name: str, role: str = "teacher", **attrs: Any) -> Any:
        from actors.local import create_person
        from actors.roles import parse_role

        async def work(session: Any) -> Any:
            _account, actor = await create_person(
                session,
                node_config(self.settings),
                name,
                role=parse_role(role),
                password="correct horse battery",
            )
            for key, value in attrs.items():
                setattr(actor, key, value)
            return actor

        return self.with_session(work)

    def token(self, name: str, scopes: str = "read write follow") -> str:
        """A bearer token for ``name``, issued in-process (as `users token` does)."""
        from actors.local import account_by_name
        from actors.tokens import issue_token

        async def work(session: Any) -> str:
            found = await account_by_name(session, name)
            assert found is not None, name
            return await issue_token(session, found[0], scopes, description="test")

        return self.with_session(work)

    def with_node(self, work: Callable[[Any, Any], Awaitable[T]]) -> T:
        """Run ``work(session, node_context)`` in-process against this node's database,
        for domain actions no HTTP endpoint offers yet (their deliveries are queued
        in the database and sent by the running server's workers)."""
        from staffroom.app import node_context

        async def run() -> T:
            async with node_context(self.settings) as ctx, ctx.sessions() as session:
                value = await work(session, ctx)
                await session.commit()
                return value

        return run_async(run)

    def staffroom(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run an admin command as ``python -m staffroom`` would, in this process.

        The same ``main``, with this node's environment, ``input`` on stdin and
        the output captured; a fresh interpreter for each of the suite's admin
        commands cost it about two CPU-seconds apiece on a loaded machine.
        ``serve`` and ``worker`` run forever and own their signals: they, and
        the tests of the executable itself, use :meth:`staffroom_process`.
        """
        if args and args[0] in ("serve", "worker"):
            return self.staffroom_process(*args, input=input)
        return run_command(list(args), self.env, input)

    def staffroom_process(
        self, *args: str, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "staffroom", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            input=input,
            timeout=60,
            check=False,
        )

    def start(self) -> Node:
        self.launch()
        return self.wait_started()

    def launch(self) -> None:
        """Start ``staffroom serve`` without waiting for it: nodes launched one after
        another then start side by side (:meth:`wait_started` waits for each)."""
        args = ["serve", "--port", str(self.port)]
        if not self.workers:
            args.append("--no-workers")
        if self.processes > 1:
            args += ["--processes", str(self.processes)]
        if self.worker_processes > 1:
            args += ["--worker-processes", str(self.worker_processes)]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "staffroom", *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            # A test run killed outright (a timeout, ^C twice) must not leave its
            # nodes polling the database for ever: they go with their parent.
            preexec_fn=exit_with_parent,
        )
        log.close()

    def wait_started(self) -> Node:
        """Wait until the launched node answers ``/healthz``."""

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"node exited early:\n{self.log()}")
            return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200

        # Generous: a loaded 2-core machine (a parallel suite, CI beside other
        # work) takes well over the usual few seconds to start two processes.
        try:
            wait_until(healthy, timeout=90)
        except AssertionError:
            raise RuntimeError(f"node did not start:\n{self.log()}") from None
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        self.stop()
        drop_database(self.database_url)


_COMMANDS = threading.Lock()


def run_command(
    argv: list[str], env: dict[str, str], input: str | None
) -> subprocess.CompletedProcess[str]:
    """``staffroom.cli.main(argv)`` with ``env`` as the whole environment and the
    standard streams captured (in a thread: the caller may be inside a loop)."""
    from staffroom.cli import main

    out, err = io.StringIO(), io.StringIO()
    codes: list[int] = []

    def target() -> None:
        try:
            codes.append(main(argv))
        except SystemExit as exc:  # argparse's usage errors
            codes.append(exc.code if isinstance(exc.code, int) else 1)
        except Exception:  # as the interpreter would: the traceback, and 1
            traceback.print_exc()
            codes.append(1)

    with _COMMANDS:
        saved_env = dict(os.environ)
        saved = sys.stdin, sys.stdout, sys.stderr
        os.environ.clear()
        os.environ.update(env)
        sys.stdin = io.StringIO(input or "")
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                thread = threading.Thread(target=target)
                thread.start()
                thread.join()
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
            os.environ.clear()
            os.environ.update(saved_env)
    return subprocess.CompletedProcess(
        ["staffroom", *argv], codes[0], out.getvalue(), err.getvalue()
    )


def rows(node: Node, statement: Any) -> list[Any]:
    """What a ``select`` finds in ``node``'s database now (read in-process)."""

    async def run(session: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    return node.with_session(run)


@contextmanager
def running_node(base: Path, kind: str, names: Iterable[str]) -> Iterator[Node]:
    """One node (``kind``) with a teacher account for each of ``names``, running;
    closed afterwards (a module's node: ``with running_node(...) as node: yield node``)."""
    node = Node(base, kind)
    try:
        node.migrate()
        for name in names:
            node.create_user(name)
        node.start()
        yield node
    finally:
        node.close()


@contextmanager
def alice_carol_and_bob(base: Path, kind: str) -> Iterator[tuple[Node, Node, dict[str, str]]]:
    """Node A (``kind``) with alice and carol, node B (SQLite) with bob, running,
    with a bearer token for each; both nodes are closed afterwards."""
    a, b = Node(base / "a", kind), Node(base / "b")
    try:
        for node in (a, b):
            node.migrate()
        a.create_user("alice")
        a.create_user("carol")
        b.create_user("bob")
        for node in (a, b):
            node.start()
        yield a, b, {"alice": a.token("alice"), "carol": a.token("carol"), "bob": b.token("bob")}
    finally:
        for node in (a, b):
            node.close()
