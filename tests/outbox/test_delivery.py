"""The delivery worker against real HTTP on loopback, on SQLite and PostgreSQL.

Each test queues rows in a fresh database, runs :func:`outbox.delivery.run_forever`
in-process against :class:`tests.support.sink.Sink` hosts (real uvicorn servers
that verify our signatures), and reads the outcome from both sides: what the
hosts received and what the rows say.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from sqlmodel import col, select

from federation.auth import HttpSignatureAuth
from federation.client import ClientConfig, SafeClient
from outbox.breaker import BreakerPolicy
from outbox.config import DeliveryConfig
from outbox.delivery import DeliveryWorker, run_forever
from outbox.publish import publish
from outbox.retry import RetryPolicy
from storage.engine import SessionMaker
from storage.models import Actor, Delivery, DeliveryState, HostHealth
from tests.support.node import free_port
from tests.support.outbox import author_keys, make_author, make_remote, note, queue_to
from tests.support.sink import Sink

AUTHOR_BASE = "http://127.0.0.1:9"  # never contacted: the sink knows our key already

FAST = DeliveryConfig(
    retry=RetryPolicy(
        base=timedelta(milliseconds=50), cap=timedelta(milliseconds=200), max_attempts=6, jitter=0
    ),
    # The breaker stays out of the way unless a test asks for it.
    breaker=BreakerPolicy(threshold=1000),
    lease=timedelta(seconds=10),
    idle_poll=0.05,
)


@dataclass
class Node:
    """The two things the worker needs from a NodeContext."""

    sessions: SessionMaker
    client: SafeClient


@pytest.fixture
async def client() -> AsyncIterator[SafeClient]:
    config = ClientConfig(allow_http=True, allow_private_addresses=True, total_timeout=10)
    async with SafeClient(config) as c:
        yield c


@pytest.fixture
async def author(sessions: SessionMaker) -> Actor:
    async with sessions() as session:
        actor = await make_author(session, AUTHOR_BASE)
        await session.commit()
    return actor


def our_keys(author: Actor) -> dict[str, tuple[str, str]]:
    assert author.public_key_id is not None
    return {author.public_key_id: (author.ap_id, author_keys()[1])}


async def queue(sessions: SessionMaker, author: Actor, inboxes: list[str], times: int = 1) -> None:
    async with sessions() as session:
        for _ in range(times):
            await queue_to(session, author, inboxes)
        await session.commit()


async def rows(sessions: SessionMaker) -> list[Delivery]:
    async with sessions() as session:
        return list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())


async def until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {within}s")
        await asyncio.sleep(0.02)


async def all_settled(sessions: SessionMaker) -> bool:
    return all(r.state != DeliveryState.PENDING for r in await rows(sessions))


class Running:
    """A delivery worker running in this event loop until the block ends."""

    def __init__(self, node: Node, config: DeliveryConfig = FAST) -> None:
        self.node, self.config = node, config
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(run_forever(self.node, self.stop, self.config))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 15)


async def test_every_row_reaches_a_healthy_host_once_and_signed(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    with Sink(hosts=3, keys=our_keys(author)) as sink:
        inboxes = [sink.url(h, f"/users/u{i}/inbox") for h in sink.hosts for i in range(5)]
        await queue(sessions, author, inboxes, times=2)
        async with Running(Node(sessions, client)):
            await until(lambda: all_settled(sessions))
        arrived = sink.received()
    assert len(arrived) == 30
    assert all(a.verified and a.signer == author.ap_id for a in arrived)
    assert set(sink.keys_delivered().values()) == {1}  # nothing twice
    done = await rows(sessions)
    assert {(r.state, r.attempts, r.last_status, r.locked_until) for r in done} == {
        (DeliveryState.SENT, 1, 202, None)
    }
    async with sessions() as session:  # healthy hosts leave no breaker rows behind
        assert (await session.exec(select(HostHealth))).all() == []


async def test_a_fan_out_reads_stale_federation_rules_beside_its_claim(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    """The gate is asked (with no host: just "be fresh") when a claim starts a fan-out,
    so rules that went stale while the node idled are read meanwhile, not in front
    of the first request."""
    asked: list[str] = []

    async def gate(host: str) -> str | None:
        asked.append(host)
        return None

    client.set_host_gate(gate)
    with Sink(hosts=2, keys=our_keys(author)) as sink:
        await queue(sessions, author, [sink.url(h, "/inbox") for h in sink.hosts])
        async with Running(Node(sessions, client)):
            await until(lambda: all_settled(sessions))
    assert asked[0] == ""  # before any delivery asked for its host
    assert sorted(host for host in asked if host) == sorted(sink.hosts)


async def test_publish_fans_out_one_request_per_shared_inbox(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    """The whole path: followers → shared-inbox dedupe → rows → signed POSTs."""
    with Sink(hosts=4, keys=our_keys(author)) as sink:
        async with sessions() as session:
            for h, host in enumerate(sink.hosts):
                for i in range(6):  # the last host has no shared inbox
                    shared = sink.url(host) if h < 3 else None
                    await make_remote(
                        session,
                        f"http://{host}/users/f{i}",
                        shared_inbox_url=shared,
                        follows=author,
                    )
            await publish(session, author, note(author))
            await session.commit()
        async with Running(Node(sessions, client)):
            await until(lambda: all_settled(sessions))
        arrived = sink.received()
    per_host = {h: sorted(a.path for a in arrived if a.host == h) for h in sink.hosts}
    assert [per_host[h] for h in sink.hosts[:3]] == [["/inbox"]] * 3
    assert per_host[sink.hosts[3]] == sorted(f"/users/f{i}/inbox" for i in range(6))
    assert all(a.verified for a in arrived)


async def test_an_idle_worker_claims_new_rows_at_their_commit_not_its_next_poll(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    lazy = replace(FAST, idle_poll=60.0)  # only the outbox beacon can wake it in time
    with Sink(hosts=2, keys=our_keys(author)) as sink:
        first = [sink.url(h, "/inbox") for h in sink.hosts]
        await queue(sessions, author, first)
        async with Running(Node(sessions, client), lazy):
            await until(lambda: all_settled(sessions))  # claimed at start; now it idles
            committed = time.monotonic()
            await queue(sessions, author, [sink.url(h, "/users/u1/inbox") for h in sink.hosts])
            await until(lambda: all_settled(sessions), within=5.0)
            waited = time.monotonic() - committed
        assert len(sink.received()) == 4
    assert waited < 5.0


async def test_a_busy_worker_claims_new_rows_at_their_commit_too(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    """A slow host keeps the worker busy (sends in flight, no idle wait on the beacon);
    a post committed meanwhile still leaves at once, not at the next poll."""
    lazy = replace(FAST, idle_poll=60.0)
    with Sink(hosts=2, keys=our_keys(author)) as sink:
        slow, quick = sink.hosts
        sink.script(slow, delay=4.0)  # answered after the test ends (it records answers)
        await queue(sessions, author, [sink.url(slow, "/inbox")])
        async with Running(Node(sessions, client), lazy):
            await asyncio.sleep(0.5)  # claimed at start: in flight now
            committed = time.monotonic()
            await queue(sessions, author, [sink.url(quick, "/inbox")])
            await until(lambda: _arrived(sink, quick), within=2.5)
            waited = time.monotonic() - committed
    assert waited < 1.0, waited


async def _arrived(sink: Sink, host: str) -> bool:
    return any(a.host == host for a in sink.received())


async def test_the_first_request_leaves_before_the_round_is_signed(
    sessions: SessionMaker,
    client: SafeClient,
    author: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A send signs once its connection is open (``SafeClient.deliver``): the first
    of 64 leaves after its own signature, not after all 64 (a whole pass of the
    loop, when every send signed before it connected)."""
    signed_at: list[float] = []
    sign = HttpSignatureAuth.sign_post

    def timed_sign(self: HttpSignatureAuth, target: str, host: str, body: bytes) -> dict[str, str]:
        signed = sign(self, target, host, body)
        signed_at.append(time.monotonic())
        return signed

    monkeypatch.setattr(HttpSignatureAuth, "sign_post", timed_sign)
    with Sink(hosts=16, keys=our_keys(author)) as sink:
        inboxes = [sink.url(h, f"/users/u{i}/inbox") for h in sink.hosts for i in range(4)]
        await queue(sessions, author, inboxes)
        async with Running(Node(sessions, client)):
            await until(lambda: all_settled(sessions))
        arrived = sink.received()
    assert len(arrived) == len(signed_at) == 64
    first_arrival = min(a.at for a in arrived)
    assert first_arrival < signed_at[-1]
    assert sum(1 for at in signed_at if at < first_arrival) < 32


