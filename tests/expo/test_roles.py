"""Every route and socket × every role: the declared gate lets in exactly who it says."""

import re

import pytest
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from expo.accounts.roles import ALL_PRINCIPALS
from expo.app import create_app
from expo.settings import Settings
from expo.web.routing import walk
from tests.helpers import login_as, seed_demo, session_csrf

SAMPLES = {"slug": "district-harbour", "token": "not-a-real-token"}


def concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name, _, kind = match.group(1).partition(":")
        return SAMPLES.get(name, "1" if kind in ("int", "") and name.endswith("id") else "1")

    return re.sub(r"{([^}]+)}", value, path)


def gated_routes(settings: Settings) -> list[tuple[str, object]]:
    app = create_app(settings)
    return [(path, item) for path, item in walk(app.routes) if not isinstance(item, Mount)]


def test_every_route_declares_who_may_use_it(settings: Settings) -> None:
    undeclared = [path for path, item in gated_routes(settings) if not hasattr(item, "allow")]
    assert undeclared == []


@pytest.mark.parametrize("principal", ALL_PRINCIPALS)
def test_route_gate_allows_exactly_the_declared_roles(principal: str, settings: Settings) -> None:
    seed_demo(settings.database_url)
    wrong: list[str] = []
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        login_as(client, principal)
        token = session_csrf(client)
        for path, item in gated_routes(settings):
            url = concrete(path)
            allowed = principal in item.allow  # type: ignore[attr-defined]
            if isinstance(item, WebSocketRoute):
                try:
                    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
                    with client.websocket_connect(url, headers={"cookie": cookies}) as socket:
                        # Refusals accept, then close with 4401/4403/4404: a ping tells them
                        # apart (every socket answers a frame, even one it does not know).
                        socket.send_text('{"type": "ping"}')
                        socket.receive_text()
                        socket.close()
                        got_in = True
                except WebSocketDisconnect as closed:
                    got_in = closed.reason != "role"  # the gate's refusal, not an endpoint's
                if got_in != allowed:
                    wrong.append(f"WS {url}: allowed={allowed} but got_in={got_in}")
                continue
            assert isinstance(item, Route)
            for method in sorted(item.methods or ()):
                if method == "HEAD":
                    continue
                response = client.request(
                    method,
                    url,
                    headers={"x-csrf-token": token, "accept": "text/html"},
                    follow_redirects=False,
                )
                denied = response.headers.get("x-denied-by") == "role"
                if denied == allowed or response.status_code >= 500:
                    wrong.append(f"{method} {url}: allowed={allowed}, got {response.status_code} denied={denied}")
                if url == "/logout" and allowed:  # signed out by the request itself: sign in again
                    login_as(client, principal)
                    token = session_csrf(client)
    assert wrong == []


# (Origin header, refused?) for a server at http://testserver: another site, a same-site
# subdomain, a look-alike suffix, another port, another scheme's socket URL, a sandboxed
# page ("null"); then the expo's own origin (also with a trailing slash and in capitals).
ORIGINS = [
    ("https://evil.example.org", True),
    ("http://chat.testserver", True),
    ("http://testserver.evil.example", True),
    ("http://testserver:8080", True),
    ("ws://testserver", True),
    ("null", True),
    ("http://testserver", False),
    ("HTTP://TestServer/", False),
]


@pytest.mark.parametrize("principal", ALL_PRINCIPALS)
def test_every_socket_refuses_a_foreign_origin_and_accepts_its_own(principal: str, settings: Settings) -> None:
    """Cross-site WebSocket hijacking: a page on another origin (even a same-site subdomain)
    must not open a socket with the visitor's cookie; every socket × every role × ORIGINS."""
    seed_demo(settings.database_url)
    wrong: list[str] = []
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        login_as(client, principal)
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        for path, item in gated_routes(settings):
            if not isinstance(item, WebSocketRoute):
                continue
            url = concrete(path)
            for origin, refused in ORIGINS:
                try:
                    with client.websocket_connect(url, headers={"cookie": cookies, "origin": origin}) as socket:
                        socket.send_text('{"type": "ping"}')
                        socket.receive_text()
                        got = "open"
                except WebSocketDisconnect as closed:
                    got = closed.reason
                if (got == "origin") != refused:
                    wrong.append(f"WS {url} origin={origin}: {got}")
    assert wrong == []
