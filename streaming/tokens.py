"""Bearer tokens for WHIP publishers, derived from the server's secret and a per-pitch nonce.

``{pitch_id}.{mac}`` for the presenter, ``{pitch_id}.{language}.{mac}`` for an interpreter,
``v{pitch_id}.{mac}`` for a WHEP viewer of a registered-only pitch (made from the same nonce:
rotating the publisher token rotates it too).
Nothing secret is stored: the database keeps only the nonce, so rotating the nonce revokes a
token, and ``expo pitch token ID`` can print it again. The pitch id in the token lets the
server tell "no valid token" (401) from "a valid token for another pitch" (403).
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def _mac(secret: str, *parts: object) -> str:
    message = ":".join(str(p) for p in parts).encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def publisher_token(secret: str, pitch_id: int, nonce: str) -> str:
    return f"{pitch_id}.{_mac(secret, 'whip', pitch_id, nonce)}"


def viewer_token(secret: str, pitch_id: int, nonce: str) -> str:
    """Lets a WHEP client without a signed-in session watch a registered-only pitch."""
    return f"v{pitch_id}.{_mac(secret, 'whep', pitch_id, nonce)}"


def valid_viewer(secret: str, pitch_id: int, nonce: str, raw: str) -> bool:
    return hmac.compare_digest(viewer_token(secret, pitch_id, nonce).encode(), raw.encode()[:200])


def interpreter_token(secret: str, pitch_id: int, language: str, nonce: str) -> str:
    return f"{pitch_id}.{language}.{_mac(secret, 'interpret', pitch_id, language, nonce)}"


@dataclass(frozen=True)
class Claim:
    """What a token says about itself (before its MAC is checked)."""

    pitch_id: int
    language: str  # "" for the presenter
    mac: str


def parse(token: str) -> Claim | None:
    parts = token.split(".")
    if len(parts) not in (2, 3) or len(token) > 200:
        return None
    # ASCII digits of an id that fits the database (a 20-digit id overflowed SQLite: a 500).
    if not (parts[0].isascii() and parts[0].isdigit() and len(parts[0]) <= 10 and int(parts[0]) < 2**31):
        return None
    language = parts[1] if len(parts) == 3 else ""
    return Claim(int(parts[0]), language, parts[-1])


def valid(secret: str, claim: Claim, nonce: str) -> bool:
    expected = (
        interpreter_token(secret, claim.pitch_id, claim.language, nonce)
        if claim.language
        else publisher_token(secret, claim.pitch_id, nonce)
    )
    return hmac.compare_digest(expected.rsplit(".", 1)[1], claim.mac)
