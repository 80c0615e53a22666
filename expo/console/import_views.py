"""Imports and exports in the console: upload a CSV/.xlsx file, read the dry-run report, apply
it (one transaction), download the template or the current list.

The uploaded file is kept (``ImportFile``) between the dry run and the apply, so that what is
applied is exactly the file whose report the organizer read; the apply plans it again against
the database as it is then (a change made in between shows in the new report).
"""

import secrets

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from expo import spreadsheets
from expo.accounts import Role
from expo.console import imports
from expo.console.models import ImportFile
from expo.db import utcnow
from expo.web.forms import read_form
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_

ORGANIZERS = frozenset({Role.ORGANIZER})
SHOWN_ROWS = 500  # rows listed on the page; the full report is a CSV download
KIND_LABELS = {
    "teams": N_("Project teams and their projects"),
    "districts": N_("Districts and zones"),
    "investors": N_("Investors to invite"),
}
ACTION_LABELS = {
    "create": N_("create"),
    "update": N_("update"),
    "unchanged": N_("unchanged"),
    "refuse": N_("refused"),
}


def _kind(request: Request) -> str:
    kind = request.path_params["kind"]
    if kind not in imports.COLUMNS:
        raise HTTPException(404)
    return kind


def _fmt(request: Request) -> str:
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404)
    return fmt


def _translator(request: Request):  # type: ignore[no-untyped-def]
    templates = request.state.templates
    return lambda locale, message: templates.translations(locale).gettext(message)


def _reason(request: Request, message: str, values: dict[str, object]) -> str:
    text = request.state.templates.translations(request.state.locale).gettext(message)
    return text % values if values else text


async def overview(request: Request) -> Response:
    async with request.state.db.session() as session:
        rows = (
            await session.execute(
                select(
                    ImportFile.kind, ImportFile.filename, ImportFile.created_at, ImportFile.applied_at, ImportFile.token
                )
                .order_by(ImportFile.id.desc())
                .limit(10)
            )
        ).all()
    return render(
        request,
        "console/imports.html",
        {"kinds": KIND_LABELS, "recent": rows, "columns": imports.COLUMNS, "error": None},
    )


def _overview_error(request: Request, error: str) -> Response:
    context = {"kinds": KIND_LABELS, "recent": [], "columns": imports.COLUMNS, "error": error}
    return render(request, "console/imports.html", context, status_code=422)


async def _read_upload(request: Request) -> tuple[str, bytes]:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > spreadsheets.MAX_BYTES + 64 * 1024:
        raise HTTPException(413, N_("The file is too large."))
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, N_("Send this form as application/x-www-form-urlencoded or multipart/form-data."))
    try:
        form = await request.form(max_files=1, max_fields=5)
    except (MultiPartException, ValueError, KeyError):
        raise HTTPException(400, N_("The request could not be understood.")) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return "", b""
        data = await upload.read(spreadsheets.MAX_BYTES + 1)
    finally:
        await form.close()  # the spooled temporary file
    if len(data) > spreadsheets.MAX_BYTES:
        raise HTTPException(413, N_("The file is too large."))
    return upload.filename[:200], data


async def _report(request: Request, kind: str, stored: ImportFile, *, applied: bool = False) -> Response:
    try:
        sheet = spreadsheets.read(stored.data, stored.filename)
    except spreadsheets.SheetError as exc:
        error = _reason(request, exc.message, exc.values)
        return _overview_error(request, error)
    async with request.state.db.session() as session:
        plan = await imports.plan(session, kind, sheet, translate=_translator(request))
    return render(
        request,
        "console/import_report.html",
        {
            "kind": kind,
            "kind_label": KIND_LABELS[kind],
            "file": stored,
            "sheet": sheet,
            "plan": plan,
            "counts": plan.counts(),
            "rows": [r for r in plan.rows if r.action != "unchanged" or r.reasons][:SHOWN_ROWS],
            "shown": SHOWN_ROWS,
            "actions": ACTION_LABELS,
            "reason": lambda message, values: _reason(request, message, values),
            "applied": applied,
        },
        status_code=422 if plan.missing_columns else 200,
    )


