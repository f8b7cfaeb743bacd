"""Ids are time-sortable, unique under bursts, and fit a signed BIGINT."""

from __future__ import annotations

import threading

from storage.ids import id_timestamp_ms, min_id_for_ms, new_id


def test_ids_increase_and_encode_their_time() -> None:
    first = new_id(now_ms=1_700_000_000_000)
    second = new_id(now_ms=1_700_000_000_000)
    later = new_id(now_ms=1_700_000_000_001)
    assert first < second < later
    assert id_timestamp_ms(later) >= 1_700_000_000_001
    assert min_id_for_ms(1_700_000_000_001) <= later


def test_ids_fit_a_signed_64_bit_column() -> None:
    assert new_id() < 2**63


def test_a_burst_from_many_threads_never_repeats() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def burst() -> None:
        ids = [new_id() for _ in range(5000)]
        with lock:
            seen.extend(ids)

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == len(seen) == 20_000


def test_sequence_overflow_borrows_the_next_millisecond() -> None:
    ms = 1_800_000_000_000
    ids = [new_id(now_ms=ms) for _ in range(70_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert id_timestamp_ms(ids[-1]) > ms
