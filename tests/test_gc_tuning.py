"""`relaxed_collection`: the collector waits longer during a run and is as it was after the last one."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from oncall import gc_tuning as _gc
from oncall.gc_tuning import RUN_THRESHOLDS, relaxed_collection


@pytest.fixture(autouse=True)
def _restore_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_thresholds_are_raised_during_the_block_and_restored_after() -> None:
    gc.set_threshold(700, 10, 10)
    with relaxed_collection():
        assert gc.get_threshold() == RUN_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_runs_restore_only_when_the_last_one_ends() -> None:
    gc.set_threshold(700, 10, 10)
    first = relaxed_collection()
    second = relaxed_collection()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first to start ends first: the second still runs
    assert gc.get_threshold() == RUN_THRESHOLDS
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_failing_run_restores_them_too() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), relaxed_collection():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)
    assert _gc._running == 0


def test_higher_thresholds_and_collection_off_are_left_alone() -> None:
    gc.set_threshold(500_000, 5, 1_000)
    with relaxed_collection():
        assert gc.get_threshold() == (500_000, 50, 1_000)
    gc.set_threshold(0, 10, 10)  # threshold 0: the process turned collection off
    with relaxed_collection():
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)
