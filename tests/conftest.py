"""Fixtures shared by the whole suite: databases (SQLite always; PostgreSQL and Redis when
EXPO_TEST_DATABASE_URL / EXPO_TEST_REDIS_URL are set), the app, a real server process, and
a real Chromium."""

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from expo.app import create_app
from expo.migrate import upgrade
from expo.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("EXPO_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("EXPO_TEST_REDIS_URL")
# Under pytest-xdist (`make test` runs a few workers) each worker gets a database of its own
# (<name>_gw0, ...) and a Redis database number of its own (the given one + 8 + worker; the bus
# scopes its channels to it), so workers never see each other's rows, keys or messages.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw"):
    if PG_URL:
        PG_URL = (
            make_url(PG_URL)
            .set(database=f"{make_url(PG_URL).database}_{_WORKER}")
            .render_as_string(hide_password=False)
        )
    if REDIS_URL:
        _root, _, _number = REDIS_URL.rpartition("/")
        if not _number.isdigit() or _root.endswith(":/"):
            _root, _number = REDIS_URL.rstrip("/"), "0"
        REDIS_URL = f"{_root}/{(int(_number) + 8 + int(_WORKER[2:])) % 16}"
DATABASES = ["sqlite"] + (["postgres"] if PG_URL else [])
METRICS_TOKEN = "test-metrics-token"
METRICS_AUTH = {"authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _reset_postgres(url: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()

    asyncio.run(run())


def in_thread(function, *args):  # type: ignore[no-untyped-def]
    """Runs ``function`` in a worker thread: safe even where an event loop is running (the
    sync Playwright API runs one in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def fresh_database(kind: str, directory: Path) -> str:
    """A migrated, empty database of ``kind`` ("sqlite" or "postgres")."""
    return in_thread(_fresh_database, kind, directory)


_SQLITE_TEMPLATE: list[Path] = []


def _sqlite_template() -> Path:
    """An SQLite file migrated once per test process: each test gets a copy of it (running
    every package's migrations takes ~2 s, a copy a few milliseconds)."""
    if not _SQLITE_TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="expo-schema-")) / "template.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        _SQLITE_TEMPLATE.append(path)
    return _SQLITE_TEMPLATE[0]


def _fresh_database(kind: str, directory: Path) -> str:
    if kind == "sqlite":
        target = directory / "expo.db"
        with closing(sqlite3.connect(_sqlite_template())) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)  # a consistent copy, whatever is still in the template's WAL
        return f"sqlite+aiosqlite:///{target}"
    if not PG_URL:
        pytest.fail("EXPO_TEST_DATABASE_URL is not set")
    _copy_postgres_template(PG_URL)
    return PG_URL


_PG_TEMPLATE: list[str] = []


def _copy_postgres_template(url: str) -> None:
    """Recreates the database of ``url`` as a copy of a template database migrated once per
    test process (``CREATE DATABASE … TEMPLATE``: a fraction of a second, against ~3 s for
    running every migration)."""
    target = make_url(url)
    name, template = target.database, f"{target.database}_template"
    admin = target.set(database="postgres")

    async def admin_run(*statements: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
        finally:
            await engine.dispose()

    if not _PG_TEMPLATE:
        asyncio.run(admin_run(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)', f'CREATE DATABASE "{template}"'))
        upgrade(target.set(database=template).render_as_string(hide_password=False))
        _PG_TEMPLATE.append(template)
    asyncio.run(
        admin_run(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
        )
    )


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request.param, tmp_path)


def make_settings(database_url: str, var_dir: Path, redis_url: str | None = None, **overrides: object) -> Settings:
    env = {
        "EXPO_DATABASE_URL": database_url,
        "EXPO_VAR_DIR": str(var_dir),
        "EXPO_SECRET_KEY": "test-secret-key-not-for-production",
        "EXPO_LOG_LEVEL": "WARNING",
        "EXPO_METRICS_TOKEN": METRICS_TOKEN,
    }
    if redis_url:
        env["EXPO_REDIS_URL"] = redis_url
    env.update({k: str(v) for k, v in overrides.items()})
    return Settings.from_env(env)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "var")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.fail("EXPO_TEST_REDIS_URL is not set")  # only requested when it is
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
        # Rate-limit budgets live in Redis across processes and outlive a test: each test
        # starts with a fresh database, so also with fresh budgets (user ids repeat).
        for key in client.scan_iter("expo:rate:*"):
            client.delete(key)
        client.close()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    return REDIS_URL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A real ``expo serve`` in a subprocess, on a free port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = {**os.environ, **env, "EXPO_PORT": str(self.port), "EXPO_HOST": "127.0.0.1"}
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "expo", "serve"],
            env=full_env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def seeded_env(kind: str, directory: Path, redis: str | None = None) -> dict[str, str]:
    """Environment for a server on a fresh database of ``kind`` holding the demo expo."""
    from expo.demo import seed

    url = fresh_database(kind, directory)
    in_thread(asyncio.run, seed(url))
    env = {
        "EXPO_DATABASE_URL": url,
        "EXPO_VAR_DIR": str(directory / "var"),
        "EXPO_SECRET_KEY": "e2e-secret-key",
        "EXPO_LOG_LEVEL": "WARNING",
    }
    if redis:
        env["EXPO_REDIS_URL"] = redis
    return env


@pytest.fixture(scope="session", params=DATABASES)
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server per database kind for the session, holding the demo expo."""
    directory = tmp_path_factory.mktemp(f"server-{request.param}")
    redis = REDIS_URL if request.param == "postgres" else None
    server = ServerProcess(seeded_env(request.param, directory, redis), directory / "server.log")
    yield server
    server.stop()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium through the sync Playwright API. Module-scoped: Playwright keeps an event
    loop running in the main thread while it is open, which would stop later async tests."""
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("/usr/bin/chromium is missing: make test installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
