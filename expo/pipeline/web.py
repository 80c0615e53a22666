"""What the pipeline's views share: the roles, the config, turning domain refusals into
responses, reading ids, the context every pipeline page gets."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expo.accounts.models import User
from expo.accounts.roles import Role
from expo.fair.models import District, ProjectTeam
from expo.pipeline import deals, feed
from expo.pipeline.config import Config
from expo.pipeline.flags import FLAGS
from expo.pipeline.models import Deal, StageChange
from expo.pipeline.stages import HOW_LABELS, SOURCES, STAGE_LABELS, STAGES, STATUS_LABELS, STATUSES
from expo.web.errors import wants_json
from expo.web.templates import translate
from i18n import N_

PEOPLE = frozenset({Role.ORGANIZER, Role.HOST})
ORGANIZERS = frozenset({Role.ORGANIZER})
MAX_ID = 2**31 - 1


def config(request: Request) -> Config:
    cache = request.state.cache
    if "pipeline.config" not in cache:
        cache["pipeline.config"] = Config.from_settings(request.state.settings)
    return cache["pipeline.config"]  # type: ignore[no-any-return]


def today(request: Request) -> date:
    from datetime import datetime

    return datetime.now(request.state.fmt.timezone).date()


def path_id(request: Request, name: str) -> int:
    value = request.path_params[name]
    if not isinstance(value, int) or value > MAX_ID:
        raise HTTPException(404)
    return value


def query_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) <= 9 else None


async def load_deal(session: AsyncSession, request: Request, name: str = "deal_id") -> Deal:
    try:
        return await deals.get_deal(session, request.state.user, path_id(request, name))
    except deals.NotFound:
        raise HTTPException(404) from None
    except deals.Forbidden:
        raise HTTPException(403, N_("This deal belongs to another district.")) from None


def scope_of(request: Request) -> int | None:
    try:
        return deals.scope(request.state.user)
    except deals.Forbidden:
        raise HTTPException(403) from None


def district_filter(request: Request) -> int | None:
    """The district a page shows: a host's own; for organizers the ``district`` parameter."""
    limit = scope_of(request)
    if limit is not None:
        return limit
    return query_id(request.query_params.get("district"))


async def read_upload_form(request: Request, max_bytes: int, max_fields: int = 20) -> Any:
    """A multipart form with one file, refused early when declared larger than ``max_bytes``
    (413), not multipart (415) or malformed (400). The caller closes it."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes + 64 * 1024:
        raise HTTPException(413)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, N_("Send this form as application/x-www-form-urlencoded or multipart/form-data."))
    try:
        return await request.form(max_files=1, max_fields=max_fields)
    except Exception:  # noqa: BLE001 - a malformed body is the client's
        raise HTTPException(400, N_("The request could not be understood.")) from None


def form_day(data: Mapping[str, str], name: str) -> date | None:
    """An ISO date field, None when empty or malformed (the domain then names it as missing)."""
    raw = (data.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def missing_texts(request: Request, missing: list[Any]) -> list[str]:
    return [translate(request, m.message) for m in missing]


def refusal(request: Request, missing: list[Any], status: int = 422) -> Response | None:
    """JSON clients get the refusal as JSON; HTML views render it themselves (None)."""
    if wants_json(request):
        texts = missing_texts(request, missing)
        return JSONResponse(
            {
                "error": {
                    "status": status,
                    "message": translate(request, N_("This change is not possible yet.")),
                    "missing": [{"fact": m.fact, "message": t} for m, t in zip(missing, texts, strict=True)],
                }
            },
            status_code=status,
        )
    return None


def change_text(request: Request, change: StageChange) -> str:
    label = lambda table, key: translate(request, table.get(key, key)) if key else ""  # noqa: E731
    if change.kind in ("stage", "create"):
        return f"{label(STAGE_LABELS, change.from_stage)} → {label(STAGE_LABELS, change.to_stage)}".strip(" →")
    if change.kind == "status":
        return f"{label(STATUS_LABELS, change.from_status)} → {label(STATUS_LABELS, change.to_status)}"
    if change.kind == "confirm":
        return translate(request, HOW_LABELS["confirm"]) + ": " + label(STAGE_LABELS, change.to_stage)
    return translate(request, N_("Changed: %(fields)s")) % {"fields": change.reason}


def conflict_response(request: Request, exc: deals.Conflict) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "status": 409,
                "message": translate(request, N_("Someone changed this deal since you loaded it.")),
                "version": exc.deal.version,
                "stage": exc.deal.stage,
                "status_now": exc.deal.status,
                "changes": [
                    {"at": c.at.isoformat(), "by": c.by_user_id, "kind": c.kind, "text": change_text(request, c)}
                    for c in exc.changes
                ],
            }
        },
        status_code=409,
    )


async def names(session: AsyncSession) -> dict[str, Mapping[int, Any]]:
    districts = {d.id: d for d in (await session.scalars(select(District).order_by(District.id))).all()}
    teams = {t.id: t for t in (await session.scalars(select(ProjectTeam).order_by(ProjectTeam.id))).all()}
    hosts = {
        u.id: u for u in (await session.scalars(select(User).where(User.role == "host").order_by(User.name))).all()
    }
    return {"districts": districts, "teams": teams, "hosts": hosts}


def page_context(request: Request, **values: Any) -> dict[str, Any]:
    cfg = config(request)
    return {
        "stages": STAGES,
        "stage_labels": STAGE_LABELS,
        "statuses": STATUSES,
        "status_labels": STATUS_LABELS,
        "sources": SOURCES,
        "flag_labels": FLAGS,
        "how_labels": HOW_LABELS,
        "cfg": cfg,
        "usd_rate": cfg.usd_rate,
        "today": today(request),
        "is_organizer": request.state.user.role == "organizer",
        "change_text": lambda change: change_text(request, change),
        "event_labels": feed.EVENT_LABELS,
        "next_steps": feed.NEXT_STEPS,
        "day": lambda value: format_date(value, "medium", locale=request.state.fmt.locale) if value else "",
        **values,
    }
