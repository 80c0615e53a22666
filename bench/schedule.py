"""Benchmark of the meeting scheduler against the greedy baseline, measured in the same run.

    .venv/bin/python bench/schedule.py            # everything (about 6 minutes)
    .venv/bin/python bench/schedule.py --quick    # one instance per family, short limits
    .venv/bin/python bench/schedule.py --only forums --limit 25 --workers 2 --release 4d95fbd

Instances are generated with fixed seeds (expo/matchmaking/generate.py). Every result is
checked with the independent checker before its figures are printed. Figures:

1. full size: 10,000 requests, 2,000 investors, 1,000 teams, 48 slots: objective, bound and
   gap after the weight phase and its time; gain over greedy; peak memory;
2. 1,500 requests, 300 investors, 150 teams, 96 slots: time to a proven optimum;
3. breaks on forum-sized instances where every meeting fits: "compact" ones have a planted
   schedule with no break (optimum known: 0), "random" ones a planted schedule with breaks
   (optimum unknown: the CP-SAT lower bound is printed); beside: the breaks of the
   weight-only schedule and of greedy;
4. fairness: participants with a placeable request but no meeting, and the objective given
   up to serve them;
5. forums (issue 14): the `b2b_forum` families (generate.py), whose optimum number of breaks
   is known by construction; for each, the breaks of the weight-only schedule, of the release
   given by --release (that commit's expo/matchmaking, run from `git archive` in a
   subprocess: its own time limit and its own CP-SAT settings) and of this tree, with the
   proven lower bound, the seconds to the best schedule and to the proof; then the same
   with the fairness spread d = 1.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from expo.matchmaking import Result, check, load_instance, parse_progress, solve, solve_greedy  # noqa: E402
from expo.matchmaking.generate import (  # noqa: E402
    FORUM_FAMILIES,
    b2b_forum,
    compact_forum_instance,
    forum_instance,
    random_instance,
)


def checked(data: dict[str, Any], result: Result) -> Result:
    problems = check(data, result.to_dict())
    if problems:
        raise SystemExit(f"INVALID result: {problems[:3]}")
    return result


def uncovered(data: dict[str, Any], result: Result) -> int:
    """Participants with a placeable request (a common slot) and no meeting."""
    available = {p["id"]: set(p["available"]) for p in data["participants"]}
    limits = {p["id"]: p.get("max_meetings") for p in data["participants"]}
    placeable: set[str] = set()
    for m in data["meetings"]:
        common = available[m["a"]] & available[m["b"]]
        if "allowed_slots" in m:
            common &= set(m["allowed_slots"])
        if common:
            placeable.update(p for p in (m["a"], m["b"]) if limits[p] != 0)
    placed = {a["meeting"] for a in result.to_dict()["assignments"]}
    met: set[str] = set()
    for m in data["meetings"]:
        if m["id"] in placed:
            met.update((m["a"], m["b"]))
    return len(placeable - met)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def full_size_instance(seed: int, rooms: int | None = None) -> dict[str, Any]:
    """Investors free 6-12 slots a day (time zones), teams away half the time."""
    return random_instance(
        seed,
        2000,
        1000,
        10_000,
        days=2,
        per_day=24,
        window=(6, 12),
        team_off=0.5,
        rooms_per_slot=rooms,
    )


def full_size(seeds: list[int], limit: float, rooms: int | None = None) -> None:
    print(
        "\n## Full size: 10,000 requests, 2,000 investors, 1,000 teams, 48 slots (2 days),"
        f" rooms per slot: {rooms or 'no cap'}"
    )
    print(
        "seed | greedy obj | weight-phase obj | bound | gap % | gain vs greedy | weight s"
        " | breaks greedy -> final | total s"
    )
    for seed in seeds:
        data = full_size_instance(seed, rooms)
        instance = load_instance(data)
        greedy = checked(data, solve_greedy(instance))
        weight = checked(data, solve(instance, limit, minimize_breaks=False))
        full = checked(data, solve(instance, limit))
        print(
            f"{seed} | {greedy.objective} | {weight.objective} | {weight.bound} | "
            f"{100 * weight.gap:.3f} | x{weight.objective / greedy.objective:.4f} | "
            f"{weight.seconds:.2f} | {greedy.breaks} -> {full.breaks} | {full.seconds:.2f}"
        )
    print(f"peak memory of this process so far: {peak_mib():.0f} MiB")


def medium(seeds: list[int], limit: float) -> None:
    print("\n## 1,500 requests, 300 investors, 150 teams, 96 slots (4 days)")
    print("seed | greedy obj | obj | bound | status | weight s | ratio vs greedy")
    for seed in seeds:
        data = random_instance(seed, 300, 150, 1500, days=4, per_day=24, window=(6, 12), team_off=0.5)
        instance = load_instance(data)
        greedy = checked(data, solve_greedy(instance))
        weight = checked(data, solve(instance, limit, minimize_breaks=False))
        print(
            f"{seed} | {greedy.objective} | {weight.objective} | {weight.bound} | "
            f"{weight.status} | {weight.seconds:.2f} | x{weight.objective / greedy.objective:.4f}"
        )


FORUMS = [
    (40, 125, 8, 18),
    (50, 160, 10, 20),
    (60, 200, 14, 20),
    (70, 250, 16, 24),
    (80, 300, 22, 27),
]


def breaks(cases: list[tuple[str, int, tuple[int, int, int, int]]], limit: float) -> None:
    print("\n## Breaks on forum-sized instances (every meeting fits), time limit", limit, "s")
    print(
        "family | seed | people | meetings | slots | rooms | placed | greedy breaks | "
        "weight-only breaks | breaks | lower bound | s"
    )
    for family, seed, shape in cases:
        generator = compact_forum_instance if family == "compact" else forum_instance
        data = generator(seed, *shape)
        instance = load_instance(data)
        greedy = checked(data, solve_greedy(instance))
        plain = checked(data, solve(instance, limit, minimize_breaks=False))
        best = checked(data, solve(instance, limit))
        lower = 0 if family == "compact" else best.breaks_bound
        print(
            f"{family} | {seed} | {shape[0]} | {len(data['meetings'])} | {shape[2]} | {shape[3]}"
            f" | {best.placed}/{best.requested} | {greedy.breaks} | {plain.breaks} | "
            f"{best.breaks} | {lower if lower is not None else '?'} | {best.seconds:.1f}"
        )


FORUM_SHAPES = [
    # people, meetings, morning slots, afternoon slots (0: no lunch pause)
    (40, 125, 8, 0),
    (50, 160, 10, 0),
    (60, 200, 7, 7),
    (70, 250, 8, 8),
    (80, 300, 11, 11),
]

RELEASE_RUNNER = """
import json, sys, time
from expo.matchmaking import load_instance, solve
data = json.load(sys.stdin)
started = time.perf_counter()
result = solve(load_instance(data), float(sys.argv[1]))
print(json.dumps({"result": result.to_dict(), "seconds": time.perf_counter() - started,
                  "breaks_bound": result.breaks_bound}))
