"""Reading WebSocket frames defensively, the same way on every socket.

``receive_frame(websocket)`` waits for the next frame and returns ``None`` when the client
has gone; otherwise a ``Frame`` that is either a JSON object (``.data``) or a problem
(``.error`` code + English ``.message``) that the socket answers with an error frame and then
carries on: a binary frame, an oversized frame, text that is not JSON or not an object, text
holding lone surrogates (``"\\ud800"``: it cannot be stored or sent back as UTF-8).

``int_field(frame, name)`` is a non-negative integer that fits a database id, else None: a
larger id (≥ 2^31) can name nothing and overflowed SQLite (a dropped socket).
"""

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket

MAX_ID = 2**31 - 1


@dataclass
class Frame:
    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    message: str = ""


def _clean(value: Any) -> bool:
    """True when every string in the value encodes as UTF-8 (no lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_clean(k) and _clean(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_clean(v) for v in value)
    return True


def parse(raw: str | bytes | None, max_chars: int) -> Frame:
    if raw is None or isinstance(raw, bytes):
        return Frame(error="binary", message="send JSON text frames")
    if len(raw) > max_chars:
        return Frame(error="too_large", message=f"frames are limited to {max_chars} characters")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return Frame(error="bad_json", message="frame is not JSON")
    if not isinstance(data, dict):
        return Frame(error="bad_frame", message="a frame is a JSON object with a type")
    if not _clean(data):
        return Frame(error="bad_text", message="text must be valid Unicode (no lone surrogates)")
    return Frame(data=data)


async def receive_frame(websocket: WebSocket, max_chars: int) -> Frame | None:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return parse(text if text is not None else message.get("bytes", b""), max_chars)


def int_field(frame: dict[str, Any], name: str) -> int | None:
    value = frame.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        return None
    return value
