"""The solver in a worker process: results come back, bad input is reported, cancel kills."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import time

import pytest

from expo.matchmaking import InstanceError, WorkerError, check, solve_in_worker
from expo.matchmaking.generate import random_instance

from .test_schedule_loader import example


def test_worker_returns_the_result_and_reports_progress() -> None:
    messages: list[str] = []

    result = asyncio.run(solve_in_worker(example(), 5, on_progress=messages.append))

    assert check(example(), result.to_dict()) == []
    assert (result.objective, result.status) == (4, "optimal")
    assert any("LP bound" in m for m in messages)
    assert multiprocessing.active_children() == []


def test_worker_reports_a_malformed_instance() -> None:
    data = example()
    data["meetings"][0]["weight"] = 0

    with pytest.raises(InstanceError, match="'m-1'"):
        asyncio.run(solve_in_worker(data, 5))


def test_cancelling_the_task_terminates_the_worker() -> None:
    big = random_instance(1, investors=1500, teams=700, requests=8000, days=2, per_day=24)

    async def start_then_cancel() -> float:
        task = asyncio.create_task(solve_in_worker(big, 120))
        await asyncio.sleep(2.0)
        assert len(multiprocessing.active_children()) == 1
        started = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.perf_counter() - started

    stopping = asyncio.run(start_then_cancel())

    assert multiprocessing.active_children() == []
    assert stopping < 5


def test_worker_overrunning_its_deadline_is_killed() -> None:
    # Big enough that the solver's non-interruptible work (loading, the greedy start) takes
    # well over the 0.15 s allowed: 8,000 requests came in under it once the solver learned
    # to stop at its time limit.
    big = random_instance(1, investors=4000, teams=1500, requests=30000, days=2, per_day=24)

    with pytest.raises(WorkerError, match="overran"):
        asyncio.run(solve_in_worker(big, 0.1, grace=0.05))

    assert multiprocessing.active_children() == []


def test_a_result_larger_than_the_pipe_buffer_arrives_under_uvloop() -> None:
    """uvicorn runs on uvloop, whose add_reader leaves the pipe non-blocking: a result of
    hundreds of kilobytes used to fail half-read with EAGAIN (BlockingIOError)."""
    uvloop = pytest.importorskip("uvloop", reason="uvloop comes with uvicorn[standard]")
    data = random_instance(3, investors=1500, teams=700, requests=8000, days=2, per_day=24)

    result = uvloop.run(solve_in_worker(data, 10, minimize_breaks=False))

    assert len(pickle.dumps(result)) > 100_000  # bigger than a pipe's 64 KiB buffer
    assert check(data, result.to_dict()) == []
