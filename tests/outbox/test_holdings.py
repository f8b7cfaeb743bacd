"""The delivery worker's rows in hand: both caps, a claim's room, the payload cache."""

from __future__ import annotations

from outbox.holdings import HELD_ROUNDS, PAYLOAD_CACHE, Holdings
from outbox.queue import Job, Payload


def _job(n: int, host: str, activity_id: int = 1) -> Job:
    return Job(
        id=n,
        activity_id=activity_id,
        inbox_url=f"https://{host}/inbox",
        host=host,
        attempts=0,
        probe=False,
    )


def _payload(activity_id: int) -> Payload:
    return Payload(body=b"{}", key_id=f"k{activity_id}", private_key_pem="")


def test_ready_keeps_both_caps_and_goes_round_the_hosts() -> None:
    rows = Holdings(concurrency=5, per_host=2)
    rows.take([_job(n, "a.example") for n in range(4)] + [_job(9, "b.example")], {})
    started = [job.id for job in rows.ready()]
    assert started == [0, 1, 9]  # a.example at its cap of 2; b.example's one
    assert rows.running == 3 and rows.n_waiting == 2
    assert rows.host_room() == {"a.example": 0, "b.example": 3}
    rows.finished(_job(0, "a.example"))
    assert [job.id for job in rows.ready()] == [2]
    rows.take([_job(n, "c.example") for n in range(10, 14)], {})
    assert [job.id for job in rows.ready()] == [10, 11]
    assert rows.running == 5


def test_ready_stops_at_the_cap_of_sends_in_all() -> None:
    rows = Holdings(concurrency=3, per_host=4)
    rows.take([_job(n, "a.example") for n in range(5)], {})
    assert [job.id for job in rows.ready()] == [0, 1, 2]
    assert list(rows.ready()) == []
    rows.finished(_job(0, "a.example"))
    assert [job.id for job in rows.ready()] == [3]


def test_a_caller_that_stops_early_leaves_no_empty_host_behind() -> None:
    rows = Holdings(concurrency=8, per_host=4)
    rows.take([_job(1, "a.example"), _job(2, "b.example")], {})
    first = next(rows.ready())
    assert first.id == 1 and "a.example" not in rows.waiting
    assert rows.n_waiting == 1


def test_room_counts_rows_running_and_waiting() -> None:
    rows = Holdings(concurrency=2, per_host=1)
    assert rows.room() == 2 * HELD_ROUNDS
    rows.take([_job(n, f"h{n}.example") for n in range(5)], {})
    list(rows.ready())
    assert rows.running == 2 and rows.room() == 2 * HELD_ROUNDS - 5
    rows.settled([0, 1])
    assert rows.held == {2, 3, 4}
    assert sorted(rows.unstarted()) == [2, 3, 4] and rows.n_waiting == 0


def test_payloads_are_read_once_and_the_cache_stays_bounded() -> None:
    rows = Holdings(concurrency=4, per_host=4)
    jobs = [_job(1, "a.example", activity_id=7), _job(2, "b.example", activity_id=8)]
    assert rows.missing_payloads(jobs) == {7, 8}
    rows.take(jobs, {7: _payload(7), 8: _payload(8)})
    assert rows.missing_payloads([_job(3, "c.example", activity_id=7)]) == set()
    many = {n: _payload(n) for n in range(100, 100 + PAYLOAD_CACHE)}
    rows.take([_job(4, "d.example", activity_id=8)], many)
    assert len(rows.payloads) == PAYLOAD_CACHE
    assert 8 in rows.payloads and 7 not in rows.payloads  # 8 was used last
