"""Static files (fingerprinted URLs, caching headers, gzip) and the anonymous page cache
(one render per key at a time), issue 13 item 4."""

import asyncio
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.testclient import TestClient

from expo.settings import Settings
from expo.web.assets import IMMUTABLE, SHORT, StaticAssets
from expo.web.compression import accepts_gzip
from expo.web.pagecache import cached_for_anonymous
from tests.helpers import csrf_from, seed_demo

FINGERPRINTED_CSS = re.compile(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"')


def _static(tmp_path: Path) -> Path:
    root = tmp_path / "static"
    (root / "js" / "sub").mkdir(parents=True)
    (root / "css").mkdir()
    (root / "css" / "x.css").write_text("body { color: black }\n")
    (root / "js" / "lib.js").write_text("export const n = 1;\n")
    (root / "js" / "app.js").write_text('import { n } from "./lib.js";\nimport("./sub/late.js");\nconsole.log(n);\n')
    (root / "js" / "sub" / "late.js").write_text('export * from "../lib.js";\n')
    return root


def test_static_url_changes_when_the_file_changes(tmp_path: Path) -> None:
    root = _static(tmp_path)
    before = StaticAssets(root)
    css, lib, app = before.url("css/x.css"), before.url("js/lib.js"), before.url("js/app.js")
    assert re.fullmatch(r"/static/css/x\.[0-9a-f]{12}\.css", css)
    assert StaticAssets(root).url("css/x.css") == css  # same file, same URL

    (root / "css" / "x.css").write_text("body { color: navy }\n")
    (root / "js" / "lib.js").write_text("export const n = 2;\n")
    after = StaticAssets(root)
    assert after.url("css/x.css") != css
    assert after.url("js/lib.js") != lib
    # app.js did not change, but it imports lib.js: its URL changes with it.
    assert after.url("js/app.js") != app


def test_es_module_imports_name_fingerprinted_files(tmp_path: Path) -> None:
    assets = StaticAssets(_static(tmp_path))
    lib = assets.url("js/lib.js").removeprefix("/static/js/")
    late = assets.url("js/sub/late.js").removeprefix("/static/js/")
    served = assets.assets["js/app.js"].body.decode()
    assert served == f'import {{ n }} from "./{lib}";\nimport("./{late}");\nconsole.log(n);\n'
    assert assets.assets["js/sub/late.js"].body.decode() == f'export * from "../{lib}";\n'


def test_unknown_static_name_fails_loudly(tmp_path: Path) -> None:
    assets = StaticAssets(_static(tmp_path))
    try:
        assets.url("css/missing.css")
    except LookupError as exc:
        assert "css/missing.css" in str(exc)
    else:
        raise AssertionError("a missing static file must raise")


def test_accept_encoding_parsing() -> None:
    assert [accepts_gzip(v) for v in ("gzip", "deflate, gzip;q=0.5", "br, *", "gzip;q=0", "identity", "")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_fingerprinted_static_is_immutable_and_plain_url_short(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    page = client.get("/?lang=en")
    css = FINGERPRINTED_CSS.search(page.text)[1]  # type: ignore[index]
    fingerprinted = client.get(css, headers={"accept-encoding": "identity"})
    plain = client.get("/static/css/app.css", headers={"accept-encoding": "identity"})
    assert (fingerprinted.status_code, plain.status_code) == (200, 200)
    assert fingerprinted.content == plain.content == (Path("static/css/app.css").read_bytes())
    assert fingerprinted.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert plain.headers["cache-control"] == SHORT
    assert fingerprinted.headers["content-type"] == "text/css; charset=utf-8"
    # An old fingerprint (a page from before a restart) still gets the file, briefly cached.
    stale = client.get("/static/css/app.000000000000.css", headers={"accept-encoding": "identity"})
    assert (stale.status_code, stale.headers["cache-control"], stale.content) == (200, SHORT, plain.content)
    # Revalidation by ETag.
    again = client.get(css, headers={"accept-encoding": "identity", "if-none-match": fingerprinted.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert client.get("/static/css/nothing.css").status_code == 404
    assert client.post(css).status_code == 405
    # Every page's static references are fingerprinted (no plain /static/ URL left).
    assert re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text):
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), url
        assert client.get(url).headers["cache-control"] == IMMUTABLE


def test_compression_is_negotiated_by_accept_encoding(client: TestClient, settings: Settings) -> None:
    seed_demo(settings.database_url)
    booth = client.get("/api/booths?per_page=1&lang=en").json()["items"][0]["id"]
    for path in ("/?lang=en", f"/booths/{booth}?lang=en", "/static/js/rooms/room.js", "/schedule?lang=en"):
        plain = client.get(path, headers={"accept-encoding": "identity"})
        packed = client.get(path, headers={"accept-encoding": "gzip, deflate"})
        refused = client.get(path, headers={"accept-encoding": "gzip;q=0"})
        assert plain.status_code == packed.status_code == 200, path
        assert "content-encoding" not in plain.headers, path
        assert "content-encoding" not in refused.headers, path
        assert packed.headers["content-encoding"] == "gzip", path
        assert "Accept-Encoding" in packed.headers["vary"], path
        assert int(packed.headers["content-length"]) < int(plain.headers["content-length"]), path
        assert packed.headers["content-security-policy"] == plain.headers["content-security-policy"], path
        # httpx decodes the body; Content-Length is what came over the wire.
        if path.startswith("/static/"):
            assert packed.content == plain.content
            assert packed.headers["etag"] != plain.headers["etag"]  # two representations
        else:  # pages: the same HTML (no per-request tokens on anonymous pages)
            assert packed.text.count("<main") == plain.text.count("<main") == 1


def _request(cache: dict[str, object]) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/page",
        "query_string": b"",
        "headers": [(b"accept-encoding", b"identity")],
        "state": {"user": None, "cache": cache, "locale": "en", "timezone": "UTC", "tz_known": True},
    }
    return Request(scope)


def test_concurrent_misses_render_once_and_expired_entries_are_served_stale() -> None:
    async def scenario() -> None:
        cache: dict[str, object] = {}
        renders = 0
        release = asyncio.Event()

        async def render() -> Response:
            nonlocal renders
            renders += 1
            body = f"<p>render {renders}</p>"
            await release.wait()
            return HTMLResponse(body)

        # 20 requests miss at once: one renders, the others wait for it.
        waiting = [asyncio.create_task(cached_for_anonymous(_request(cache), "t", 0.2, render)) for _ in range(20)]
        await asyncio.sleep(0.05)
        assert renders == 1
        release.set()
        first = await asyncio.gather(*waiting)
        assert {bytes(r.body) for r in first} == {b"<p>render 1</p>"}
        assert renders == 1

        # Expired: the first request re-renders; the others get the old page at once.
        await asyncio.sleep(0.3)
        release.clear()
        refreshing = asyncio.create_task(cached_for_anonymous(_request(cache), "t", 0.2, render))
        await asyncio.sleep(0.05)
        others = await asyncio.wait_for(
            asyncio.gather(*(cached_for_anonymous(_request(cache), "t", 0.2, render) for _ in range(10))), 1
        )
        assert {bytes(r.body) for r in others} == {b"<p>render 1</p>"}
        assert renders == 2
        release.set()
        assert bytes((await refreshing).body) == b"<p>render 2</p>"
        later = await cached_for_anonymous(_request(cache), "t", 0.2, render)
        assert (bytes(later.body), renders) == (b"<p>render 2</p>", 2)

    asyncio.run(scenario())


def test_a_failed_render_does_not_hold_up_the_waiters() -> None:
    async def scenario() -> None:
        cache: dict[str, object] = {}
        calls = 0
        release = asyncio.Event()

        async def render() -> Response:
            nonlocal calls
            calls += 1
            if calls == 1:
                await release.wait()
                raise RuntimeError("database down")
            return HTMLResponse("<p>ok</p>")

        first = asyncio.create_task(cached_for_anonymous(_request(cache), "t", 5, render))
        await asyncio.sleep(0.02)
        second = asyncio.create_task(cached_for_anonymous(_request(cache), "t", 5, render))
        await asyncio.sleep(0.02)
        release.set()
        results = await asyncio.gather(first, second, return_exceptions=True)
        assert isinstance(results[0], RuntimeError)
        assert bytes(results[1].body) == b"<p>ok</p>"  # type: ignore[union-attr]

    asyncio.run(scenario())


def test_csrf_token_is_masked_afresh_on_every_page(client: TestClient) -> None:
    """Gzipped pages must not repeat the session's secret (BREACH): each page carries the
    token under a new random pad, and every such copy is accepted."""
    first, second = csrf_from(client), csrf_from(client)
    assert first != second
    form = {"email": "nobody@example.org", "password": "wrong password"}
    for token in (first, second):
        assert client.post("/login", data={**form, "csrf_token": token}).status_code != 403
    forged = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    assert client.post("/login", data={**form, "csrf_token": forged}).status_code == 403
