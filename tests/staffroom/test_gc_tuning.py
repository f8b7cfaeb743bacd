"""A serving process freezes what start-up made and collects less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from staffroom.gc_tuning import FIRST_GENERATION_THRESHOLD, tune_for_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_start_up_objects_are_frozen_and_the_threshold_raised() -> None:
    long_lived = [[n] for n in range(100)]  # containers: the collector tracks them
    assert id(long_lived[0]) in {id(o) for o in gc.get_objects()}
    tune_for_serving()
    assert gc.get_threshold()[0] == FIRST_GENERATION_THRESHOLD
    assert gc.get_freeze_count() >= len(long_lived)
    # Frozen: no collection pass walks it any more.
    assert id(long_lived[0]) not in {id(o) for o in gc.get_objects()}
