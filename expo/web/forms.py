"""Reading submitted forms safely: size-limited, text-only fields."""

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from i18n import N_

MAX_FIELDS = 100


async def read_form(request: Request) -> FormData:
    """The request's form; 400 for a body that is not a form or is malformed."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise HTTPException(415, N_("Send this form as application/x-www-form-urlencoded or multipart/form-data."))
    try:
        return await request.form(max_files=0, max_fields=MAX_FIELDS)
    except (MultiPartException, ValueError, KeyError):
        raise HTTPException(400, N_("The request could not be understood.")) from None


def fields(form: FormData) -> dict[str, str]:
    """Single-valued text fields of a form (uploads are never accepted here)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after a form; anything else (another host, a scheme) → default."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
