"""Pages to register, sign in and out, reset a password, accept an invitation, and edit
one's profile."""

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo import outbox
from expo.accounts import service, sessions
from expo.accounts.models import User
from expo.accounts.roles import ANONYMOUS, ANY_USER, EVERYONE, Role
from expo.accounts.validation import COUNTRIES, Checker, InvalidInput, check_registration
from expo.web.forms import fields, read_form, safe_next
from expo.web.routing import route
from expo.web.templates import render, translate
from i18n import N_, SHIPPED_LOCALES, valid_timezone

ONLY_ANONYMOUS = frozenset({ANONYMOUS})
FORM_MAX = 32 * 1024  # account forms never carry files: a larger body is refused unread


class LoginThrottle:
    """Failed logins are limited per (address, account): guessing from one address stops,
    while the owner elsewhere still gets in. An account attacked from many addresses is
    slowed, never locked: while its own budget is spent, each address may try it once per
    ``PACE`` seconds, and a faster attempt is answered at once with 429 and Retry-After
    (no request waits on the server holding its connection). Budgets: ``EXPO_LOGIN_RATE``
    failures per 15 minutes per pair, ten times that per address; shared across processes
    with Redis."""

    WINDOW = 15 * 60
    PACE = 1  # seconds between two attempts of one address while the account is under attack

    def __init__(self, request: Request, email: str) -> None:
        address = request.client.host if request.client else "?"
        self.limiter = request.state.limiter
        self.rate = request.state.settings.login_rate
        self.pair = f"login:{address}:{email}"
        self.address = f"login-address:{address}"
        self.account = f"login-account:{email}"
        self.pace = f"login-pace:{address}:{email}"

    async def allowed(self) -> bool:
        per = self.rate / self.WINDOW
        return await self.limiter.peek(self.pair, self.rate, per) and await self.limiter.peek(
            self.address, self.rate * 10, self.rate * 10 / self.WINDOW
        )

    async def paced(self) -> bool:
        """False when the account is under attack and this address tried it under ``PACE`` ago."""
        if await self.limiter.peek(self.account, self.rate, self.rate / self.WINDOW):
            return True
        return await self.limiter.take(self.pace, 1, 1 / self.PACE)

    async def failed(self) -> None:
        per = self.rate / self.WINDOW
        await self.limiter.take(self.pair, self.rate, per)
        await self.limiter.take(self.address, self.rate * 10, per * 10)
        await self.limiter.take(self.account, self.rate, per)

    async def succeeded(self) -> None:
        await self.limiter.forget(self.pair)


async def sign_in(request: Request, user: User) -> None:
    """A fresh session (and CSRF token) after login, no fixation, with its own device row
    (``sid``) that signing out revokes server-side."""
    old = request.session.get("sid")
    async with request.state.db.session() as session:
        if old:
            await sessions.revoke(session, old)
        sid = await sessions.start(session, user, request.headers.get("user-agent", ""))
    request.session.clear()
    request.session.update(uid=user.id, epoch=user.session_epoch, sid=sid)


def _countries(request: Request) -> list[tuple[str, str]]:
    names = request.state.fmt.locale.territories
    return sorted(((code, str(names.get(code, code))) for code in COUNTRIES), key=lambda item: item[1])


def _form_page(
    request: Request,
    name: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
    **extra: object,
) -> Response:
    return render(
        request,
        name,
        {
            "values": values,
            "errors": errors or {},
            "countries": _countries(request),
            "timezone_guess": request.state.timezone if request.state.tz_known else "",
            **extra,
        },
        status_code=status,
    )


async def register(request: Request) -> Response:
    if request.method == "GET":
        return _form_page(request, "expo/register.html", {"locale": request.state.locale}, chosen_sectors=[])
    form = await read_form(request)
    data = fields(form)
    sectors = [value for value in form.getlist("sectors") if isinstance(value, str)]
    try:
        profile = check_registration(data, sectors)
        async with request.state.db.session() as session:
            user = await service.register_investor(session, profile)
    except InvalidInput as exc:
        data.pop("password", None)
        return _form_page(request, "expo/register.html", data, exc.errors, status=422, chosen_sectors=sectors)
    await sign_in(request, user)
    return RedirectResponse("/?welcome=1", status_code=303)


