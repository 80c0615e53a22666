"""The scheduler's result: what the solvers return and what is written as JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .board import UNPLACED, Board
from .instance import Instance

OPTIMAL = "optimal"
FEASIBLE = "feasible"

_PROGRESS = re.compile(r"^(weight|breaks) \[([\w-]+)\]: best (\d+), bound (\d+|\?)")


def parse_progress(line: str) -> dict[str, Any] | None:
    """The phase, engine, current best and proven bound of a progress line, or None for the
    other (free-text) lines. Lines of the form

        weight [lp-round]: best 363, bound 363
        breaks [annealing]: best 36, bound 32 (54528 steps)

    give {"phase": "weight" | "breaks", "engine": ..., "best": int, "bound": int | None}.
    The weight phase maximises (bound >= best), the break phase minimises (bound <= best);
    a bound of "?" (None) means none is known."""
    match = _PROGRESS.match(line)
    if match is None:
        return None
    phase, engine, best, bound = match.groups()
    return {"phase": phase, "engine": engine, "best": int(best), "bound": None if bound == "?" else int(bound)}


@dataclass(frozen=True)
class Result:
    assignments: tuple[tuple[str, str], ...]
    """(meeting id, slot id) pairs, in slot order."""
    objective: int
    bound: int
    status: str
    breaks: int
    seconds: float
    placed: int
    requested: int
    breaks_bound: int | None = None
    """A proven lower bound on breaks at this objective, when one was computed."""
    engines: tuple[str, ...] = field(default=())
    """Which engines produced this schedule, for logs and benchmarks."""
    weight_status: str = FEASIBLE
    """`optimal` when objective == bound (the weight alone)."""
    breaks_status: str | None = None
    """`optimal` when breaks == breaks_bound, `feasible` otherwise, None without a break phase."""
    break_spread: int = 0
    """max - min breaks over the participants who have a request."""
    spread_limit: int | None = None
    """The fairness spread asked for (d), if any."""

    @property
    def break_spread_status(self) -> str | None:
        """`met` when a spread was asked and holds, `unmet` when none within it was found."""
        if self.spread_limit is None:
            return None
        return "met" if self.break_spread <= self.spread_limit else "unmet"

    @property
    def gap(self) -> float:
        """Relative distance between objective and bound (0.0 when proven optimal)."""
        if self.bound <= 0:
            return 0.0
        return (self.bound - self.objective) / self.bound

    def to_dict(self) -> dict[str, Any]:
        """The result as the JSON object of the contract."""
        return {
            "assignments": [{"meeting": m, "slot": s} for m, s in self.assignments],
            "objective": self.objective,
            "bound": self.bound,
            "status": self.status,
            "breaks": self.breaks,
            "seconds": round(self.seconds, 3),
            "weight_status": self.weight_status,
            "breaks_bound": self.breaks_bound,
            "breaks_status": self.breaks_status,
            "break_spread": self.break_spread,
            **({} if self.spread_limit is None else {"break_spread_status": self.break_spread_status}),
        }

    def summary(self) -> str:
        """One line for logs and the CLI."""
        breaks = f"breaks {self.breaks}"
        if self.breaks_bound is not None:
            breaks += f" (>= {self.breaks_bound})"
        if self.spread_limit is not None:
            if self.break_spread_status == "met":
                breaks += f", spread {self.break_spread} (<= {self.spread_limit} asked)"
            else:
                breaks += f", spread {self.break_spread} (NOT within the {self.spread_limit} asked)"
        return (
            f"placed {self.placed}/{self.requested} meetings, objective {self.objective}, "
            f"bound {self.bound}, gap {100 * self.gap:.3f}%, {breaks}, "
            f"{self.seconds:.2f} s [{self.status}; {'+'.join(self.engines)}]"
        )


def make_result(
    board: Board,
    bound: int,
    seconds: float,
    engines: tuple[str, ...],
    breaks_bound: int | None = None,
    *,
    breaks_goal: bool = False,
    break_spread: int | None = None,
) -> Result:
    """`status` is optimal when the weight is proven and, if breaks were a goal, the breaks
    meet their proven lower bound too, and a fairness spread asked for holds."""
    instance: Instance = board.instance
    pairs = sorted((t, m) for m, t in enumerate(board.slot_of) if t != UNPLACED)
    objective = board.weight
    bound = max(bound, objective)
    breaks = board.breaks()
    weight_status = OPTIMAL if objective == bound else FEASIBLE
    breaks_status = None
    if breaks_goal:
        breaks_status = OPTIMAL if breaks_bound is not None and breaks <= breaks_bound else FEASIBLE
    values = [board.breaks_of(p) for p, mine in enumerate(board.meetings_of) if mine]
    spread_met = break_spread is None or not values or max(values) - min(values) <= break_spread
    status = OPTIMAL if weight_status == OPTIMAL and breaks_status in (None, OPTIMAL) and spread_met else FEASIBLE
    return Result(
        assignments=tuple((instance.meetings[m].id, instance.slots[t].id) for t, m in pairs),
        objective=objective,
        bound=bound,
        status=status,
        breaks=breaks,
        seconds=seconds,
        placed=len(pairs),
        requested=len(instance.meetings),
        breaks_bound=breaks_bound,
        engines=engines,
        weight_status=weight_status,
        breaks_status=breaks_status,
        break_spread=max(values) - min(values) if values else 0,
        spread_limit=break_spread,
    )
