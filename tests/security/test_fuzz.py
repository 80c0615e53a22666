"""Bounded property-based fuzzing (hypothesis) of the JSON API from its own OpenAPI
description, of every WebSocket protocol, and of every form: no 500, every API answer
matches the schema declared for its status, every socket answers a frame (even garbage)
and stays open, and a bystander on the same socket route is unharmed.

Bounded for CI: ``FUZZ_EXAMPLES`` examples per API operation × role and per socket (default
25), ``FUZZ_FORM_EXAMPLES`` per form (default 8); the same cases every run (derandomized).
The counts of a run are printed (``-s``) and recorded in docs/performance.md.
"""

import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from expo.app import create_app
from expo.web.openapi import build, openapi_path
from expo.web.routing import walk
from tests.conftest import ROOT, fresh_database, make_settings
from tests.helpers import login_as, seed_demo, session_csrf

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FORM_EXAMPLES = int(os.environ.get("FUZZ_FORM_EXAMPLES", "8"))  # ~90 forms: fewer each
SHARED = {
    "deadline": None,
    "derandomize": True,  # the same cases every run: a failure in CI is reproducible
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
FUZZ = settings(max_examples=EXAMPLES, **SHARED)
FUZZ_FORMS = settings(max_examples=FORM_EXAMPLES, **SHARED)
COUNTS: Counter[str] = Counter()
STATUSES: Counter[str] = Counter()  # "POST /path 422": how the forms answered (printed with -s)

IDS = st.one_of(st.integers(0, 40), st.integers(2**31 - 2, 2**31 + 2), st.integers(2**63 - 1, 2**70))
NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\ud800", "'; DROP TABLE users; --", "<script>", "9" * 30, "-1", "1e309", "%"]),
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    directory = tmp_path_factory.mktemp("fuzz")
    url = fresh_database("sqlite", directory)
    seed_demo(url)
    app = create_app(make_settings(url, directory / "var"))
    clients = {}
    with (
        TestClient(app, base_url="http://127.0.0.1") as anonymous,
        TestClient(app, base_url="http://127.0.0.1") as staff,
        TestClient(app, base_url="http://127.0.0.1") as investor,
        TestClient(app, base_url="http://127.0.0.1") as host,
        TestClient(app, base_url="http://127.0.0.1") as team,
    ):
        login_as(staff, "organizer")
        login_as(investor, "investor")  # a party of the demo's booked meeting (its room socket)
        login_as(host, "host")
        login_as(team, "team")
        clients = {"anonymous": anonymous, "organizer": staff, "investor": investor, "host": host, "team": team}
        yield {"app": app, "spec": build(app.routes), "clients": clients, "sqlite": url.split("///", 1)[1]}
    print("\nfuzz cases:", dict(sorted(COUNTS.items())))  # noqa: T201
    print("form answers:", dict(sorted(STATUSES.items())))  # noqa: T201


def _value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("enum"):
        return st.one_of(st.sampled_from([str(v) for v in schema["enum"]]), NASTY_TEXT)
    if schema.get("type") == "integer":
        return st.one_of(st.integers(-5, 200).map(str), IDS.map(str), NASTY_TEXT)
    return NASTY_TEXT


def _quoted(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _check(spec: dict[str, Any], op: dict[str, Any], response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    declared = op["responses"].get(str(response.status_code))
    assert declared is not None, f"{where}: status {response.status_code} is not in the description"
    schema = declared.get("content", {}).get("application/json", {}).get("schema")
    if schema is not None:
        validator = Draft202012Validator({"allOf": [schema], "components": spec["components"]})
        errors = [e.message for e in validator.iter_errors(response.json())]
        assert errors == [], f"{where}: the body breaks its schema: {errors[:3]}"


def operations() -> list[tuple[str, str]]:
    from expo.settings import Settings

    app = create_app(Settings(secret_key="x", var_dir=Path("/nonexistent")))
    spec = build(app.routes)
    return [(path, method) for path, ops in spec["paths"].items() for method in ops if method == "get"]


@pytest.mark.parametrize(("path", "method"), operations())
@pytest.mark.parametrize("who", ["anonymous", "organizer"])
def test_api_operation_never_500s_and_answers_match_their_schema(
    app: dict[str, Any], path: str, method: str, who: str
) -> None:
    spec = app["spec"]
    op = spec["paths"][path][method]
    path_params = [p for p in op["parameters"] if p["in"] == "path"]
    query_params = [p for p in op["parameters"] if p["in"] == "query"]
    client: TestClient = app["clients"][who]

    @FUZZ
    @given(
        ids=st.fixed_dictionaries({p["name"]: IDS for p in path_params}),
        query=st.fixed_dictionaries({}, optional={p["name"]: _value(p["schema"]) for p in query_params}),
        junk=st.dictionaries(st.text(min_size=1, max_size=8), NASTY_TEXT, max_size=2),
    )
    def run(ids: dict[str, int], query: dict[str, str], junk: dict[str, str]) -> None:
        url = path
        for name, value in ids.items():
            url = url.replace("{" + name + "}", str(value))
        params = {**junk, **query}
        # Lone surrogates travel as the invalid UTF-8 a hostile client would send (%ED%A0%80).
        raw = "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in params.items())
        response = client.get(f"{url}?{raw}" if raw else url)
        COUNTS[f"GET {path}"] += 1
        _check(spec, op, response, f"GET {url} {params}")

    run()


# ---- API operations with a body ---------------------------------------------------------------

ROLE_ORDER = ["investor", "team", "host", "organizer", "anonymous"]


def _from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that follow ``schema`` (object, array, integer, number, string, boolean,
    enum), with integers near the demo's ids and past the database's ranges."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = {k: _from_schema(v) for k, v in schema.get("properties", {}).items()}
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: v for k, v in props.items() if k in required},
            optional={k: v for k, v in props.items() if k not in required},
        )
    if kind == "array":
        return st.lists(_from_schema(schema.get("items", {})), max_size=12)
    if kind == "integer":
        return st.one_of(st.integers(0, 60), IDS, st.integers(-(2**63), -1))
    if kind == "number":
        return st.floats(allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    return NASTY_TEXT


def _encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")  # "\ud800" as bad UTF-8


def _bodies(schema: dict[str, Any]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(content type, body): the schema's shape, its shape with wrong-typed parts, any JSON,
    cut JSON, not JSON, empty, oversized, and the wrong content type."""
    json_type = "application/json"
    shaped = _from_schema(schema)
    return st.one_of(
        shaped.map(lambda v: (json_type, _encoded(v))),
        st.dictionaries(st.sampled_from(sorted(schema.get("properties", {})) or ["x"]), JSON_VALUES, max_size=3).map(
            lambda v: (json_type, _encoded(v))
        ),
        JSON_VALUES.map(lambda v: (json_type, _encoded(v))),
        shaped.map(lambda v: (json_type, _encoded(v)[: max(1, len(_encoded(v)) // 2)])),
        NASTY_TEXT.map(lambda t: (json_type, t.encode("utf-8", "surrogatepass"))),
        st.just((json_type, b"")),
        st.integers(300_000, 400_000).map(lambda n: (json_type, b'{"slots": [' + b"1," * (n // 2) + b"1]}")),
        shaped.map(lambda v: ("application/x-www-form-urlencoded", _encoded(v))),
    )


def body_operations() -> list[tuple[str, str]]:
    from expo.settings import Settings

    app = create_app(Settings(secret_key="x", var_dir=Path("/nonexistent")))
    spec = build(app.routes)
    return [(path, method) for path, ops in spec["paths"].items() for method, op in ops.items() if "requestBody" in op]


@pytest.mark.parametrize(("path", "method"), body_operations())
def test_api_operation_with_a_body_never_500s_and_a_refusal_changes_nothing(
    app: dict[str, Any], path: str, method: str
) -> None:
    """As a user of a role the operation allows, with the session's CSRF token: bodies from
    the operation's own request schema and hostile ones. Every answer is in the description
    and matches its schema; after a refusal the resource (its GET) is as it was."""
    spec = app["spec"]
    op = spec["paths"][path][method]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    roles = [str(r) for r in op.get("x-roles", ["anonymous"])]
    who = next(r for r in ROLE_ORDER if r in roles)
    client: TestClient = app["clients"][who]
    token = session_csrf(client)
    readable = "get" in spec["paths"][path] and not any(p["in"] == "path" for p in op["parameters"])

    @FUZZ
    @given(body=_bodies(schema))
    @example(body=("application/json", b"{" + b'"x": 1, ' * 40_000 + b"}"))  # over the body bound
    @example(body=("application/json", '{"slots": ["\ud800"], "\ud800": 1}'.encode("utf-8", "surrogatepass")))
    @example(body=("application/json", b'{"slots": [9223372036854775808]}'))
    @example(body=("application/json", b""))
    @example(body=("text/plain", b"slots=1"))
    def run(body: tuple[str, bytes]) -> None:
        before = client.get(path).json() if readable else None
        content_type, content = body
        headers = {"content-type": content_type, "x-csrf-token": token, "accept": "application/json"}
        response = client.request(method.upper(), path, content=content, headers=headers)
        COUNTS[f"{method.upper()} {path}"] += 1
        _check(spec, op, response, f"{method.upper()} {path} {content[:200]!r}")
        if response.status_code >= 400:
            assert response.json()["error"]["message"], response.text[:300]
            if readable:
                assert client.get(path).json() == before, f"{path}: a refused {method.upper()} changed it"

    run()


# ---- sockets ---------------------------------------------------------------------------------

TYPES = ["hello", "send", "read", "ping", "ask", "vote", "moderate", "pong", "welcome", "", "x" * 50]
TYPES += ["chat", "offer", "answer", "candidate", "stats", "leave"]  # the meeting room's
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), IDS, st.floats(allow_nan=False), NASTY_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)
FRAMES = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(TYPES)},
        optional={
            k: JSON_VALUES
            for k in ("last_id", "thread_id", "id", "body", "text", "state", "client_id", "to", "sdp", "last_chat_id")
        },
    ).map(lambda d: ("text", json.dumps(d))),
    st.fixed_dictionaries({"type": st.sampled_from(TYPES)}).map(
        lambda d: ("text", json.dumps(d)[: len(json.dumps(d)) // 2])
    ),
    NASTY_TEXT.map(lambda t: ("text", t)),
    JSON_VALUES.map(lambda v: ("text", json.dumps(v))),
    st.integers(4097, 70_000).map(lambda n: ("text", '{"type": "send", "body": "' + "x" * n + '"}')),
    st.binary(max_size=64).map(lambda b: ("bytes", b)),
)


def sockets() -> list[str]:
    from expo.settings import Settings

    app = create_app(Settings(secret_key="x", var_dir=Path("/nonexistent")))
    return [path for path, item in walk(app.routes) if isinstance(item, WebSocketRoute)]


def _ping_until_pong(socket: Any) -> list[dict[str, Any]]:
    socket.send_text('{"type": "ping"}')
    seen = []
    while True:
        frame = socket.receive_json()
        seen.append(frame)
        if frame.get("type") == "pong":
            return seen


def _published_booth_and_pitch(client: TestClient) -> tuple[int, int]:
    booth = client.get("/api/booths").json()["items"][0]["id"]
    pitch = client.get("/api/pitches").json()["pitches"][0]["id"]
    return booth, pitch


@pytest.mark.parametrize("path", sockets())
def test_socket_answers_every_frame_and_stays_open(app: dict[str, Any], path: str) -> None:
    client: TestClient = app["clients"]["organizer"]
    booth, pitch = _published_booth_and_pitch(client)
    url = re.sub(r"{booth_id[^}]*}", str(booth), path)
    url = re.sub(r"{pitch_id[^}]*}", str(pitch), url)
    if "{meeting_id" in path:  # a room is for its parties: the demo investor's booked meeting
        client = app["clients"]["investor"]
        meeting = next(m["id"] for m in client.get("/api/meetings").json()["meetings"] if m["status"] == "booked")
        url = re.sub(r"{meeting_id[^}]*}", str(meeting), url)
    url = re.sub(r"{[^}]+}", "1", url)
    cookie = {"cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    bystander_cm = client.websocket_connect(url, headers=cookie)
    bystander = bystander_cm.__enter__()
    try:
        _ping_until_pong(bystander)
    except WebSocketDisconnect as closed:
        bystander_cm.__exit__(None, None, None)
        pytest.skip(f"{url} refuses the organizer ({closed.code})")  # e.g. a room they are not in
    try:

        @FUZZ
        @given(frames=st.lists(FRAMES, min_size=1, max_size=4))
        def run(frames: list[tuple[str, Any]]) -> None:
            with client.websocket_connect(url, headers=cookie) as socket:
                for kind, payload in frames:
                    if kind == "bytes":
                        socket.send_bytes(payload)
                    else:
                        socket.send_text(payload)
                    COUNTS[f"WS {path}"] += 1
                for frame in _ping_until_pong(socket):
                    if frame.get("type") == "error":
                        assert isinstance(frame.get("message"), str) and frame["message"], frame

        run()
        _ping_until_pong(bystander)  # the other socket of the route is unharmed
    finally:
        bystander_cm.__exit__(None, None, None)


# ---- forms -------------------------------------------------------------------------------------

FIELDS = [
    "email",
    "password",
    "name",
    "title",
    "text",
    "body",
    "language",
    "locale",
    "timezone",
    "role",
    "next",
    "state",
    "reason",
    "sector",
    "stage",
    "amount",
    "currency",
    "starts_at",
    "ends_at",
    "lang",
    "note",
    "q",
]


def forms() -> list[str]:
    from expo.settings import Settings

    app = create_app(Settings(secret_key="x", var_dir=Path("/nonexistent")))
    found = []
    for path, item in walk(app.routes):
        if isinstance(item, Route) and "POST" in (item.methods or ()) and getattr(item, "csrf", False):
            if not path.startswith("/api/") and path not in ("/logout",):
                found.append(path)
    return found


# Every field name the templates' forms use, so that values reach the handlers' checks.
TEMPLATE_FIELDS = sorted(
    {
        name
        for folder in ("expo", "booths", "streaming")
        for template in (ROOT / folder).rglob("*.html")
        for name in re.findall(r'name="([a-z_]+)"', template.read_text(encoding="utf-8"))
    }
    - {"csrf_token"}
)
FORM_VALUES = st.one_of(
    NASTY_TEXT,
    st.integers(-5, 60).map(str),
    IDS.map(str),
    st.sampled_from(
        ["on", "true", "2026-12-02T10:00", "2026-02-30T25:61", "en", "zh-Hant", "UTC", "Mars/Olympus", "must", "booked"]
    ),
    st.sampled_from(["investor", "organizer", "https://evil.example/", "//evil.example", "javascript:alert(1)"]),
    st.integers(3_000, 60_000).map(lambda n: "x" * n),  # longer than any field takes
)
FORM_DATA = st.dictionaries(
    st.one_of(st.sampled_from(TEMPLATE_FIELDS + FIELDS), st.text(max_size=8)), FORM_VALUES, max_size=8
)
PATH_IDS = [1, 2, 99_999, 2**31 - 1]  # the demo's first rows, none, the largest id
MESSAGE = re.compile(r'<section class="error-page">\s*<p class="status">\d+</p>\s*<h1>([^<]*)</h1>')


class Ledger:
    """Row counts of every table of the SQLite file, re-read only when ``data_version``
    says another connection committed: a refusal must leave every count as it was."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)
        self.tables = [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        self.version = -1
        self.counts: dict[str, int] = {}
        self.sync()

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def sync(self) -> dict[str, tuple[int, int]]:
        """Re-reads the counts if anything was committed; returns what changed."""
        version = self._version()
        if version == self.version:
            return {}
        counts = {t: int(self.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in self.tables}
        changed = {t: (self.counts[t], n) for t, n in counts.items() if self.counts and self.counts[t] != n}
        self.version, self.counts = version, counts
        return changed


def _raw_form(data: dict[str, str], token: str) -> bytes:
    """urlencoded as a hostile client sends it: lone surrogates as invalid UTF-8 (%ED%A0%80)."""
    return "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in [*data.items(), ("csrf_token", token)]).encode()


def _signed_in(client: TestClient, who: str) -> None:
    """A fuzzed form may sign its own client out (a device's "sign out"): sign in again."""
    if who != "anonymous" and client.get("/profile", follow_redirects=False).status_code != 200:
        client.cookies.clear()
        login_as(client, who)


@pytest.mark.parametrize("path", forms())
def test_form_answers_4xx_with_a_message_never_500_and_a_refusal_writes_nothing(app: dict[str, Any], path: str) -> None:
    """As a user of a role the form allows: wrong, hostile, missing, oversized and
    lone-surrogate field values. Never a 500; a 4xx says what is wrong (an error page with
    its message, or the form again); after a 4xx no table has gained or lost a row."""
    from expo.web.routing import walk as walk_routes

    item = next(
        i for p, i in walk_routes(app["app"].routes) if p == path and "POST" in (getattr(i, "methods", ()) or ())
    )
    allowed = {str(r) for r in item.allow}  # type: ignore[attr-defined]
    who = next(r for r in ROLE_ORDER if r in allowed)
    client: TestClient = app["clients"][who]
    _signed_in(client, who)
    token = session_csrf(client)
    template = openapi_path(path)[0]
    ledger = Ledger(app["sqlite"])

    @FUZZ_FORMS
    @given(data=FORM_DATA, path_id=st.sampled_from(PATH_IDS))
    @example(data={}, path_id=1)  # every field missing
    @example(data={"name": "x" * 300_000}, path_id=1)  # over the body bound: 413 unread
    @example(data={k: "\ud800" for k in TEMPLATE_FIELDS[:6]}, path_id=1)
    def run(data: dict[str, str], path_id: int) -> None:
        url = re.sub(r"{[^}]+}", str(path_id), template)
        response = client.post(
            url,
            content=_raw_form(data, token),
            headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
            follow_redirects=False,
        )
        COUNTS[f"POST {path}"] += 1
        STATUSES[f"POST {path} {response.status_code}"] += 1
        where = f"POST {url} as {who} {str(data)[:300]}"
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
        if 400 <= response.status_code < 500:
            if response.headers.get("content-type", "").startswith("application/json"):
                assert response.json()["error"]["message"], where
            else:
                found = MESSAGE.search(response.text)
                assert response.text.strip() and (found is None or found.group(1).strip()), f"{where}: no message"
            assert ledger.sync() == {}, f"{where}: a refused form wrote rows"
        else:
            ledger.sync()

    try:
        run()
    finally:
        ledger.conn.close()
