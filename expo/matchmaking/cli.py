"""`expo schedule …`: solve an instance file, check a result file.

    expo schedule solve INSTANCE.json -o RESULT.json [--time-limit S] [--fair] [--break-spread D]
                        [--workers N] [--no-breaks] [--greedy] [--quiet]
    expo schedule check INSTANCE.json RESULT.json

`--time-limit S` bounds the whole command, counted from the start of the process (Python's
start-up and the imports included): the solver gets S minus what has elapsed and minus a
reserve for writing the result, so the process ends within S + TIME_MARGIN seconds.

`-` reads stdin / writes stdout. Progress and the summary line go to stderr. Exit codes:
0 done, 1 the checked result is invalid, 2 bad input (the message names the entry).
Solvers are imported only when a command runs, so building the CLI stays cheap.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

MAX_TIME_LIMIT = 86_400.0

TIME_MARGIN = 0.5
"""Seconds past --time-limit the command may take (documented; tests hold it to this)."""

WRITE_SECONDS_PER_MEETING = 4e-5
"""Reserve for writing the result and for the interpreter's exit (measured at 10,000
meetings on the loaded machine: 0.1 s to write, 0.2 s to exit with numpy/SciPy loaded)."""


def register(subparsers: Any) -> None:
    """Add `schedule` with its `solve` and `check` commands to an argparse subparsers."""
    schedule = subparsers.add_parser("schedule", help="place requested 1:1 meetings into time slots")
    commands = schedule.add_subparsers(dest="schedule_command", metavar="COMMAND")
    commands.required = True

    solve = commands.add_parser("solve", help="solve an instance file (JSON)")
    solve.add_argument("instance", help="instance JSON file, or - for stdin")
    solve.add_argument("-o", "--output", default="-", help="result JSON file, or - for stdout (default)")
    solve.add_argument("--time-limit", type=_seconds, default=30.0, metavar="S", help="seconds (default 30)")
    solve.add_argument(
        "--fair",
        action="store_true",
        help="give everybody with a placeable request a meeting (costs at most 0.5%%)",
    )
    solve.add_argument(
        "--break-spread",
        type=_count,
        default=None,
        metavar="D",
        help="fairness: max - min breaks between participants at most D (overrides the instance's break_spread)",
    )
    solve.add_argument(
        "--workers", type=_count, default=None, metavar="N", help="CP-SAT threads (default: the CPUs, at most 8)"
    )
    solve.add_argument("--no-breaks", action="store_true", help="skip the break-minimising phase")
    solve.add_argument("--greedy", action="store_true", help="the greedy baseline only")
    solve.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    solve.set_defaults(func=solve_command)

    check = commands.add_parser("check", help="check a result against its instance")
    check.add_argument("instance", help="instance JSON file, or - for stdin")
    check.add_argument("result", help="result JSON file")
    check.set_defaults(func=check_command)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIME_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_TIME_LIMIT:.0f} seconds")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def process_age() -> float:
    """Seconds since this process started (Linux /proc), 0.0 where unknown."""
    import os

    try:
        with open("/proc/self/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as uptime:
            up = float(uptime.read().split()[0])
        return max(0.0, up - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


class _BadInput(Exception):
    pass


def _read(path: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise _BadInput(f"cannot read {path}: {exc.strerror}") from None


def _error(command: str, message: str) -> int:
    print(f"expo schedule {command}: error: {message}", file=sys.stderr)
    return 2


def solve_command(args: argparse.Namespace) -> int:
    started = time.perf_counter() - process_age()
    from .instance import InstanceError, loads_instance

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:6.2f} s] {message}", file=sys.stderr)

    try:
        instance = loads_instance(_read(args.instance))
    except (_BadInput, InstanceError) as exc:
        return _error("solve", str(exc))
    progress(
        f"instance: {len(instance.meetings)} meetings, {len(instance.participants)} "
        f"participants, {len(instance.slots)} slots"
    )
    if args.greedy:
        from .solver import solve_greedy

        result = solve_greedy(instance)
    else:
        from .solver import solve

        reserve = 0.1 + WRITE_SECONDS_PER_MEETING * len(instance.meetings)
        left = args.time_limit - (time.perf_counter() - started) - reserve
        result = solve(
            instance,
            max(0.05, left),
            minimize_breaks=not args.no_breaks,
            fairness=args.fair,
            break_spread=args.break_spread,
            workers=args.workers,
            progress=progress,
        )
    text = json.dumps(result.to_dict(), indent=1) + "\n"
    try:
        if args.output == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
    except OSError as exc:
        return _error("solve", f"cannot write {args.output}: {exc.strerror}")
    print(result.summary(), file=sys.stderr)
    return 0


def check_command(args: argparse.Namespace) -> int:
    from .checker import check
    from .instance import InstanceError, loads_instance

    try:
        raw_instance = _read(args.instance)
        loads_instance(raw_instance)
        raw_result = _read(args.result)
    except (_BadInput, InstanceError) as exc:
        return _error("check", str(exc))
    try:
        result = json.loads(raw_result)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _error("check", f"result is not valid JSON: {exc}")
    if not isinstance(result, dict) or not isinstance(result.get("assignments", []), list):
        return _error("check", "result must be an object with a list of assignments")
    if not all(isinstance(a, dict) for a in result.get("assignments", [])):
        return _error("check", "each assignment must be an object")
    problems = check(json.loads(raw_instance), result)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None, *, exit_at_once: bool = False) -> int:
    """Stand-alone entry: `python -m expo.matchmaking.cli schedule solve …`.

    `exit_at_once` (for a process that runs only this command) ends the process right after
    the output is flushed, skipping the interpreter's teardown: with numpy, SciPy, HiGHS and
    OR-Tools loaded it took 0.2-0.7 s on the loaded machine, past the time limit.
    """
    parser = argparse.ArgumentParser(prog="expo")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = int(args.func(args))
    if exit_at_once:
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main(exit_at_once=True))
