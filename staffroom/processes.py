"""Running a node as several processes: N web processes and M worker processes.

One Python process uses one core. On a multi-core machine ``serve
--processes N`` runs N uvicorn web processes on one listening socket (the
uvicorn supervisor restarts any that dies) and ``--worker-processes M``
(default one) ``staffroom worker`` processes for the inbox and delivery
queues. Everything they share lives in the database (claims are leases, the
inbox is idempotent), so nothing needs to pass between them.

Workers run at a lower CPU priority: when the machine is saturated,
answering inbox POSTs and API calls comes first and the queues drain a little
later, which is what a queue is for. They are told to exit when this process
dies, even by SIGKILL, so no orphan keeps delivering from a stopped node.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from staffroom.settings import Settings, settings_env

#: How much less CPU priority the worker process takes than the web processes.
WORKER_NICENESS = 10
_PR_SET_PDEATHSIG = 1
#: Tells a child which process started it, to notice a parent that died early.
_PARENT_PID = "STAFFROOM_SUPERVISOR_PID"


def exit_with_parent() -> None:
    """Ask the kernel for SIGTERM when our parent dies (Linux; elsewhere nothing).

    Called in every child: a supervisor killed with SIGKILL cannot stop its
    children itself, and an orphaned web process would keep the port. A parent
    that died before the request was made is caught by comparing pids.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    parent = os.environ.get(_PARENT_PID)
    if parent is not None and os.getppid() != int(parent):
        os.kill(os.getpid(), signal.SIGTERM)


def _prepare_worker_child() -> None:
    """In the worker child, before exec (the death signal survives exec)."""
    exit_with_parent()
    os.nice(WORKER_NICENESS)


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """Start ``staffroom worker`` with these settings, niced, tied to our lifetime."""
    env = {**os.environ, **settings_env(replace(settings, workers=True))}
    return subprocess.Popen(
        [sys.executable, "-m", "staffroom", "worker"],
        env=env,
        preexec_fn=_prepare_worker_child,  # the parent is single-threaded here
    )


def workers_apart(settings: Settings) -> bool:
    """Do the queues run in processes of their own (rather than in the one web process)?"""
    return settings.workers and (settings.processes > 1 or settings.worker_processes > 1)


@contextlib.contextmanager
def worker_processes(settings: Settings) -> Iterator[None]:
    """Run the worker processes (if the queues run apart) while the block runs."""
    os.environ[_PARENT_PID] = str(os.getpid())
    count = settings.worker_processes if workers_apart(settings) else 0
    workers = [start_worker(settings) for _ in range(count)]
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def serve_many(settings: Settings, uvicorn_options: dict[str, Any]) -> None:
    """Serve with ``settings.processes`` web processes plus the workers; block until stopped."""
    import uvicorn

    # The web processes are spawned fresh and read their settings from the environment.
    os.environ.update(settings_env(replace(settings, workers=False)))
    with worker_processes(settings):
        uvicorn.run(
            "staffroom.app:app_from_environment",
            factory=True,
            workers=settings.processes,
            **uvicorn_options,
        )
