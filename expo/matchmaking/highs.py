"""The weight model, solved with HiGHS: LP relaxation for a bound and a rounding, MILP to prove.

Variables x[m, t] (meeting m in slot t) exist only for the movable meetings' candidate slots
left free by the fixed meetings. Rows are written only where they can bind: a meeting with
two or more candidate slots (at most once), a participant with two or more candidates in a
slot (no double booking), a slot whose room cap is below its candidates, a participant whose
max_meetings is below their number of meetings.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from .board import UNPLACED, Board


@dataclass
class WeightModel:
    col_meeting: np.ndarray
    col_slot: np.ndarray
    lp: highspy.HighsLp
    room_rows: int = 0
    """Rows capping a slot's rooms: they couple all meetings and slow simplex down."""

    @property
    def empty(self) -> bool:
        return len(self.col_meeting) == 0


def build(board: Board) -> WeightModel:
    """The weight model of the movable meetings still unplaced on `board`."""
    meetings = board.instance.meetings
    cols_m: list[int] = []
    cols_t: list[int] = []
    for m, slots in enumerate(board.candidates):
        if board.slot_of[m] != UNPLACED:
            continue
        a, b = meetings[m].a, meetings[m].b
        if board.count[a] >= board.limit[a] or board.count[b] >= board.limit[b]:
            continue
        busy_a, busy_b = board.busy[a], board.busy[b]
        for t in slots:
            if t not in busy_a and t not in busy_b and board.used[t] < board.rooms:
                cols_m.append(m)
                cols_t.append(t)
    col_m = np.asarray(cols_m, dtype=np.int64)
    col_t = np.asarray(cols_t, dtype=np.int64)
    n = len(col_m)
    col = np.arange(n, dtype=np.int64)
    end_a = np.asarray([x.a for x in meetings], dtype=np.int64)
    end_b = np.asarray([x.b for x in meetings], dtype=np.int64)
    col_a = end_a[col_m] if n else col_m
    col_b = end_b[col_m] if n else col_m
    n_slots = len(board.instance.slots)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    uppers: list[np.ndarray] = []
    n_rows = 0

    def add_rows(keys: np.ndarray, members: np.ndarray, capacity: np.ndarray | None) -> None:
        """One row per key whose members can exceed its capacity (1 when None)."""
        nonlocal n_rows
        if len(keys) == 0:
            return
        uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        cap = np.ones(len(uniq)) if capacity is None else capacity[uniq].astype(float)
        binding = counts > cap
        row_of = np.full(len(uniq), -1, dtype=np.int64)
        row_of[binding] = np.arange(n_rows, n_rows + int(binding.sum()))
        keep = binding[inverse]
        rows.append(row_of[inverse[keep]])
        cols.append(members[keep])
        uppers.append(cap[binding])
        n_rows += int(binding.sum())

    add_rows(col_m, col, None)
    person_slot = np.concatenate([col_a * n_slots + col_t, col_b * n_slots + col_t])
    add_rows(person_slot, np.tile(col, 2), None)
    room_left = board.rooms - np.asarray(board.used, dtype=np.int64)
    before_rooms = n_rows
    add_rows(col_t, col, room_left)
    room_rows = n_rows - before_rooms
    # A participant's meetings are counted once each, whatever their number of columns.
    left = np.asarray(board.limit, dtype=np.int64) - np.asarray(board.count, dtype=np.int64)
    n_people = len(board.count)
    people = np.concatenate([col_a, col_b])
    n_meetings = max(len(meetings), 1)
    pairs = np.unique(np.concatenate([col_a * n_meetings + col_m, col_b * n_meetings + col_m]))
    distinct = np.bincount(pairs // n_meetings, minlength=n_people)
    limited = np.flatnonzero(distinct > left)
    if len(limited):
        mask = np.isin(people, limited)
        add_rows(people[mask], np.tile(col, 2)[mask], left)

    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = n_rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.asarray([meetings[m].weight for m in cols_m], dtype=float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = np.full(n_rows, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate(uppers) if uppers else np.zeros(0)
    if n_rows:
        matrix = sparse.csc_matrix(
            (np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, n),
        )
        matrix.sort_indices()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data
    else:
        lp.a_matrix_.start_ = np.zeros(n + 1, dtype=np.int32)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = n_rows
    return WeightModel(col_m, col_t, lp, room_rows)


def new_highs(time_limit: float) -> highspy.Highs:
    """A silent HiGHS instance (its banner must not reach stdout, which may carry JSON)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("threads", 1)
    return h


@dataclass
class Relaxation:
    values: np.ndarray
    bound: int
    solved: bool


PDLP_MIN_COLUMNS = 150_000
"""From this many columns on, or with room caps, the first-order LP method (PDLP) is used:
measured on generated instances, dual simplex took 0.25 s on 73k columns and 0.8 s on 90k
without room caps, but more than 15 s on 245k columns or 90k with room caps, where PDLP took
2.2 s and 1.1 s. Simplex that runs out of its share of time hands over to PDLP."""


def solve_lp(model: WeightModel, time_limit: float) -> Relaxation:
    """The LP relaxation: fractional values, and a proven bound from its dual values.

    Whatever the LP method and its tolerances, any row prices y >= 0 give the valid bound
    y.u + sum(max(0, c - A'y)) (Lagrangian relaxation with 0 <= x <= 1); it is computed
    here exactly from the duals returned, then rounded down (weights are integers).
    """
    started = time.perf_counter()
    lp = model.lp
    if lp.num_col_ < PDLP_MIN_COLUMNS and model.room_rows == 0:
        relaxation = _run_lp(model, time_limit * 0.5, "simplex")
        left = time_limit - (time.perf_counter() - started)
        if relaxation.solved or left < 0.3 * time_limit:
            # Out of time: the unfinished simplex's duals still give a proven bound.
            return relaxation
    left = time_limit - (time.perf_counter() - started)
    return _run_lp(model, max(left, 0.05), "pdlp")


def _run_lp(model: WeightModel, time_limit: float, method: str) -> Relaxation:
    h = new_highs(time_limit)
    lp = model.lp
    h.setOptionValue("solver", method)
    h.passModel(lp)
    h.run()
    solution = h.getSolution()
    values = np.asarray(solution.col_value)
    duals = np.asarray(solution.row_dual)
    if len(values) != lp.num_col_ or len(duals) != lp.num_row_:
        return Relaxation(np.zeros(lp.num_col_), _trivial(model), False)
    cost = np.asarray(lp.col_cost_)
    prices = np.maximum(duals, 0.0)
    if lp.num_row_:
        matrix = sparse.csc_matrix(
            (
                np.asarray(lp.a_matrix_.value_),
                np.asarray(lp.a_matrix_.index_),
                np.asarray(lp.a_matrix_.start_),
            ),
            shape=(lp.num_row_, lp.num_col_),
        )
        reduced = cost - matrix.T @ prices
        dual_bound = float(prices @ np.asarray(lp.row_upper_) + np.maximum(reduced, 0).sum())
    else:
        dual_bound = float(np.maximum(cost, 0).sum())
    bound = min(_trivial(model), math.floor(dual_bound + 1e-6))
    solved = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return Relaxation(np.clip(values, 0.0, 1.0), bound, solved)


def _trivial(model: WeightModel) -> int:
    weights: dict[int, float] = {}
    for m, w in zip(model.col_meeting.tolist(), model.lp.col_cost_, strict=True):
        weights[m] = w
    return int(sum(weights.values()))


@dataclass
class MipOutcome:
    chosen: list[int]
    """Columns set to 1 in the best solution found (empty when none)."""
    bound: int


def solve_mip(
    model: WeightModel,
    time_limit: float,
    start: np.ndarray | None,
    on_progress: Callable[[str], None] | None = None,
) -> MipOutcome:
    """Branch and bound on the weight model, started from `start` (0/1 per column)."""
    h = new_highs(time_limit)
    lp = model.lp
    lp.integrality_ = [highspy.HighsVarType.kInteger] * lp.num_col_
    h.passModel(lp)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.999)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start.astype(float).tolist()
        solution.value_valid = True
        h.setSolution(solution)
    h.run()
    info = h.getInfo()
    dual = info.mip_dual_bound
    bound = math.floor(dual + 1e-6) if math.isfinite(dual) else _trivial(model)
    chosen: list[int] = []
    if info.primal_solution_status == highspy.kSolutionStatusFeasible:
        chosen = np.flatnonzero(np.asarray(h.getSolution().col_value) > 0.5).tolist()
    if on_progress is not None:
        on_progress(f"MILP: {h.modelStatusToString(h.getModelStatus())}, bound {bound}")
    return MipOutcome(chosen, bound)
