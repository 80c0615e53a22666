"""The scheduler: weight first (LP bound, rounding, repair, MILP when needed), then breaks.

Phase 1 maximises the total weight. The LP relaxation gives a proven bound; its solution is
rounded onto a board, filled greedily and repaired; the greedy schedule is computed too and
the better one kept, so the result is never below the baseline. When the rounding falls short
of the bound on a model of moderate size, HiGHS branch and bound starts from it and either
closes the gap or tightens the bound within its share of the time.

Phase 2 keeps that weight and removes breaks: CP-SAT on the exact model when the instance is
small enough for it (brokerage-event size), a local search on the big ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import breaks as breaks_phase
from .board import UNPLACED, Board
from .greedy import fill, greedy, greedy_order, repair
from .instance import Instance
from .result import Result, make_result

if TYPE_CHECKING:
    import numpy as np

    from . import highs

Progress = Callable[[str], None]

DEFAULT_TIME_LIMIT = 30.0

MILP_MAX_COLUMNS = 40_000
"""HiGHS branch and bound runs only on models up to this many (meeting, slot) columns: on a
90k-column model with room caps it overran a 2 s time limit by 30 s (its root LP does not
stop on time), while the LP rounding was already within 0.3% there."""


def solve_greedy(instance: Instance) -> Result:
    """The greedy baseline alone, with the trivial bound (every placeable meeting)."""
    started = time.perf_counter()
    board = Board(instance)
    greedy(board)
    bound = sum(instance.meetings[m].weight for m in range(len(instance.meetings)) if board.candidates[m])
    return make_result(board, bound, time.perf_counter() - started, ("greedy",))


def solve(
    instance: Instance,
    time_limit: float = DEFAULT_TIME_LIMIT,
    *,
    minimize_breaks: bool = True,
    fairness: bool = False,
    break_spread: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Result:
    """The best schedule found within `time_limit` seconds, with its proven bounds.

    `fairness` trades at most 0.5% of the objective for giving a meeting to everybody who has
    a placeable request (see `fairness.py`). `break_spread` (d) asks for max - min breaks
    <= d between the participants who have a request, as a hard constraint of the break
    phase (default: the instance's `break_spread`). `workers` is CP-SAT's number of threads
    (default: the CPUs, at most 8).
    """
    started = time.perf_counter()
    # The phases stop early enough for the result to be assembled within the limit.
    deadline = started + max(time_limit - FINISH_SECONDS_PER_MEETING * len(instance.meetings), 0.1)
    say = progress or (lambda _message: None)
    engines: list[str] = []
    if workers is None:
        workers = min(8, os.cpu_count() or 1)
    if break_spread is None:
        break_spread = instance.break_spread

    board = Board(instance)
    bound = _weight_phase(board, deadline, engines, say)
    if fairness:
        from .fairness import cover_everybody

        cover_everybody(board, max_loss=int(0.005 * board.weight))
        engines.append("fairness")
    breaks_bound = None
    if minimize_breaks or break_spread is not None:
        weight = board.weight
        breaks_bound = breaks_phase.minimize(board, deadline, engines, say, spread=break_spread, workers=workers)
        if board.weight < weight:
            bound = max(bound, weight)  # the spread repair gave weight up: the bound still holds
    result = make_result(
        board,
        bound,
        time.perf_counter() - started,
        tuple(engines),
        breaks_bound,
        breaks_goal=minimize_breaks or break_spread is not None,
        break_spread=break_spread,
    )
    say(f"done: {result.summary()}")
    return result


def _weight_phase(board: Board, deadline: float, engines: list[str], say: Progress) -> int:
    """Place meetings of maximum total weight on `board`; return the proven bound."""
    baseline = Board(board.instance)
    greedy(baseline)
    columns = sum(len(c) for m, c in enumerate(board.candidates) if not board.fixed[m])
    if columns == 0 or not affordable("highspy", deadline, LP_SECONDS_PER_COLUMN * columns):
        engines.append("greedy")
        board.copy_from(baseline.slot_of)
        bound = board.weight + sum(
            board.instance.meetings[m].weight
            for m, t in enumerate(board.slot_of)
            if t == UNPLACED and board.candidates[m]
        )
        why = "nothing to place" if columns == 0 else "no time for the LP"
        say(f"weight [greedy]: best {board.weight}, bound {bound} ({why})")
        return bound
    from . import highs  # numpy, scipy and HiGHS load only when a solve starts

    model = highs.build(board)
    fixed_weight = board.weight
    if model.empty:
        engines.append("greedy")
        board.copy_from(baseline.slot_of)
        return board.weight
    say(f"weight model: {len(model.col_meeting)} variables, {model.lp.num_row_} rows")
    lp_started = time.perf_counter()
    # 0.6: reading the solution and computing the dual bound take time of their own (1.2 s
    # on 90k columns on the loaded machine).
    relaxation = highs.solve_lp(model, _share(deadline, 0.6))
    lp_seconds = time.perf_counter() - lp_started
    bound = fixed_weight + relaxation.bound
    say(f"LP bound {bound} (greedy {baseline.weight})")
    say(f"weight [lp]: best {max(baseline.weight, fixed_weight)}, bound {bound}")
    _round(board, model, relaxation.values)
    engines.append("lp-round" if relaxation.solved else "greedy")
    if baseline.weight > board.weight:
        board.copy_from(baseline.slot_of)
        engines[-1] = "greedy"
    # HiGHS does not stop during its root LP: start branch and bound only with time for it.
    small = len(model.col_meeting) <= MILP_MAX_COLUMNS
    room = _share(deadline, 1.0) > max(0.2, 3 * lp_seconds)
    if board.weight < bound and relaxation.solved and small and room:
        start = _columns_of(board, model)
        outcome = highs.solve_mip(model, _share(deadline, 0.6), start, say)
        bound = min(bound, fixed_weight + outcome.bound)
        if outcome.chosen:
            candidate = Board(board.instance)
            for c in outcome.chosen:
                candidate.place(int(model.col_meeting[c]), int(model.col_slot[c]))
            if candidate.weight > board.weight:
                board.copy_from(candidate.slot_of)
        engines.append("milp")
    say(f"weight phase: objective {board.weight}, bound {bound}")
    say(f"weight [{engines[-1]}]: best {board.weight}, bound {bound}")
    return bound


FINISH_SECONDS_PER_MEETING = 3e-5
"""Assembling the result after the last phase (breaks count, sorting, ids): about 0.1 s at
10,000 meetings idle, 0.3 s on the loaded machine."""

LP_SECONDS_PER_COLUMN = 1e-5
"""Building the weight model and solving its LP, per (meeting, slot) column, at the least:
0.42 s for 47,356 columns on the loaded machine (the rounding and repair come on top)."""

IMPORT_FACTOR = {"highspy": 2.0, "ortools": 4.0}
"""First import of SciPy + HiGHS, or of OR-Tools, in units of numpy's own import time, which
is measured (it comes first): on this machine numpy took 0.1 s idle and 0.6-1.3 s with 8
people sharing its 2 cores, SciPy + HiGHS 1.5-2.5x that, OR-Tools 1.5-6x. Timing numpy is
what tells a loaded machine from an idle one."""

MIN_IMPORT_SECONDS = 0.3

_numpy_seconds: list[float] = []


def affordable(module: str, deadline: float, work: float = 0.0) -> bool:
    """Is there time to load `module` (unless it is loaded already) and do `work` seconds
    with it before `deadline`?"""
    import sys

    needed = work
    if module not in sys.modules:
        if "numpy" not in sys.modules:
            started = time.perf_counter()
            import numpy  # noqa: F401  (timed: the scale of the imports to come)

            _numpy_seconds.append(time.perf_counter() - started)
        scale = _numpy_seconds[0] if _numpy_seconds else 0.15
        needed += max(MIN_IMPORT_SECONDS, IMPORT_FACTOR.get(module, 3.0) * scale)
    return deadline - time.perf_counter() > max(needed, 0.05)


def _share(deadline: float, fraction: float) -> float:
    return max(0.05, (deadline - time.perf_counter()) * fraction)


def _round(board: Board, model: highs.WeightModel, values: np.ndarray) -> None:
    """Place columns by decreasing LP value in the LP's slot, then fill greedily and repair.

    Keeping the LP's slot for fractional columns too (rather than re-choosing a slot) was
    measured better with room caps: 14,777 against 14,768 of a 14,800 bound.
    """
    import numpy as np

    order = np.argsort(-values, kind="stable")
    for c in order[values[order] > 1e-6].tolist():
        m, t = int(model.col_meeting[c]), int(model.col_slot[c])
        if board.slot_of[m] == UNPLACED and board.can_place(m, t):
            board.place(m, t)
    fill(board, greedy_order(board, range(len(board.slot_of))))
    repair(board)


def _columns_of(board: Board, model: highs.WeightModel) -> np.ndarray:
    import numpy as np

    slot_of = np.asarray(board.slot_of, dtype=np.int64)
    return (slot_of[model.col_meeting] == model.col_slot).astype(float)
