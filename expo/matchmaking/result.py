"""The scheduler's result: what the solvers return and what is written as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .board import UNPLACED, Board
from .instance import Instance

OPTIMAL = "optimal"
FEASIBLE = "feasible"


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
        }

    def summary(self) -> str:
        """One line for logs and the CLI."""
        breaks = f"breaks {self.breaks}"
        if self.breaks_bound is not None:
            breaks += f" (>= {self.breaks_bound})"
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
) -> Result:
    instance: Instance = board.instance
    pairs = sorted((t, m) for m, t in enumerate(board.slot_of) if t != UNPLACED)
    objective = board.weight
    bound = max(bound, objective)
    return Result(
        assignments=tuple((instance.meetings[m].id, instance.slots[t].id) for t, m in pairs),
        objective=objective,
        bound=bound,
        status=OPTIMAL if objective == bound else FEASIBLE,
        breaks=board.breaks(),
        seconds=seconds,
        placed=len(pairs),
        requested=len(instance.meetings),
        breaks_bound=breaks_bound,
        engines=engines,
    )
