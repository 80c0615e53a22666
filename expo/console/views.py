"""The console's pages for organizers: its home (the menu), the expo's own settings, and the
lists of districts/zones, project teams and halls with their edit forms."""

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo.accounts import Role
from expo.accounts.validation import InvalidInput
from expo.console import setup
from expo.fair.models import District, Expo, Hall, ProjectTeam
from expo.web.forms import fields, read_form
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_

ORGANIZERS = frozenset({Role.ORGANIZER})


def _int(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise HTTPException(404)
    return int(raw)


async def home(request: Request) -> Response:
    async with request.state.db.session() as session:
        expo = await setup.current_expo(session)
        counts = {
            "districts": len((await session.scalars(select(District.id))).all()),
            "teams": len((await session.scalars(select(ProjectTeam.id))).all()),
            "halls": len((await session.scalars(select(Hall.id))).all()),
        }
    return render(request, "console/home.html", {"expo": expo, "counts": counts})


def _expo_values(expo: Expo | None, zone: str) -> dict[str, str]:
    if expo is None:
        return {}
    values = {f"title_{k}": v for k, v in expo.title.items()}
    values.update({f"tagline_{k}": v for k, v in (expo.tagline or {}).items()})
    tz = expo.home_tz or zone
    values.update(
        home_tz=tz,
        default_locale=expo.default_locale,
        first_day=expo.starts_at.astimezone(ZoneInfo(tz)).date().isoformat(),
        last_day=(expo.ends_at.astimezone(ZoneInfo(tz)) - timedelta(seconds=1)).date().isoformat(),
    )
    return values


async def expo_settings(request: Request) -> Response:
    settings = request.state.settings
    async with request.state.db.session() as session:
        expo = await setup.current_expo(session)
        if expo is None:
            raise HTTPException(404, N_("There is no expo yet: run expo init first."))
        if request.method == "GET":
            values = _expo_values(expo, settings.home_tz)
            values.setdefault("default_locale", settings.default_locale)
            values["default_locale"] = values["default_locale"] or settings.default_locale
            return render(
                request, "console/expo.html", {"values": values, "errors": {}, "saved": "saved" in request.query_params}
            )
        data = fields(await read_form(request))
        try:
            facts = setup.check_expo(data)
        except InvalidInput as exc:
            return render(
                request, "console/expo.html", {"values": data, "errors": exc.errors, "saved": False}, status_code=422
            )
        setup.apply_expo(expo, facts)
        await session.commit()
    # The zone and language apply to this process at once, to the others through the bus.
    request.state.cache["settings"] = dataclasses.replace(
        settings, home_tz=facts.home_tz, default_locale=facts.default_locale
    )
    await request.state.bus.publish(setup.SETTINGS_CHANNEL, {"changed": "expo"})
    return RedirectResponse("/organizer/expo?saved=1", status_code=303)


Saver = Callable[[Any, Any, dict[str, str]], Awaitable[Any]]


def _values(obj: object, texts: tuple[str, ...], plain: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in texts:
        values.update({f"{name}_{k}": v for k, v in (getattr(obj, name) or {}).items()})
    for name in plain:
        value = getattr(obj, name)
        values[name.removesuffix("_id")] = "" if value is None else str(value)
    return values


ENTITIES: dict[str, tuple[type, Saver, tuple[str, ...], tuple[str, ...]]] = {
    "districts": (District, setup.save_district, ("name", "summary"), ("slug", "kind")),
    "teams": (
        ProjectTeam,
        setup.save_team,
        ("name", "summary"),
        ("slug", "sector", "district_id", "funding_amount", "funding_currency"),
    ),
    "halls": (Hall, setup.save_hall, ("name",), ("slug", "kind", "district_id", "sector", "position")),
}


async def _choices(session: Any) -> dict[str, object]:
    districts = (await session.scalars(select(District).order_by(District.slug))).all()
    return {"districts": districts, "district_by_id": {d.id: d for d in districts}}


def _entity_view(
    kind: str,
) -> tuple[Callable[[Request], Awaitable[Response]], Callable[[Request], Awaitable[Response]]]:
    model, save, texts, plain = ENTITIES[kind]
    template = f"console/{kind}.html"

    async def listing(request: Request) -> Response:
        values: dict[str, str] = {}
        errors: dict[str, str] = {}
        async with request.state.db.session() as session:
            if request.method == "POST":
                values = fields(await read_form(request))
                try:
                    await save(session, None, values)
                    return RedirectResponse(f"/organizer/{kind}?saved=1", status_code=303)
                except InvalidInput as exc:
                    await session.rollback()
                    errors = exc.errors
            items = (await session.scalars(select(model).order_by(model.slug))).all()  # type: ignore[attr-defined]
            context = {"items": items, "values": values, "errors": errors, "item": None, **await _choices(session)}
            return render(request, template, context, status_code=422 if errors else 200)

    async def edit(request: Request) -> Response:
        item_id = _int(request.path_params["id"])
        async with request.state.db.session() as session:
            item = await session.get(model, item_id)
            if item is None:
                raise HTTPException(404)
            if request.method == "GET":
                context = {"items": None, "item": item, "errors": {}, **await _choices(session)}
                return render(request, template, {**context, "values": _values(item, texts, plain)})
            data = fields(await read_form(request))
            try:
                await save(session, item, data)
            except InvalidInput as exc:
                await session.rollback()
                await session.refresh(item)
                context = {"items": None, "item": item, "values": data, "errors": exc.errors, **await _choices(session)}
                return render(request, template, context, status_code=422)
        return RedirectResponse(f"/organizer/{kind}?saved=1", status_code=303)

    listing.__name__, edit.__name__ = f"console_{kind}", f"console_{kind}_edit"
    return listing, edit


routes = [
    route("/organizer", home, allow=ORGANIZERS),
    route("/organizer/expo", expo_settings, allow=ORGANIZERS, methods=("GET", "POST")),
]
for _kind in ENTITIES:
    _listing, _edit = _entity_view(_kind)
    routes += [
        route(f"/organizer/{_kind}", _listing, allow=ORGANIZERS, methods=("GET", "POST")),
        route(f"/organizer/{_kind}/{{id}}", _edit, allow=ORGANIZERS, methods=("GET", "POST")),
    ]
