"""Helpers shared by the booths package's views: loading a booth with the visitor's
rights checked, translating, the settings the package reads."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from booths.access import can_view, is_staff
from booths.catalogue import InvalidFilter
from booths.models import Booth, Document
from expo.agenda import PitchSession, listed
from expo.fair.models import District, ProjectTeam
from expo.web.templates import translate
from i18n import pick
from streaming import with_replay

DEFAULT_UPLOAD_MAX_MB = 20


def upload_max_bytes(request: Request) -> int:
    """``EXPO_UPLOAD_MAX_MB`` (settings.upload_max_mb), default 20 MB."""
    return int(getattr(request.state.settings, "upload_max_mb", DEFAULT_UPLOAD_MAX_MB)) * 1024 * 1024


def path_int(request: Request, name: str) -> int:
    """An integer path parameter that fits a database id (else 404)."""
    value = request.path_params[name]
    if not isinstance(value, int) or value >= 2**31:
        raise HTTPException(404)
    return value


def booth_id(request: Request) -> int:
    return path_int(request, "booth_id")


async def load_booth(session: AsyncSession, request: Request, *, staff: bool = False) -> Booth:
    """The booth of the path; 404 when the visitor may not see it (unpublished), 403 when
    ``staff`` is asked and the visitor is not its staff."""
    booth = await session.get(Booth, booth_id(request))
    user = request.state.user
    if booth is None or not can_view(user, booth):
        raise HTTPException(404)
    if staff and not is_staff(user, booth):
        raise HTTPException(403)
    return booth


def bad_filter(exc: InvalidFilter) -> HTTPException:
    return HTTPException(400, exc.message)


def text_of(request: Request, field: Mapping[str, str] | None) -> str:
    return pick(field, request.state.locale, request.state.settings.default_locale).text


def _(request: Request, message: str) -> str:
    return translate(request, message)


async def _pitches_of(session: AsyncSession, booth: Booth) -> list[PitchSession]:
    """The booth's pitch sessions (its team's, or its district's), newest first."""
    owner = PitchSession.team_id == booth.team_id if booth.team_id else PitchSession.district_id == booth.district_id
    return list(
        (
            await session.scalars(
                select(PitchSession).where(owner, listed()).order_by(PitchSession.starts_at.desc()).limit(6)
            )
        ).all()
    )


async def booth_context(session: AsyncSession, booth: Booth) -> dict[str, Any]:
    district = await session.get(District, booth.district_id)
    team = await session.get(ProjectTeam, booth.team_id) if booth.team_id else None
    visible = select(Document).where(Document.booth_id == booth.id, Document.pending.is_(False))  # booths.review
    media = (await session.scalars(visible.order_by(Document.id))).all()
    by_role: dict[str, Document] = {}
    for doc in media:
        by_role[doc.role] = doc  # the newest of each role wins
    pitches = await _pitches_of(session, booth)
    return {
        "booth": booth,
        "pitches": pitches,
        "replays": await with_replay(session, [p.id for p in pitches]),
        "district": district,
        "team": team,
        "documents": [d for d in media if d.role == "document"],
        "all_media": list(media),
        "logo": by_role.get("logo"),
        "banner": by_role.get("banner"),
        "video": by_role.get("video"),
    }
