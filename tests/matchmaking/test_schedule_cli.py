"""`expo schedule solve|check` as a user runs it: a real subprocess, files and pipes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from expo.matchmaking import check

from .test_schedule_loader import example

CLI = [sys.executable, "-m", "expo.matchmaking.cli", "schedule"]


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False)


def test_solve_writes_a_valid_result_file_and_a_summary(tmp_path: Path) -> None:
    instance = tmp_path / "instance.json"
    instance.write_text(json.dumps(example()))
    output = tmp_path / "result.json"

    done = run("solve", str(instance), "-o", str(output), "--time-limit", "5")

    assert done.returncode == 0, done.stderr
    result = json.loads(output.read_text())
    assert check(example(), result) == []
    assert done.stdout == ""
    summary = done.stderr.strip().splitlines()[-1]
    assert summary.startswith("placed 2/3 meetings, objective 4, bound 4, gap 0.000%, breaks 0")


def test_solve_reads_stdin_and_writes_stdout_with_nothing_else() -> None:
    done = run("solve", "-", "-o", "-", "--quiet", stdin=json.dumps(example()))

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["objective"], result["status"]) == (4, "optimal")
    assert len(done.stderr.strip().splitlines()) == 1


def test_greedy_only_result_is_valid() -> None:
    done = run("solve", "-", "--greedy", stdin=json.dumps(example()))

    assert done.returncode == 0, done.stderr
    assert check(example(), json.loads(done.stdout)) == []


def _bad(change: Any) -> str:
    data = example()
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("stdin", "named"),
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ("[]", "JSON object"),
        (_bad(lambda d: d["meetings"][0].update(b="nobody")), "'nobody'"),
        (_bad(lambda d: d["meetings"][0].update(weight=-1)), "'m-1'"),
        (_bad(lambda d: d["meetings"][0].update(weight=10**100)), "'m-1'"),
        (_bad(lambda d: d["meetings"][0].update(b="inv-17")), "'m-1'"),
        (_bad(lambda d: d.update(slots=[])), "'slots' is empty"),
        (_bad(lambda d: d["participants"].append(dict(d["participants"][0]))), "'inv-17'"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(stdin: str, named: str) -> None:
    done = run("solve", "-", stdin=stdin)

    assert done.returncode == 2
    assert done.stdout == ""
    assert named in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_file_and_bad_time_limit_exit_2(tmp_path: Path) -> None:
    missing = run("solve", str(tmp_path / "nope.json"))
    bad_limit = run("solve", "-", "--time-limit", "-3", stdin=json.dumps(example()))

    assert (missing.returncode, bad_limit.returncode) == (2, 2)
    assert "nope.json" in missing.stderr
    assert "Traceback" not in missing.stderr + bad_limit.stderr


def test_check_reports_an_invalid_result(tmp_path: Path) -> None:
    instance = tmp_path / "instance.json"
    instance.write_text(json.dumps(example()))
    result = tmp_path / "result.json"
    result.write_text(
        json.dumps(
            {
                "assignments": [{"meeting": "m-1", "slot": "d1-01"}],
                "objective": 3,
                "bound": 3,
                "status": "optimal",
                "breaks": 0,
                "seconds": 0,
            }
        )
    )

    done = run("check", str(instance), str(result))

    assert done.returncode == 1
    assert "'team-4' is unavailable" in done.stderr
    assert "fixed meeting 'm-2'" in done.stderr