"""


def release_tree(commit: str) -> Path:
    """That commit's expo/matchmaking (and expo/__init__.py), extracted to a temporary folder."""
    import subprocess
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="schedule-release-"))
    archive = subprocess.run(
        ["git", "archive", commit, "expo/__init__.py", "expo/matchmaking"],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    return root


def run_release(root: Path, data: dict[str, Any], limit: float) -> dict[str, Any]:
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", RELEASE_RUNNER, str(limit)],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    out = json.loads(done.stdout)
    problems = check(data, out["result"])
    if problems:
        raise SystemExit(f"INVALID release result: {problems[:3]}")
    return out


def timed_solve(data: dict[str, Any], limit: float, workers: int) -> tuple[Result, float]:
    """The result and the seconds until its final number of breaks was first reached."""
    marks: list[tuple[float, dict[str, Any]]] = []
    started = time.perf_counter()

    def progress(line: str) -> None:
        parsed = parse_progress(line)
        if parsed is not None and parsed["phase"] == "breaks":
            marks.append((time.perf_counter() - started, parsed))

    result = checked(data, solve(load_instance(data), limit, workers=workers, progress=progress))
    to_best = next((t for t, p in marks if p["best"] == result.breaks), result.seconds)
    return result, to_best


def forums(
    seeds: list[int],
    limit: float,
    workers: int,
    release: str | None,
    spread: int | None,
    shapes: list[tuple[int, int, int, int]] | None = None,
    families: tuple[str, ...] = FORUM_FAMILIES,
) -> None:
    title = "Forum families (breaks; optimum known by construction)"
    if spread is not None:
        title += f", fairness spread d = {spread}"
    print(f"\n## {title}, time limit {limit} s, CP-SAT workers {workers}")
    print(
        "family | seed | people | meetings | slots | optimum | weight-only | release (s) | "
        "breaks | bound | spread | to best s | to proof s"
    )
    root = release_tree(release) if release and spread is None else None
    totals = {"optimum": 0, "weight": 0, "release": 0, "breaks": 0, "within1": 0, "optimal": 0, "n": 0}
    for family in families:
        for k, shape in enumerate(FORUM_SHAPES):
            if shapes is not None and shape not in shapes:
                continue
            for seed in seeds:
                data, optimum = b2b_forum(seed + k, *shape, family=family)
                plain = checked(data, solve(load_instance(data), limit, minimize_breaks=False))
                if spread is not None:
                    data["break_spread"] = spread
                old = "-"
                if root is not None:
                    out = run_release(root, data, limit)
                    old = f"{out['result']['breaks']} ({out['seconds']:.1f})"
                    totals["release"] += out["result"]["breaks"]
                result, to_best = timed_solve(data, limit, workers)
                proof = f"{result.seconds:.1f}" if result.breaks_status == "optimal" else "-"
                slots = shape[2] + shape[3]
                print(
                    f"{family} | {seed + k} | {shape[0]} | {result.placed}/{result.requested} | {slots} | "
                    f"{optimum} | {plain.breaks} | {old} | {result.breaks} | {result.breaks_bound} | "
                    f"{result.break_spread}{'' if spread is None else ' ' + str(result.break_spread_status)} | "
                    f"{to_best:.1f} | {proof}",
                    flush=True,
                )
                totals["optimum"] += optimum
                totals["weight"] += plain.breaks
                totals["breaks"] += result.breaks
                # a dropped meeting or an unmet spread is no success
                complete = result.placed == result.requested and result.break_spread_status != "unmet"
                totals["within1"] += complete and result.breaks <= optimum + 1
                totals["optimal"] += complete and result.breaks_status == "optimal"
                totals["n"] += 1
    print(
        f"total: optimum {totals['optimum']}, weight-only {totals['weight']}, "
        f"release {totals['release'] if root is not None else '-'}, this tree {totals['breaks']}; "
        f"within 1 of the optimum on {totals['within1']}/{totals['n']}, proven optimal on "
        f"{totals['optimal']}/{totals['n']}"
    )


def cli_wall(command: list[str], data: dict[str, Any], limit: float, cwd: Path | None = None) -> tuple[float, str]:
    """Wall clock of one `schedule solve` process, and its summary line."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance.json"
        instance.write_text(json.dumps(data))
        started = time.perf_counter()
        done = subprocess.run(
            [*command, "schedule", "solve", str(instance), "-o", str(Path(folder) / "result.json")]
            + ["--time-limit", str(limit)],
            capture_output=True,
            text=True,
            cwd=cwd,
            env={"PYTHONPATH": str(cwd)} if cwd else None,
            check=True,
        )
        wall = time.perf_counter() - started
        check_problems = check(data, json.loads((Path(folder) / "result.json").read_text()))
        if check_problems:
            raise SystemExit(f"INVALID CLI result: {check_problems[:3]}")
    return wall, done.stderr.strip().splitlines()[-1]


def time_limits(release: str | None, limits: list[float]) -> None:
    print("\n## --time-limit: wall clock of the whole process (start-up and loading included)")
    print("instance | S | release wall s | this tree wall s | this tree summary")
    root = release_tree(release) if release else None
    cases = [
        ("forum 80 x 300", b2b_forum(5, 80, 300, 11, 11, family="tables")[0]),
        ("1,500 requests", random_instance(1, 300, 150, 1500, days=4, per_day=24, window=(6, 12), team_off=0.5)),
        ("10,000 requests", full_size_instance(1)),
    ]
    for name, data in cases:
        for limit in limits:
            old = "-"
            if root is not None:
                old = f"{cli_wall([sys.executable, '-m', 'expo.matchmaking.cli'], data, limit, root)[0]:.2f}"
            wall, summary = cli_wall([sys.executable, "-m", "expo"], data, limit)
            print(f"{name} | {limit:g} | {old} | {wall:.2f} | {summary}", flush=True)


def fairness(seeds: list[int], limit: float) -> None:
    print(
        "\n## Fairness: 10,000 requests, 2,000 investors, 1,000 teams, one day of 16 slots (investors free 4-8 slots)"
    )
    print("seed | uncovered plain | uncovered fair | objective plain | fair | cost %")
    for seed in seeds:
        data = random_instance(seed, 2000, 1000, 10_000, days=1, per_day=16, window=(4, 8), team_off=0.5)
        instance = load_instance(data)
        plain = checked(data, solve(instance, limit, minimize_breaks=False))
        fair = checked(data, solve(instance, limit, minimize_breaks=False, fairness=True))
        cost = 100 * (plain.objective - fair.objective) / plain.objective
        print(
            f"{seed} | {uncovered(data, plain)} | {uncovered(data, fair)} | {plain.objective} | "
            f"{fair.objective} | {cost:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one instance each, short limits")
    parser.add_argument(
        "--only",
        default="full,medium,breaks,fairness,time,forums",
        help="comma-separated sections (default: all)",
    )
    parser.add_argument("--limit", type=float, default=25.0, help="time limit per forum solve (default 25 s)")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT threads (default 2)")
    parser.add_argument("--seeds", type=int, default=1, help="forum instances per family and shape (default 1)")
    parser.add_argument("--families", default=",".join(FORUM_FAMILIES), help="forum families to run (default: all)")
    parser.add_argument(
        "--release", default="4d95fbd", help="commit whose scheduler is the release baseline ('' to skip)"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    started = time.perf_counter()
    if args.quick:
        full_size([1], 5.0)
        medium([1], 2.0)
        breaks([("compact", 1, FORUMS[0]), ("random", 1, FORUMS[0])], 10.0)
        fairness([1], 5.0)
        forums([1], 5.0, args.workers, args.release or None, None)
    else:
        if "full" in only:
            full_size([1, 2, 3], 5.0)
            full_size([1], 5.0, rooms=250)
        if "medium" in only:
            medium([1, 2, 3], 2.0)
        if "breaks" in only:
            cases = [("compact", k + 1, shape) for k, shape in enumerate(FORUMS)]
            cases += [("random", k + 1, shape) for k, shape in enumerate(FORUMS[:3])]
            breaks(cases, 25.0)
        if "fairness" in only:
            fairness([1, 2, 3], 30.0)
        if "time" in only:
            time_limits(args.release or None, [2.0, 10.0])
        if "forums" in only:
            seeds = list(range(1, args.seeds + 1))
            families = tuple(args.families.split(","))
            forums(seeds, args.limit, args.workers, args.release or None, None, families=families)
            lunch = [x for x in FORUM_SHAPES if x[3]]
            forums(seeds, args.limit, args.workers, None, 1, shapes=lunch, families=families)
    print(f"\nbench done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
