"""The booth's "request a meeting" form, as a matchmaking request: booths/views.py checks
the booth and the project, then hands over here."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo.web.errors import error_response
from expo.web.templates import translate
from i18n import N_

from . import requests
from .errors import MeetingError
from .web import limits, notifier


async def request_from_booth(request: Request, team_id: int | None, message: str) -> Response:
    """Sends the signed-in investor's request to ``team_id``: a redirect (303) to the
    request's page, or the error page (409 for an open request already there, …; 422 when
    a district booth's request names no project of a team: 1:1 meetings are with teams)."""
    n = notifier(request)
    try:
        if team_id is None:
            raise MeetingError(N_("Choose one of the booth's projects: meetings are held with project teams."))
        async with request.state.db.session() as session:
            sent = await requests.send(
                session, n, limits(request), request.state.user, team_id=team_id, message=message
            )
    except MeetingError as exc:
        return error_response(request, exc.status, exc.text(lambda m: translate(request, m), request.state.fmt))
    await n.ping(request.state.bus)
    return RedirectResponse(f"/meetings/requests/{sent.id}?sent=1", status_code=303)
