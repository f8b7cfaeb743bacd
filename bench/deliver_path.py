"""The delivery path's own CPU: one signed POST through ``SafeClient.deliver``, without the worker.

``bench.fanout`` measures a whole fan-out (the worker's claims and outcome
writes, the database, the post's API request) against a verifying sink, and
moves by a third from run to run on a shared VM. This isolates the part every
delivery goes through (:meth:`federation.client.SafeClient.deliver`: the inbox
URL's check, the federation gate, the guarded transport's connect, the
signature, the request's bytes, the answer's parse) and prints its CPU per
request next to two references measured in the same process, alternately:

* **floor**: the same connect, write and read of a 202 with nothing of ours,
  a bare uvloop protocol (what the kernel and the event loop cost);
* **unsigned**: our path with the RSA operation replaced by constant bytes
  (everything we add around the signature);
* **signed**: our path as a fan-out runs it;
* **RSA**: one RSA-2048 PKCS#1 v1.5 SHA-256 signature.

``bench.fanout``'s target (arrival ≥ 0.5x the sign rate on one core) leaves a
delivery two signatures' worth of CPU: one for the signature, one for
everything else, the worker's bookkeeping included. So ``unsigned`` is the
figure to drive down, and ``unsigned - floor`` is ours alone.

The client is held on core 0 and the sink (a bare uvloop server on
``--hosts`` ports, answering 202) on core 1, so the sink's CPU is not in the
figures. Every request goes to a new host, as a fan-out's first post does.
CPU is the process's user and system time (``getrusage``) over a round.

    .venv/bin/python -m bench.deliver_path [--hosts 2000] [--rounds 5] [--base-port 20000]

Compare two versions by running each in its own checkout, alternately; a
single figure from another hour says little.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvloop
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.auth import HttpSignatureAuth
from federation.client import ClientConfig, SafeClient
from federation.signatures.cavage import PostSigner

BODY = b'{"type":"Create","object":"' + b"x" * 1400 + b'"}'
ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
#: Sends in flight at once, as the delivery worker's default.
CONCURRENCY = 64


class _Sink(asyncio.Protocol):
    """Answers 202 once a whole request (our head and ``BODY``) has arrived."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        _head, ended, body = self.buffer.partition(b"\r\n\r\n")
        if ended and len(body) >= len(BODY):
            self.buffer = b""
            self.transport.write(ACCEPTED)


def serve_sink(base: int, hosts: int, ready: int) -> None:
    """The sink's process: ``hosts`` listening ports on core 1, then wait to be killed."""
    os.sched_setaffinity(0, {1})

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for port in range(base, base + hosts):
            await loop.create_server(_Sink, "127.0.0.1", port, backlog=256)
        os.write(ready, b"1")
        await asyncio.Event().wait()

    uvloop.run(main())


class _Bare(asyncio.Protocol):
    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done

    def data_received(self, data: bytes) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _floor_one(port: int) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    transport, _ = await loop.create_connection(lambda: _Bare(done), "127.0.0.1", port)
    head = b"POST /inbox HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: %d\r\n\r\n"
    transport.write(head % (port, len(BODY)) + BODY)
    await done
    transport.close()


def _unsigned(auth: HttpSignatureAuth) -> HttpSignatureAuth:
    """``auth`` with the RSA operation replaced by constant bytes (all else as it was)."""
    signer = PostSigner(auth.key_id, auth._private_key)
    signer._sign = lambda data: b"\x01" * 256
    auth._post_signer = signer
    return auth


async def _round(mode: str, base: int, hosts: int, pem: str) -> float:
    """CPU seconds per request for one round of ``hosts`` requests in ``mode``."""
    config = ClientConfig(allow_http=True, allow_private_addresses=True)
    auth = HttpSignatureAuth("http://127.0.0.1/actor#main-key", pem)
    if mode == "unsigned":
        auth = _unsigned(auth)
    slots = asyncio.Semaphore(CONCURRENCY)
    async with SafeClient(config) as client:

        async def one(port: int) -> None:
            async with slots:
                if mode == "floor":
                    await _floor_one(port)
                    return
                answer = await client.deliver(f"http://127.0.0.1:{port}/inbox", BODY, auth)
                if answer.status != 202:
                    raise RuntimeError(f"the sink answered {answer.status}")

        return await _cpu_per(hosts, lambda: [one(p) for p in range(base, base + hosts)])


async def _cpu_per(count: int, work: Callable[[], list[Awaitable[None]]]) -> float:
    before = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*work())
    after = resource.getrusage(resource.RUSAGE_SELF)
    spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return spent / count


def rsa_cost(key: rsa.RSAPrivateKey, count: int = 400) -> float:
    data = b"(request-target): post /inbox\nhost: 127.0.0.1:20000\ndate: x\ndigest: y" * 2
    start = time.process_time()
    for _ in range(count):
        key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return (time.process_time() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base-port", type=int, default=20000, help="below the ephemeral range")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("needs two cores: the client on one, the sink on the other")
    read, write = os.pipe()
    sink = os.fork()
    if sink == 0:
        os.close(read)
        with contextlib.suppress(BaseException):
            serve_sink(args.base_port, args.hosts, write)
        os._exit(0)
    os.close(write)
    try:
        if os.read(read, 1) != b"1":
            raise SystemExit("the sink did not start (ports taken? try --base-port)")
        os.sched_setaffinity(0, {0})
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        modes = ("floor", "unsigned", "signed")
        figures: dict[str, list[float]] = {mode: [] for mode in (*modes, "RSA")}
        uvloop.run(_round("unsigned", args.base_port, args.hosts, pem))  # warm: imports, caches
        for _ in range(args.rounds):
            for mode in modes:
                figures[mode].append(uvloop.run(_round(mode, args.base_port, args.hosts, pem)))
            figures["RSA"].append(rsa_cost(key))
        report(figures, args)
    finally:
        os.kill(sink, 9)
        os.waitpid(sink, 0)


def report(figures: dict[str, list[float]], args: argparse.Namespace) -> None:
    med = {mode: statistics.median(values) for mode, values in figures.items()}
    print(
        f"delivery path, {args.hosts} new hosts a round, {args.rounds} rounds, "
        f"{CONCURRENCY} in flight; CPU per request, median (min-max):"
    )
    for mode, values in figures.items():
        spread = f"{min(values) * 1e6:.0f}-{max(values) * 1e6:.0f}"
        print(f"   {mode:9s} {med[mode] * 1e6:6.0f} us  ({spread})")
    ours = med["unsigned"] - med["floor"]
    print(
        f"   ours alone (unsigned - floor): {ours * 1e6:.0f} us; "
        f"unsigned = {med['unsigned'] / med['RSA']:.2f} signatures' worth, "
        f"signed = {med['signed'] / med['RSA']:.2f}"
    )


if __name__ == "__main__":
    main()
