"""Static files with fingerprinted URLs, read once at start and served from memory.

``static_url("css/app.css")`` (a template global) gives ``/static/css/app.<hash>.css``,
where ``<hash>`` is the first 12 hex digits of the SHA-256 of what is served. Such a URL
never changes meaning, so it is served with ``Cache-Control: public, max-age=31536000,
immutable``: a browser asks for each asset once per version instead of once per page. The
hashes are computed when the app is created; a changed file gets a new URL at the next start.

ES modules import each other by relative specifiers (``import { x } from "./live.js"``).
Those specifiers are rewritten in what is served to the fingerprinted names of the files
they name (``"./live.<hash>.js"``), and a module's hash is taken after the rewrite, so a
change in an imported module changes the importer's URL too. (An import map would do the
same for the browser, but it is an inline script, which the strict CSP refuses.)

Un-fingerprinted URLs (``/static/css/app.css``) and fingerprints of an earlier version
(a page rendered by a process not yet restarted) still answer, with the current file and a
short cache (``max-age=60``) plus an ETag for revalidation. Text assets are gzipped once at
start and sent compressed when the request accepts gzip (``Vary: Accept-Encoding``).
"""

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from expo.web.compression import accepts_gzip

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"
TEXT_TYPES = {".css", ".js", ".mjs", ".svg", ".json", ".txt", ".html", ".map", ".xml"}
HASH_LENGTH = 12
# Static and dynamic imports and re-exports with a relative specifier.
IMPORT = re.compile(
    r"""(?P<head>\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?|\bexport\s*[\w$*{}\s,]*?\s*from\s*|\bimport\s*\(\s*)"""
    r"""(?P<quote>["'])(?P<spec>\.{1,2}/[^"'\s]+)(?P=quote)"""
)
FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{" + str(HASH_LENGTH) + r"})(?P<suffix>\.[^./]+)$")


@dataclass(frozen=True)
class Asset:
    path: str  # relative to the static directory, with "/"
    url_path: str  # the fingerprinted relative path
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


def _fingerprinted(path: str, digest: str) -> str:
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        return f"{path}.{digest}"
    return f"{stem}.{digest}.{suffix}"


def _resolve(importer: str, spec: str) -> str | None:
    """The static-relative path that ``spec`` names from module ``importer``, or None when it
    leaves the static directory."""
    parts = importer.split("/")[:-1]
    for piece in spec.split("/"):
        if piece == "..":
            if not parts:
                return None
            parts.pop()
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts)


def _relative(importer: str, target: str) -> str:
    """A relative specifier from ``importer``'s folder to ``target`` (both static-relative)."""
    base = importer.split("/")[:-1]
    goal = target.split("/")
    common = 0
    while common < len(base) and common < len(goal) - 1 and base[common] == goal[common]:
        common += 1
    ups = len(base) - common
    rest = "/".join(goal[common:])
    return ("./" if ups == 0 else "../" * ups) + rest


class StaticAssets:
    """The static directory's files, fingerprinted; an ASGI app to mount at ``prefix``."""

    def __init__(self, directory: Path, prefix: str = "/static") -> None:
        self.directory = Path(directory)
        self.prefix = prefix.rstrip("/")
        raw = {
            p.relative_to(self.directory).as_posix(): p.read_bytes()
            for p in sorted(self.directory.rglob("*"))
            if p.is_file() and not p.name.startswith(".")
        }
        self._raw = raw
        self._digests: dict[str, str] = {}
        self._bodies: dict[str, bytes] = {}
        for path in raw:
            self._digest(path, ())
        self.assets: dict[str, Asset] = {}
        self._by_url: dict[str, Asset] = {}
        for path, body in self._bodies.items():
            digest = self._digests[path]
            suffix = Path(path).suffix.lower()
            media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            if suffix in (".js", ".mjs"):
                media_type = "text/javascript"
            if media_type.startswith("text/") or media_type.endswith(("+xml", "/json", "/javascript")):
                media_type += "; charset=utf-8"
            gzipped = gzip.compress(body, 9, mtime=0) if suffix in TEXT_TYPES and len(body) > 256 else None
            if gzipped is not None and len(gzipped) >= len(body):
                gzipped = None
            asset = Asset(path, _fingerprinted(path, digest), body, gzipped, media_type, f'"{digest}"')
            self.assets[path] = asset
            self._by_url[asset.url_path] = asset

    def _digest(self, path: str, visiting: tuple[str, ...]) -> str:
        """The served body's hash; ES modules after their imports are rewritten (so a
        module's hash covers the modules it imports). A module in an import cycle keeps
        the plain specifier for the edge that closes the cycle."""
        if path in self._digests:
            return self._digests[path]
        body = self._raw[path]
        if path.endswith((".js", ".mjs")):
            text = body.decode("utf-8")

            def rewrite(match: re.Match[str]) -> str:
                target = _resolve(path, match["spec"])
                if target is None or target not in self._raw or target in visiting or target == path:
                    return match[0]
                self._digest(target, (*visiting, path))
                quote = match["quote"]
                return f"{match['head']}{quote}{_relative(path, _fingerprinted(target, self._digests[target]))}{quote}"

            body = IMPORT.sub(rewrite, text).encode("utf-8")
        self._bodies[path] = body
        self._digests[path] = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
        return self._digests[path]

    def url(self, path: str) -> str:
        """The fingerprinted URL of a static file (``css/app.css``); a name that is not a
        static file raises, so a typo in a template fails its page (and its test)."""
        asset = self.assets.get(path.lstrip("/"))
        if asset is None:
            raise LookupError(f"no static file {path!r} under {self.directory}")
        return f"{self.prefix}/{asset.url_path}"

    def _find(self, path: str) -> tuple[Asset | None, bool]:
        """(asset, fingerprint current) for a request path relative to the mount."""
        asset = self._by_url.get(path)
        if asset is not None:
            return asset, True
        asset = self.assets.get(path)
        if asset is not None:
            return asset, False
        match = FINGERPRINTED.match(path)
        if match:  # a fingerprint of another version: the current file, briefly cached
            return self.assets.get(match["stem"] + match["suffix"]), False
        return None, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"  # noqa: S101 - mounted as an HTTP app
        response = self.response(scope)
        await response(scope, receive, send)

    def response(self, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", 405, headers={"allow": "GET, HEAD"})
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):  # Starlette's Mount keeps the full path in "path"
            path = path[len(root) :]
        asset, current = self._find(path.lstrip("/"))
        if asset is None:
            return PlainTextResponse("Not Found", 404)
        headers = Headers(scope=scope)
        out = {"cache-control": IMMUTABLE if current else SHORT, "etag": asset.etag}
        if asset.gzipped is not None:
            out["vary"] = "Accept-Encoding"
        body = asset.body
        if asset.gzipped is not None and accepts_gzip(headers.get("accept-encoding", "")):
            body = asset.gzipped
            out["content-encoding"] = "gzip"
            out["etag"] = asset.etag[:-1] + '.gz"'  # another representation, another tag
        sent = {tag.strip().removeprefix("W/") for tag in headers.get("if-none-match", "").split(",")}
        if out["etag"] in sent or "*" in sent:
            out.pop("content-encoding", None)
            return Response(status_code=304, headers=out)
        if scope["method"] == "HEAD":
            out["content-length"] = str(len(body))
            return Response(status_code=200, headers=out, media_type=asset.media_type)
        return Response(body, headers=out, media_type=asset.media_type)
