"""Short-lived TURN credentials (the "TURN REST API" scheme that coturn's ``use-auth-secret``
checks): the username is ``{expiry}:{user}`` (expiry in Unix seconds), the password is
base64(HMAC-SHA1(shared secret, username)). coturn recomputes the HMAC with its
``static-auth-secret`` and refuses the allocation once ``expiry`` has passed, so a page only
ever holds a password that stops working within ``EXPO_TURN_TTL`` seconds and the shared
secret never leaves the server.

``ice_servers(settings, user_key)`` is what every page and socket hands to browsers (the
meeting room, the pitch studio and viewer pages): the configured ``EXPO_ICE_SERVERS`` plus
the expo's own TURN URLs with fresh credentials.
"""

import base64
import hashlib
import hmac
import time
from typing import Any, Protocol


class TurnSettings(Protocol):
    ice_servers: tuple[Any, ...]
    turn_urls: tuple[str, ...]
    turn_secret: str
    turn_ttl: int


def credentials(secret: str, user_key: str, ttl: int, now: float | None = None) -> tuple[str, str]:
    """(username, password) valid for ``ttl`` seconds from ``now``."""
    expiry = int((time.time() if now is None else now) + ttl)
    username = f"{expiry}:{user_key}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(settings: TurnSettings, user_key: str, now: float | None = None) -> list[dict[str, Any]]:
    """The ICE servers for one visitor (``user_key``: a user id, or a random key for an
    anonymous viewer; it only labels the allocation in coturn's log)."""
    servers = [dict(server) for server in settings.ice_servers]
    if settings.turn_urls and settings.turn_secret:
        username, password = credentials(settings.turn_secret, user_key, settings.turn_ttl, now)
        servers.append({"urls": list(settings.turn_urls), "username": username, "credential": password})
    return servers
