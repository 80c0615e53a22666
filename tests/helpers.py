"""Small helpers for tests that drive the app through HTTP like a browser would."""

import asyncio
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.testclient import TestClient

from expo.demo import DEMO_PASSWORD, seed

T = TypeVar("T")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

DEMO_USERS = {
    "organizer": "organizer@expo.example",
    "host": "host@expo.example",
    "team": "team@expo.example",
    "investor": "investor@expo.example",
}


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine to completion from sync test code (in a thread of its own, so that it
    works even where the sync Playwright API keeps an event loop running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def seed_demo(database_url: str) -> None:
    run(seed(database_url))


def csrf_from(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = CSRF.search(page.text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def login(client: TestClient, email: str, password: str = DEMO_PASSWORD) -> None:
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]


def login_as(client: TestClient, role: str) -> None:
    if role != "anonymous":
        login(client, DEMO_USERS[role])


def session_csrf(client: TestClient) -> str:
    """The CSRF token of the client's current session (from a page's form)."""
    return csrf_from(client, "/forgot")