async def upload(request: Request) -> Response:
    kind = _kind(request)
    filename, data = await _read_upload(request)
    if not data:
        error = _reason(request, N_("Choose a CSV or .xlsx file to import."), {})
        return _overview_error(request, error)
    stored = ImportFile(
        token=secrets.token_urlsafe(32), kind=kind, filename=filename, data=data, uploaded_by=request.state.user.id
    )
    async with request.state.db.session() as session:
        session.add(stored)
        await session.commit()
    return RedirectResponse(f"/organizer/imports/file/{stored.token}", status_code=303)


async def _stored(request: Request) -> ImportFile:
    token = request.path_params["token"]
    async with request.state.db.session() as session:
        stored = await session.scalar(select(ImportFile).where(ImportFile.token == token[:64]))
    if stored is None:
        raise HTTPException(404)
    return stored


async def report(request: Request) -> Response:
    stored = await _stored(request)
    return await _report(request, stored.kind, stored, applied=stored.applied_at is not None)


async def apply(request: Request) -> Response:
    """Plans the stored file again and applies it in one transaction."""
    await read_form(request)
    stored = await _stored(request)
    try:
        sheet = spreadsheets.read(stored.data, stored.filename)
    except spreadsheets.SheetError:
        raise HTTPException(422, N_("This file cannot be read; upload it again.")) from None
    async with request.state.db.session() as session:
        plan = await imports.plan(
            session, stored.kind, sheet, translate=_translator(request), public_url=request.state.settings.public_url
        )
        if plan.missing_columns:
            raise HTTPException(422, N_("This file cannot be read; upload it again."))
        await imports.apply(session, plan)
        row = await session.get(ImportFile, stored.id)
        assert row is not None
        row.applied_at, row.summary = utcnow(), plan.counts()
        await session.commit()  # everything, or (on any error) nothing
    return RedirectResponse(f"/organizer/imports/file/{stored.token}?applied=1", status_code=303)


async def report_csv(request: Request) -> Response:
    """The full row-by-row report (every row, in the organizer's language)."""
    stored = await _stored(request)
    try:
        sheet = spreadsheets.read(stored.data, stored.filename)
    except spreadsheets.SheetError:
        raise HTTPException(422, N_("This file cannot be read; upload it again.")) from None
    async with request.state.db.session() as session:
        plan = await imports.plan(session, stored.kind, sheet, translate=_translator(request))
    gettext = request.state.templates.translations(request.state.locale).gettext
    header = [gettext(N_("Row")), gettext(N_("Key")), gettext(N_("Action")), gettext(N_("Reasons"))]
    rows = [
        [r.line, r.key, gettext(ACTION_LABELS[r.action]), " ".join(_reason(request, m, v) for m, v in r.reasons)]
        for r in plan.rows
    ]
    return Response(
        spreadsheets.write_csv(header, rows),
        media_type=spreadsheets.CSV_TYPE,
        headers={"content-disposition": f'attachment; filename="import-report-{stored.id}.csv"'},
    )


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


async def template(request: Request) -> Response:
    kind, fmt = _kind(request), _fmt(request)
    header, rows = imports.template_rows(kind)
    data, media_type = spreadsheets.write(fmt, header, rows, title=kind)
    return _download(data, media_type, f"{kind}-template.{fmt}")


async def export(request: Request) -> Response:
    kind, fmt = _kind(request), _fmt(request)
    async with request.state.db.session() as session:
        header, rows = await imports.export_rows(session, kind)
    data, media_type = spreadsheets.write(fmt, header, rows, title=kind)
    return _download(data, media_type, f"{kind}-{utcnow():%Y%m%d}.{fmt}")


routes = [
    route("/organizer/imports", overview, allow=ORGANIZERS),
    route("/organizer/imports/file/{token}", report, allow=ORGANIZERS),
    route("/organizer/imports/file/{token}/apply", apply, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/imports/file/{token}/report.csv", report_csv, allow=ORGANIZERS),
    route("/organizer/imports/{kind}", upload, allow=ORGANIZERS, methods=("POST",)),
    route("/organizer/imports/{kind}/template.{fmt}", template, allow=ORGANIZERS),
    route("/organizer/imports/{kind}/export.{fmt}", export, allow=ORGANIZERS),
]