async def test_a_host_that_fails_twice_then_recovers_gets_everything(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    with Sink(hosts=2, keys=our_keys(author)) as sink:
        flaky, _healthy = sink.hosts
        sink.script(flaky, statuses=[500, 500])
        inboxes = [sink.url(h, f"/users/u{i}/inbox") for h in sink.hosts for i in range(5)]
        await queue(sessions, author, inboxes)
        async with Running(Node(sessions, client)):
            await until(lambda: all_settled(sessions))
        delivered = sink.keys_delivered()
        assert len(sink.received(status=500)) == 2
    assert sorted(p for (h, p, _a) in delivered if h == flaky) == sorted(
        f"/users/u{i}/inbox" for i in range(5)
    )
    assert len(delivered) == 10
    done = await rows(sessions)
    assert all(r.state == DeliveryState.SENT for r in done)
    assert sum(r.attempts for r in done if r.host == flaky) == 7  # 5 rows + 2 retries
    async with sessions() as session:
        health = await session.get(HostHealth, flaky)
    # Closed (a batch that ends in success may never have needed a row at all).
    assert health is None or (health.consecutive_failures, health.open_until) == (0, None)


async def test_dead_and_slow_hosts_do_not_delay_the_others(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    dead = f"127.0.0.1:{free_port()}"  # nothing listens: connection refused
    with Sink(hosts=5, keys=our_keys(author)) as sink:
        slow, healthy = sink.hosts[0], sink.hosts[1:]
        sink.script(slow, delay=2.0)
        inboxes = [sink.url(h, f"/users/u{i}/inbox") for h in [dead, *sink.hosts] for i in range(8)]
        # Queue the dead and slow hosts' rows first, so they are claimed first.
        async with sessions() as session:
            await queue_to(session, author, inboxes[:16])
            await queue_to(session, author, inboxes[16:])
            await session.commit()
        async with Running(Node(sessions, client)):
            await until(lambda: _sent_to(sessions, healthy, 32))
            # Their outcomes were written without waiting for the slow host's:
            # none of its rows was recorded yet. (Against the order of events, not
            # a clock: a loaded machine once took 3 s to start the node and record.)
            slow_recorded_early = await _sent_to(sessions, [slow], 1)
            await until(lambda: _sent_to(sessions, [slow], 8), within=20)
            slow_recorded = time.monotonic()  # the sink's clock too
        arrivals = sink.received()
    assert not slow_recorded_early
    first_slow = min(a.at for a in arrivals if a.host == slow)
    # Healthy hosts were served while the slow one still held its first four requests.
    assert max(a.at for a in arrivals if a.host in healthy) < first_slow + 2.0
    assert slow_recorded - first_slow >= 2 * 2.0  # 8 rows, 4 at a time (the per-host cap), 2 s each
    dead_rows = [r for r in await rows(sessions) if r.host == dead]
    assert dead_rows
    assert all(r.state != DeliveryState.SENT and r.attempts >= 1 for r in dead_rows)
    assert {r.last_error for r in dead_rows} == {"connection refused"}


async def _sent_to(sessions: SessionMaker, hosts: list[str], count: int) -> bool:
    done = [r for r in await rows(sessions) if r.host in hosts and r.state == DeliveryState.SENT]
    return len(done) >= count


async def test_status_rules_and_retry_after(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    with Sink(hosts=6, keys=our_keys(author)) as sink:
        not_found, unauthorized, timeout, throttled, gone, shared_gone = sink.hosts
        sink.script(not_found, default=404)
        sink.script(unauthorized, statuses=[401])
        sink.script(timeout, statuses=[408])
        sink.script(throttled, statuses=[429], headers={"Retry-After": "2"})
        sink.script(gone, default=410)
        sink.script(shared_gone, default=410)
        async with sessions() as session:
            deleted = await make_remote(session, f"http://{gone}/users/deleted")
            sharer = await make_remote(
                session, f"http://{shared_gone}/users/s", shared_inbox_url=sink.url(shared_gone)
            )
            await session.commit()
        inboxes = [sink.url(h, "/users/x/inbox") for h in sink.hosts[:4]]
        inboxes += [deleted.inbox_url, sink.url(shared_gone)]
        await queue(sessions, author, inboxes)
        async with Running(Node(sessions, client)):
            await until(lambda: all_settled(sessions))
        arrivals = sink.received()
    by_host = {r.host: r for r in await rows(sessions)}
    assert (by_host[not_found].state, by_host[not_found].attempts) == (DeliveryState.FAILED, 1)
    assert by_host[not_found].last_status == 404
    for host in (unauthorized, timeout, throttled):
        assert (by_host[host].state, by_host[host].attempts) == (DeliveryState.SENT, 2), host
    throttled_times = sorted(a.at for a in arrivals if a.host == throttled)
    assert throttled_times[1] - throttled_times[0] >= 1.9  # Retry-After: 2, not our 50 ms
    # Our own backoff (50 ms here); the rest of the bound is room for a loaded machine,
    # where this retry was once seen 0.92 s after the first try.
    retried = sorted(a.at for a in arrivals if a.host == unauthorized)
    assert retried[1] - retried[0] < 1.5
    assert (by_host[gone].state, by_host[gone].last_status) == (DeliveryState.FAILED, 410)
    assert (by_host[shared_gone].state, by_host[shared_gone].last_status) == (
        DeliveryState.FAILED,
        410,
    )
    async with sessions() as session:
        assert (await session.get(Actor, deleted.id)).gone is True  # type: ignore[union-attr]
        # 410 from a shared inbox speaks for the host, not for its actors.
        assert (await session.get(Actor, sharer.id)).gone is False  # type: ignore[union-attr]


async def _host(sessions: SessionMaker, host: str) -> HostHealth | None:
    async with sessions() as session:
        return await session.get(HostHealth, host)


async def test_the_breaker_parks_a_dead_host_and_a_probe_reopens_it(
    sessions: SessionMaker, client: SafeClient, author: Actor
) -> None:
    port = free_port()
    host = f"127.0.0.1:{port}"
    config = DeliveryConfig(
        retry=FAST.retry,
        breaker=BreakerPolicy(
            threshold=3,
            base_open=timedelta(seconds=2.5),
            max_open=timedelta(seconds=2.5),
            probe_window=timedelta(seconds=5),
        ),
        lease=timedelta(seconds=10),
        idle_poll=0.05,
        flush_max_wait=0.3,
    )
    await queue(sessions, author, [f"http://{host}/users/u{i}/inbox" for i in range(10)])
    async with Running(Node(sessions, client), config):

        async def is_open() -> bool:
            health = await _host(sessions, host)
            return health is not None and health.open_until is not None

        await until(is_open)
        # Let the outcomes of the sends in flight when it opened land: the outcome
        # writer holds them at most flush_max_wait.
        await asyncio.sleep(config.flush_max_wait + 0.2)
        parked = sum(r.attempts for r in await rows(sessions))
        assert parked < 3 + 10  # not every row took its turn before the breaker opened
        await asyncio.sleep(1.0)
        # While open: no row is tried, so no attempt is spent.
        assert sum(r.attempts for r in await rows(sessions)) == parked

        async def spent(n: int) -> bool:
            return sum(r.attempts for r in await rows(sessions)) >= n

        # Half-open with the host still down: one probe, one attempt, open again.
        await until(lambda: spent(parked + 1), within=5)
        await asyncio.sleep(0.2)
        assert sum(r.attempts for r in await rows(sessions)) == parked + 1
        reopened = await _host(sessions, host)
        assert reopened is not None
        assert reopened.consecutive_failures == 4
        assert reopened.open_until is not None
        with Sink(ports=[port], keys=our_keys(author)) as sink:
            # The next probe finds the host up, closes the breaker, and the rest flows.
            await until(lambda: all_settled(sessions), within=10)
            arrivals = sink.received()
    assert all(r.state == DeliveryState.SENT for r in await rows(sessions))
    assert len(arrivals) == 10
    health = await _host(sessions, host)
    assert health is not None
    assert (health.consecutive_failures, health.open_until) == (0, None)
    assert health.last_success_at is not None


async def test_two_workers_never_send_the_same_row_twice(
    sessions: SessionMaker, author: Actor
) -> None:
    """Both claim from one table at once (SKIP LOCKED on PostgreSQL; SQLite's one writer)."""
    config = ClientConfig(allow_http=True, allow_private_addresses=True)
    with Sink(hosts=10, keys=None) as sink:
        inboxes = [sink.url(h, f"/users/u{i}/inbox") for h in sink.hosts for i in range(10)]
        await queue(sessions, author, inboxes, times=3)
        for h in sink.hosts:
            sink.script(h, delay=0.05)
        # Alone, one worker would need about two seconds (8 in flight, 50 ms
        # each): far longer than the other needs to claim its share.
        narrow = replace(FAST, concurrency=8, per_host=2)
        async with SafeClient(config) as c1, SafeClient(config) as c2:
            workers = [DeliveryWorker(sessions, c, narrow) for c in (c1, c2)]
            stop = asyncio.Event()
            tasks = [asyncio.create_task(w.run(stop)) for w in workers]
            try:
                await until(lambda: all_settled(sessions), within=30)
            finally:
                stop.set()
                await asyncio.gather(*tasks)
        counts = sink.keys_delivered()
    assert len(counts) == 300
    assert set(counts.values()) == {1}
    assert all(w.sent > 0 for w in workers), [w.sent for w in workers]
    assert sum(w.sent for w in workers) == 300
