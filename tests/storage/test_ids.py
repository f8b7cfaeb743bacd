"""Ids are time-sortable, unique under bursts, and fit a signed BIGINT."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from storage.ids import id_timestamp_ms, min_id_for_ms, new_id, use_process_tag


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


@pytest.fixture
def untagged_afterwards() -> Iterator[None]:
    yield
    use_process_tag(None)


@pytest.mark.usefixtures("untagged_afterwards")
def test_tagged_processes_never_make_the_same_id() -> None:
    ms = 1_700_000_000_000
    use_process_tag(1)
    first = [new_id(now_ms=ms) for _ in range(500)]
    use_process_tag(2)  # as another process would, in the same millisecond
    second = [new_id(now_ms=ms) for _ in range(500)]
    assert not set(first) & set(second)
    assert {(i >> 10) & 0x3F for i in first} == {1}
    assert {(i >> 10) & 0x3F for i in second} == {2}


@pytest.mark.usefixtures("untagged_afterwards")
def test_a_tag_keeps_ids_increasing_and_borrows_after_1024_in_one_millisecond() -> None:
    ms = 1_700_000_000_100
    before = new_id(now_ms=ms)  # untagged: any of the 16 low bits
    use_process_tag(63)
    ids = [new_id(now_ms=ms) for _ in range(3000)]
    assert before < ids[0]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {(i >> 10) & 0x3F for i in ids} == {63}
    assert id_timestamp_ms(ids[-1]) > ms + 1  # three thousand ids need three milliseconds
    with pytest.raises(ValueError, match="6 bits"):
        use_process_tag(64)
