"""Who is asking, in which language and time zone: resolved once per request.

``VisitorMiddleware`` (pure ASGI, after the session middleware) sets on ``request.state``:
``user`` (or None), ``locale`` (a shipped code), ``timezone`` (IANA name) and ``fmt`` (an
``i18n.Formatter``). Language order: ``?lang=`` (remembered in a cookie, and in a signed-in
user's profile) → the user's preference → the cookie → ``Accept-Language`` → the expo
default. Time zone: the user's profile zone; for anonymous visitors, the browser's zone
(``expo_tz`` cookie, set once by static/js/timezone.js) → the expo's home zone.
"""

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote

from sqlalchemy import update
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from expo.accounts import sessions
from expo.accounts.models import User
from i18n import SHIPPED_LOCALES, Formatter, negotiate, parse_accept_language, shipped, valid_timezone

LANG_COOKIE = "expo_lang"
TZ_COOKIE = "expo_tz"
YEAR = 365 * 24 * 3600


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001,S112 - a malformed cookie header is ignored
                continue
    return {key: morsel.value for key, morsel in jar.items()}


class VisitorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        # The expo's zone and language as the console last set them (expo.console.setup).
        settings = state["settings"] = state.get("cache", {}).get("settings") or state["settings"]
        cookies = _cookies(scope)
        user = await self._user(scope, state)
        query = QueryParams(scope.get("query_string", b"").decode("latin-1"))
        asked = query.get("lang")
        chosen = shipped(asked) if asked else None  # a shipped code or a BCP 47 tag (zh-TW); junk: None
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())}
        locale = (
            chosen
            or (user.locale if user is not None and user.locale in SHIPPED_LOCALES else None)
            or (cookies.get(LANG_COOKIE) if cookies.get(LANG_COOKIE) in SHIPPED_LOCALES else None)
            or negotiate(parse_accept_language(headers.get("accept-language")))
            or settings.default_locale
        )
        if chosen and user is not None and user.locale != chosen:
            async with state["db"].session() as session:
                await session.execute(update(User).where(User.id == user.id).values(locale=chosen))
                await session.commit()
        cookie_tz = unquote(cookies.get(TZ_COOKIE, ""))[:64]
        if user is not None and valid_timezone(user.timezone):
            timezone = user.timezone
        elif valid_timezone(cookie_tz):
            timezone = cookie_tz
        else:
            timezone = settings.home_tz
        state.update(
            user=user,
            locale=locale,
            timezone=timezone,
            fmt=Formatter(locale, timezone),
            tz_known=user is not None or valid_timezone(cookie_tz),
        )

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.setdefault("content-language", SHIPPED_LOCALES[locale].tag)
                vary = out.get("vary", "").lower()
                for name in ("Accept-Language", "Cookie"):
                    if name.lower() not in vary:
                        out.add_vary_header(name)
                if chosen and cookies.get(LANG_COOKIE) != chosen:
                    secure = "; Secure" if settings.https else ""
                    out.append(
                        "set-cookie",
                        f"{LANG_COOKIE}={chosen}; Path=/; Max-Age={YEAR}; SameSite=Lax{secure}",
                    )
            await send(message)

        await self.app(scope, receive, send_with_language if scope["type"] == "http" else send)

    async def _user(self, scope: Scope, state: dict[str, Any]) -> User | None:
        session = scope.get("session") or {}
        uid = session.get("uid")
        if not isinstance(uid, int):
            return None
        sid = session.get("sid")
        cache = state.get("user_cache")  # expo.accounts.cache: invalidated over the bus
        user = cache.get(uid, sid) if cache is not None and isinstance(sid, str) else None
        if user is None:
            generation = cache.generation if cache is not None else 0

            async def load() -> User | None:
                async with state["db"].session() as db:
                    return await sessions.load_user(db, uid, sid)  # one query: user + device

            if cache is not None and isinstance(sid, str):
                loaded, user = await cache.load_once(sid, load)
                if not loaded:  # another request of this device loaded it meanwhile
                    user = cache.get(uid, sid) or await load()
                elif user is not None:
                    cache.put(sid, user, generation)
            else:
                user = await load()
        if user is None or session.get("epoch") != user.session_epoch or not user.active:
            session.clear()  # signed out on this device, a deleted user, or a password changed since
            return None
        return user
