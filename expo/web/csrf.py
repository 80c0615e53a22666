"""CSRF protection: a per-session random token, sent back in forms or a header.

Forms carry it as the hidden field ``csrf_token``; scripts send it in ``X-CSRF-Token``
(pages expose it in ``<meta name="csrf-token">``). SameSite=Lax cookies already stop most
cross-site posts; the token closes the rest (e.g. same-site subdomains).
"""

import hmac
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request

from i18n import N_

FIELD = "csrf_token"
HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    sent = request.headers.get(HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached on the request for the endpoint
            value = form.get(FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise HTTPException(403, N_("The form expired or came from another site. Reload the page and try again."))
