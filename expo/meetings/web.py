"""What every matchmaking view needs from a request: the notifier (catalogs, public URL),
the limits from the settings, the user's team, and turning domain errors into answers in
the visitor's language."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from expo.web.errors import error_response
from expo.web.templates import translate
from i18n import N_

from .errors import MeetingError
from .notify import Notifier
from .requests import Limits


def notifier(request: Request) -> Notifier:
    settings = request.state.settings
    return Notifier(request.state.templates.translations, settings.public_url, settings.default_locale)


def limits(request: Request) -> Limits:
    settings = request.state.settings
    return Limits(timedelta(days=settings.meeting_request_days), settings.meeting_open_requests)


def gettext(request: Request) -> Callable[[str], str]:
    return request.state.templates.translations(request.state.locale).gettext


def ngettext(request: Request) -> Callable[[str, str, int], str]:
    return request.state.templates.translations(request.state.locale).ngettext


def domain_errors(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A MeetingError becomes an error page (or JSON for the API) with its message."""

    @wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except MeetingError as exc:
            return error_response(request, exc.status, exc.text(lambda m: translate(request, m), request.state.fmt))

    return wrapped


def int_field(raw: object, message: str = N_("Choose one of the offered values.")) -> int:
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 9:
        raise HTTPException(422, message)
    return int(text)


async def bus_ping(request: Request, n: Notifier) -> None:
    await n.ping(request.state.bus)
