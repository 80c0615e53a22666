"""The `expo` command: real subprocesses, real databases."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def expo(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "EXPO_LOG_LEVEL": "WARNING", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "expo", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=ROOT,
        input=stdin,
        timeout=120,
    )


def test_demo_seeds_once_and_user_create_adds_an_organizer(tmp_path: Path) -> None:
    env = {"EXPO_VAR_DIR": str(tmp_path), "EXPO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/expo.db"}
    first, second = expo("demo", env=env), expo("demo", env=env)
    assert (first.returncode, first.stdout.strip()) == (0, "demo expo seeded")
    assert second.stdout.strip() == "the database already holds an expo: demo data not added"
    made = expo(
        "user",
        "create",
        "--role",
        "organizer",
        "--email",
        "Boss@Office.example",
        "--name",
        "Boss",
        "--password",
        "a-strong-password",
        env=env,
    )
    assert made.returncode == 0 and "created organizer boss@office.example" in made.stdout
    again = expo(
        "user",
        "create",
        "--role",
        "organizer",
        "--email",
        "boss@office.example",
        "--name",
        "Boss",
        "--password",
        "a-strong-password",
        env=env,
    )
    assert (again.returncode, again.stderr.strip()) == (2, "expo: email: An account with this email already exists.")
    host = expo(
        "user",
        "create",
        "--role",
        "host",
        "--email",
        "h@d.example",
        "--name",
        "H",
        "--password",
        "a-strong-password",
        env=env,
    )
    assert (host.returncode, host.stderr.strip()) == (
        2,
        "expo: district: A district host belongs to a district or zone.",
    )


def test_bad_database_url_says_what_to_do(tmp_path: Path) -> None:
    result = expo("db", "upgrade", env={"EXPO_VAR_DIR": str(tmp_path), "EXPO_DATABASE_URL": "mysql://x/y"})
    assert result.returncode == 2
    assert "the expo runs on 'sqlite+aiosqlite' or 'postgresql+asyncpg'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_says_what_to_do(tmp_path: Path) -> None:
    result = expo(
        "db",
        "upgrade",
        env={"EXPO_VAR_DIR": str(tmp_path), "EXPO_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
    )
    assert result.returncode == 2
    assert "Is the database server running" in result.stderr and "Traceback" not in result.stderr


def test_bad_setting_says_what_to_do(tmp_path: Path) -> None:
    result = expo("db", "upgrade", env={"EXPO_VAR_DIR": str(tmp_path), "EXPO_HOME_TZ": "Nowhere"})
    assert (result.returncode, result.stderr.strip()) == (2, "expo: EXPO_HOME_TZ='Nowhere' is not an IANA time zone")