async def login(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return render(request, "expo/login.html", {"next": next_url, "error": None, "email": ""})
    data = fields(await read_form(request))
    email = data.get("email", "").strip().lower()[:254]
    throttle = LoginThrottle(request, email)
    if not await throttle.allowed():
        response = render(
            request,
            "expo/login.html",
            {
                "next": next_url,
                "email": email,
                "error": N_("Too many attempts. Please wait a few minutes and try again."),
            },
            status_code=429,
        )
        response.headers["Retry-After"] = str(max(1, round(throttle.WINDOW / throttle.rate)))  # one attempt back
        return response
    if not await throttle.paced():
        response = render(
            request,
            "expo/login.html",
            {
                "next": next_url,
                "email": email,
                "error": N_("This account had many wrong passwords. Please wait a second and try again."),
            },
            status_code=429,
        )
        response.headers["Retry-After"] = str(throttle.PACE)
        return response
    async with request.state.db.session() as session:
        user = await service.authenticate(session, email, data.get("password", "")[:256])
    if user is None:
        await throttle.failed()
        return render(
            request,
            "expo/login.html",
            {"next": next_url, "email": email, "error": N_("The email or password is not right.")},
            status_code=401,
        )
    await throttle.succeeded()
    await sign_in(request, user)
    return RedirectResponse(safe_next(data.get("next"), next_url), status_code=303)


async def logout(request: Request) -> Response:
    async with request.state.db.session() as session:
        await sessions.revoke(session, request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/", status_code=303)


async def forgot(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "expo/forgot.html", {"sent": False, "errors": {}, "email": ""})
    data = fields(await read_form(request))
    checker = Checker()
    email = checker.email(data)
    if checker.errors:
        return render(
            request,
            "expo/forgot.html",
            {"sent": False, "errors": checker.errors, "email": email},
            status_code=422,
        )
    settings = request.state.settings
    async with request.state.db.session() as session:
        found = await service.request_reset(session, email)
        if found is not None:
            user, token = found
            link = f"{settings.public_url}/reset/{token}"
            outbox.queue(
                session,
                user.email,
                translate(request, N_("Reset your expo password")),
                translate(request, N_("Open this link within two hours to choose a new password:")) + f"\n\n{link}\n",
            )
            await session.commit()
    # The same answer whether or not the account exists: the page does not reveal accounts.
    return render(request, "expo/forgot.html", {"sent": True, "errors": {}, "email": email})


async def reset(request: Request) -> Response:
    token = request.path_params["token"]
    if request.method == "GET":
        return render(request, "expo/reset.html", {"token": token, "errors": {}})
    data = fields(await read_form(request))
    try:
        async with request.state.db.session() as session:
            user = await service.reset_password(session, token, data.get("password", ""))
    except InvalidInput as exc:
        return render(request, "expo/reset.html", {"token": token, "errors": exc.errors}, status_code=422)
    await sign_in(request, user)
    return RedirectResponse("/profile?reset=1", status_code=303)


async def accept_invitation(request: Request) -> Response:
    token = request.path_params["token"]
    async with request.state.db.session() as session:
        invitation = await service.open_invitation(session, token)
    if invitation is None:
        return render(
            request,
            "expo/invitation.html",
            {"invitation": None, "errors": {}, "values": {}},
            status_code=404,
        )
    if request.method == "GET":
        return render(
            request,
            "expo/invitation.html",
            {
                "invitation": invitation,
                "errors": {},
                "values": {"timezone": request.state.timezone, "locale": request.state.locale},
            },
        )
    data = fields(await read_form(request))
    checker = Checker()
    name = checker.text(data, "name", max_len=120)
    timezone = checker.text(data, "timezone", max_len=64)
    if timezone and not valid_timezone(timezone):
        checker.fail("timezone", N_("Choose a time zone from the list."))
    locale = checker.choice(data, "locale", SHIPPED_LOCALES)
    try:
        checker.raise_if_any()
        async with request.state.db.session() as session:
            user = await service.accept_invitation(
                session,
                token,
                name=name,
                password=data.get("password", ""),
                timezone=timezone,
                locale=locale,
            )
    except InvalidInput as exc:
        data.pop("password", None)
        return render(
            request,
            "expo/invitation.html",
            {"invitation": invitation, "errors": exc.errors, "values": data},
            status_code=422,
        )
    await sign_in(request, user)
    return RedirectResponse("/", status_code=303)


def device_name(user_agent: str) -> str:
    """A short "browser on system" from a User-Agent header (for the devices list)."""
    browsers = (
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    )
    systems = (
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    )
    browser = next((name for mark, name in browsers if mark in user_agent), "")
    system = next((name for mark, name in systems if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


async def _devices(request: Request, user: User) -> list[dict[str, object]]:
    async with request.state.db.session() as session:
        rows = await sessions.live_sessions(session, user.id)
    current = request.session.get("sid")
    return [
        {"id": r.id, "name": device_name(r.user_agent), "seen_at": r.seen_at, "current": r.secret == current}
        for r in rows
    ]


async def end_device(request: Request) -> Response:
    """Signs one of the user's own devices out (server-side: its cookie stops working)."""
    await read_form(request)
    user: User = request.state.user
    async with request.state.db.session() as session:
        ended = await sessions.revoke_one(session, user.id, request.path_params["session_id"])
    if ended is None:
        raise HTTPException(404)
    if ended == request.session.get("sid"):
        request.session.clear()
        return RedirectResponse("/", status_code=303)
    return RedirectResponse("/profile#devices", status_code=303)


async def profile(request: Request) -> Response:
    user: User = request.state.user
    if request.method == "GET":
        return render(
            request,
            "expo/profile.html",
            {"errors": {}, "saved": "reset" in request.query_params, "devices": await _devices(request, user)},
        )
    data = fields(await read_form(request))
    checker = Checker()
    timezone = checker.text(data, "timezone", max_len=64)
    if timezone and not valid_timezone(timezone):
        checker.fail("timezone", N_("Choose a time zone from the list."))
    locale = checker.choice(data, "locale", SHIPPED_LOCALES)
    if checker.errors:
        return render(
            request,
            "expo/profile.html",
            {"errors": checker.errors, "saved": False, "devices": await _devices(request, user)},
            status_code=422,
        )
    async with request.state.db.session() as session:
        stored = await session.scalar(select(User).where(User.id == user.id))
        assert stored is not None
        stored.timezone, stored.locale = timezone, locale
        await session.commit()
    return RedirectResponse("/profile", status_code=303)


routes = [
    route(
        "/register",
        register,
        allow=ONLY_ANONYMOUS | {Role.INVESTOR, Role.ORGANIZER},
        methods=("GET", "POST"),
        max_body=FORM_MAX,
    ),
    route("/login", login, allow=EVERYONE, methods=("GET", "POST"), max_body=FORM_MAX),
    route("/logout", logout, allow=ANY_USER, methods=("POST",), max_body=FORM_MAX),
    route("/forgot", forgot, allow=EVERYONE, methods=("GET", "POST"), max_body=FORM_MAX),
    route("/reset/{token:str}", reset, allow=EVERYONE, methods=("GET", "POST"), max_body=FORM_MAX),
    route(
        "/invitations/{token:str}", accept_invitation, allow=ONLY_ANONYMOUS, methods=("GET", "POST"), max_body=FORM_MAX
    ),
    route("/profile", profile, allow=ANY_USER, methods=("GET", "POST"), max_body=FORM_MAX),
    route("/profile/sessions/{session_id:int}/end", end_device, allow=ANY_USER, methods=("POST",), max_body=FORM_MAX),
]
