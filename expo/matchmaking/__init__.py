"""The meeting scheduler: place requested 1:1 meetings into time slots.

Pure functions from an instance (docs/scheduler.md) to a result; no HTTP, no database.

    instance = loads_instance(text)            # or load_instance(decoded_json)
    result = solve(instance, time_limit=10)    # Result; result.to_dict() is the JSON
    problems = check(instance_json, result.to_dict())   # independent checker
    result = await solve_in_worker(instance_json, time_limit=10)   # from async code

Importing this package is cheap: numpy, SciPy, HiGHS and OR-Tools load when a solve starts.
"""

from .checker import check, count_breaks
from .instance import Instance, InstanceError, load_instance, loads_instance
from .result import FEASIBLE, OPTIMAL, Result, parse_progress
from .solver import DEFAULT_TIME_LIMIT, solve, solve_greedy
from .worker import WorkerError, solve_in_worker

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "FEASIBLE",
    "OPTIMAL",
    "Instance",
    "InstanceError",
    "Result",
    "WorkerError",
    "check",
    "count_breaks",
    "load_instance",
    "loads_instance",
    "parse_progress",
    "solve",
    "solve_greedy",
    "solve_in_worker",
]
