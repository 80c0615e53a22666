"""Error pages and error bodies in the visitor's language.

HTML clients get a page; ``/api/`` paths and clients asking for JSON get
``{"error": {"status": …, "message": …}}``. ``HTTPException.detail`` holds an English msgid
(marked with ``N_``) that is translated here.
"""

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expo.web.templates import render, translate
from i18n import N_

log = logging.getLogger("expo.errors")

TITLES = {
    400: N_("The request could not be understood."),
    401: N_("Please sign in first."),
    403: N_("You are not allowed to do this."),
    404: N_("This page does not exist."),
    405: N_("This action is not available here."),
    413: N_("This upload is too large."),
    422: N_("Some values need correcting."),
    429: N_("Too many attempts. Please wait a few minutes and try again."),
    500: N_("Something went wrong on our side. It has been logged; please try again."),
    503: N_("The service is busy. Please try again shortly."),
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def error_response(
    request: Request, status: int, message: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    ready = hasattr(request.state, "templates") and hasattr(request.state, "locale")
    text = message or TITLES.get(status, TITLES[400])
    if ready:
        text = translate(request, text)
    if wants_json(request) or not ready:
        return JSONResponse({"error": {"status": status, "message": text}}, status_code=status, headers=headers)
    return render(
        request,
        "expo/error.html",
        {"status": status, "message": text},
        status_code=status,
        headers=headers,
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.detail and exc.detail != _default_phrase(exc.status_code) else None
    return error_response(request, exc.status_code, detail, dict(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500)


def _default_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
