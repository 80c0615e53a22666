"""Run the solver in a separate process, from async code, with a time limit and cancellation.

The server's event loop must never run the solver itself (seconds of CPU). `solve_in_worker`
starts a fresh process (the "spawn" method: safe in a multi-threaded server), waits for its
messages without blocking the loop, and terminates the process when the awaiting task is
cancelled or the hard deadline passes: cancellation really stops the work.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .instance import InstanceError
from .result import Result

GRACE_SECONDS = 15.0
"""How long past its time limit a worker may take (start-up, model building) before it is
killed."""


class WorkerError(RuntimeError):
    """The worker process failed or was killed at the hard deadline."""


def _work(conn: Connection, instance: Any, time_limit: float, options: dict[str, Any]) -> None:
    from .instance import load_instance
    from .solver import solve

    try:
        loaded = load_instance(instance)
        result = solve(loaded, time_limit, progress=lambda message: conn.send(("progress", message)), **options)
        conn.send(("result", result))
    except InstanceError as exc:
        conn.send(("invalid", str(exc)))
    except Exception as exc:  # reported to the parent, which raises WorkerError
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


async def solve_in_worker(
    instance: Any,
    time_limit: float = 30.0,
    *,
    on_progress: Callable[[str], None] | None = None,
    grace: float = GRACE_SECONDS,
    **options: Any,
) -> Result:
    """Solve a decoded JSON instance in a worker process.

    Raises InstanceError for a malformed instance, WorkerError when the worker fails or
    overruns `time_limit + grace`. Cancelling the awaiting task terminates the worker.
    Keyword `options` go to `solve` (e.g. fairness=True, minimize_breaks=False).
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_work, args=(sender, instance, time_limit, options), daemon=True)
    process.start()
    sender.close()
    try:
        async with asyncio.timeout(time_limit + grace):
            while True:
                await _readable(receiver)
                # Some loops (uvloop) leave the pipe non-blocking after add_reader: a result
                # larger than the pipe's buffer then fails with EAGAIN half-read. Read it
                # blocking, in a thread, so the event loop never waits on it.
                os.set_blocking(receiver.fileno(), True)
                try:
                    kind, payload = await asyncio.to_thread(receiver.recv)
                except EOFError:
                    raise WorkerError(f"worker exited with code {process.exitcode}") from None
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(payload)
                elif kind == "result":
                    return payload  # type: ignore[no-any-return]
                elif kind == "invalid":
                    raise InstanceError(payload)
                else:
                    raise WorkerError(payload)
    except TimeoutError:
        raise WorkerError(f"worker overran its time limit of {time_limit} s") from None
    finally:
        _stop(process)
        receiver.close()


async def _readable(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(conn.fileno(), wake)
    try:
        await ready
    finally:
        loop.remove_reader(conn.fileno())


def _stop(process: Any) -> None:
    if process.is_alive():
        process.terminate()
        process.join(2)
        if process.is_alive():
            process.kill()
    process.join()
