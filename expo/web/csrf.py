"""CSRF protection: a per-session random token, sent back in forms or a header.

Forms carry it as the hidden field ``csrf_token``; scripts send it in ``X-CSRF-Token``
(pages expose it in ``<meta name="csrf-token">``). SameSite=Lax cookies already stop most
cross-site posts; the token closes the rest (e.g. same-site subdomains).

A multipart form is never parsed (nor its files spooled) to find the token: the body is read
only until the ``csrf_token`` field has come by, and what was read is handed on to the
endpoint. The field must come before any file in the form (pages put it first; scripts send
the header), and within the first 64 KiB.
"""

import base64
import binascii
import hmac
import secrets

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive

from i18n import N_

FIELD = "csrf_token"
HEADER = "x-csrf-token"
PEEK_LIMIT = 64 * 1024


def csrf_token(request: Request) -> str:
    """The session's token, masked afresh for each page (a random pad, then the token XOR
    the pad), so that a gzipped page never repeats the same secret bytes: an attacker who
    sees compressed sizes while reflecting guesses into pages learns nothing (BREACH)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    secret = str(token).encode()
    pad = secrets.token_bytes(len(secret))
    return base64.urlsafe_b64encode(pad + bytes(a ^ b for a, b in zip(pad, secret, strict=True))).decode().rstrip("=")


def _unmasked(sent: str, expected: str) -> str:
    """The token inside a masked one (csrf_token); anything else as sent."""
    try:
        raw = base64.urlsafe_b64decode(sent + "=" * (-len(sent) % 4))
    except (ValueError, TypeError, binascii.Error):
        return sent
    half = len(raw) // 2
    if len(raw) != 2 * len(expected.encode()) or half == 0:
        return sent
    return bytes(a ^ b for a, b in zip(raw[:half], raw[half:], strict=True)).decode("utf-8", "replace")


async def check_csrf(request: Request) -> Request:
    """Raises 403 unless the request carries the session's token; returns the request to
    hand on (with what was read of a multipart body put back)."""
    expected = request.session.get("csrf")
    sent = request.headers.get(HEADER)
    if not sent and expected:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            try:
                form = await request.form(max_fields=1000)  # cached on the request for the endpoint
            except Exception:  # noqa: BLE001 - a malformed form carries no token
                form = None
            value = form.get(FIELD) if form is not None else None
            sent = value if isinstance(value, str) else None
        elif content_type.startswith("multipart/form-data"):
            sent, read = await _peek_multipart(request)
            request = Request(request.scope, _replay(read, request.receive), request._send)  # noqa: SLF001
    if sent and expected:
        sent = _unmasked(sent, str(expected))
    if not expected or not sent or not hmac.compare_digest(str(expected).encode(), sent.encode("utf-8", "replace")):
        raise HTTPException(403, N_("The form expired or came from another site. Reload the page and try again."))
    return request


async def _peek_multipart(request: Request) -> tuple[str | None, list[Message]]:
    """The ``csrf_token`` field of a multipart body, reading no further than needed."""
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    read: list[Message] = []
    if not boundary:
        return None, read
    part: dict[str, bytes | None] = {"field": b"", "value": b"", "name": None, "filename": None}
    found: dict[str, str | None] = {"token": None}
    done = False
    data = bytearray()

    def on_part_begin() -> None:
        part.update(field=b"", value=b"", name=None, filename=None)
        data.clear()

    def on_header_field(buf: bytes, start: int, end: int) -> None:
        part["field"] = (part["field"] or b"") + buf[start:end]

    def on_header_value(buf: bytes, start: int, end: int) -> None:
        part["value"] = (part["value"] or b"") + buf[start:end]

    def on_header_end() -> None:
        if (part["field"] or b"").lower() == b"content-disposition":
            _, params = parse_options_header(part["value"] or b"")
            part["name"], part["filename"] = params.get(b"name"), params.get(b"filename")
        part["field"], part["value"] = b"", b""

    def on_headers_finished() -> None:
        nonlocal done
        if part["filename"] is not None:
            done = True  # a file before the token: refused without reading the file

    def on_part_data(buf: bytes, start: int, end: int) -> None:
        if part["name"] == FIELD.encode() and len(data) < 512:
            data.extend(buf[start:end])

    def on_part_end() -> None:
        nonlocal done
        if part["name"] == FIELD.encode() and not done:
            found["token"] = data.decode("utf-8", "replace")
            done = True

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    total = 0
    while not done and total <= PEEK_LIMIT:
        message = await request.receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        total += len(chunk)
        try:
            parser.write(chunk)
        except Exception:  # noqa: BLE001 - a malformed body carries no token
            break
        if not message.get("more_body", False):
            break
    return found["token"], read


def _replay(read: list[Message], receive: Receive) -> Receive:
    pending = list(read)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
