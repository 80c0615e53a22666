"""Staff pages: my booths, the booth editor (a tab per shipped language, with what is
missing in each), uploads, the project editor, and the draft → submitted → published
lifecycle (organizers approve)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from booths import editing, review, search, uploads
from booths.access import is_staff, own_booths
from booths.catalogue import district_slugs
from booths.models import Booth, Document, Project
from booths.taxonomy import CURRENCIES, STAGES, STATUS_LABELS
from booths.web import load_booth, path_int, upload_max_bytes
from expo.accounts.roles import STAFF, Role
from expo.accounts.validation import InvalidInput
from expo.fair.models import District, ProjectTeam
from expo.web.forms import fields, read_form, safe_next
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_, SHIPPED_LOCALES


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.state.locale
    if lang not in SHIPPED_LOCALES:
        raise HTTPException(400, N_("Unknown language."))
    return lang


async def mine(request: Request) -> Response:
    user = request.state.user
    async with request.state.db.session() as session:
        rows = (
            await session.execute(
                own_booths(user).add_columns(District).join(District, District.id == Booth.district_id)
            )
        ).all()
        teams = (await session.scalars(select(ProjectTeam).order_by(ProjectTeam.id))).all()
        districts = (await session.scalars(select(District).order_by(District.id))).all()
        pending = await review.pending_booths(session)
    return render(
        request,
        "booths/mine.html",
        {"rows": rows, "teams": teams, "districts": districts, "status_labels": STATUS_LABELS, "pending": pending},
    )


async def create(request: Request) -> Response:
    """Makes a draft booth: a host's for its district, a team member's for its team, an
    organizer's for the district or team chosen."""
    user = request.state.user
    form = fields(await read_form(request))
    async with request.state.db.session() as session:
        if user.role == Role.ORGANIZER:
            target = form.get("target", "")
            kind, _sep, slug = target.partition(":")
            if kind == "district":
                district = await session.scalar(select(District).where(District.slug == slug))
                team = None
            elif kind == "team":
                team = await session.scalar(select(ProjectTeam).where(ProjectTeam.slug == slug))
                district = await session.get(District, team.district_id) if team else None
            else:
                district = team = None
            if district is None or (kind == "team" and team is None):
                raise HTTPException(422, N_("Choose one of the offered values."))
        elif user.role == Role.HOST:
            kind, team = "district", None
            district = await session.get(District, user.district_id)
        else:
            kind = "team"
            team = await session.get(ProjectTeam, user.team_id)
            district = await session.get(District, team.district_id) if team else None
        if district is None:
            raise HTTPException(404)
        owner = team if team is not None else district
        slug = f"{kind}-{owner.slug}"
        existing = await session.scalar(select(Booth).where(Booth.slug == slug))
        if existing is not None:
            return RedirectResponse(f"/booths/{existing.id}/edit", status_code=303)
        booth = Booth(
            slug=slug,
            kind=kind,
            district_id=district.id,
            team_id=team.id if team else None,
            status="draft",
            name=dict(owner.name),
            sector=team.sector if team else None,
            tagline={},
            description={},
        )
        session.add(booth)
        try:
            await session.commit()
        except IntegrityError:
            raise HTTPException(409, N_("This booth already exists.")) from None
    return RedirectResponse(f"/booths/{booth.id}/edit", status_code=303)


async def _editor(
    request: Request,
    booth: Booth,
    lang: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    upload_errors: dict[str, str] | None = None,
    upload_message: dict[str, object] | None = None,
    upload_values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with request.state.db.session() as session:
        projects = (
            await session.scalars(select(Project).where(Project.booth_id == booth.id).order_by(Project.id))
        ).all()
        documents = (
            await session.scalars(select(Document).where(Document.booth_id == booth.id).order_by(Document.id))
        ).all()
    texts = {"name": review.current_name(booth), "tagline": booth.tagline, "description": booth.description}
    return render(
        request,
        "booths/edit_booth.html",
        {
            "booth": booth,
            "reviewed": review.reviewed(booth, request.state.user),
            "pending_docs": [d for d in documents if d.pending],
            "lang": lang,
            "texts": texts,
            "missing": editing.missing_languages(texts),
            "projects": projects,
            "documents": documents,
            "errors": errors or {},
            "values": values or {},
            "upload_errors": upload_errors or {},
            "upload_message": upload_message or {},
            "upload_values": upload_values or {},
            "status_labels": STATUS_LABELS,
            "max_mb": upload_max_bytes(request) // (1024 * 1024),
            "max_bytes": upload_max_bytes(request),
        },
        status_code=status,
    )


async def edit(request: Request) -> Response:
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
    if request.method == "GET":
        return await _editor(request, booth, _lang(request))
    data = fields(await read_form(request))
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
        try:
            editing.update_booth(booth, data, reviewed=review.reviewed(booth, request.state.user))
        except InvalidInput as exc:
            lang = data.get("lang") if data.get("lang") in SHIPPED_LOCALES else request.state.locale
            return await _editor(request, booth, lang, errors=exc.errors, values=data, status=422)
        await session.commit()
    return RedirectResponse(f"/booths/{booth.id}/edit?lang={data['lang']}&saved=1", status_code=303)


async def lifecycle(request: Request, action: str) -> Response:
    user = request.state.user
    form = fields(await read_form(request))
    if action in ("publish", "reject") and user.role != Role.ORGANIZER:
        raise HTTPException(403)
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
        try:
            editing.move(booth, action)
        except editing.LifecycleError:
            raise HTTPException(409, N_("The booth cannot do this in its current state.")) from None
        # Publishing approves what was pending; a booth sent back to draft is reviewed whole.
        await review.approve(session, booth)
        await session.commit()
    return RedirectResponse(safe_next(form.get("next"), f"/booths/{booth.id}/edit"), status_code=303)


async def review_changes(request: Request) -> Response:
    """An organizer approves or rejects a published booth's pending name and documents."""
    form = fields(await read_form(request))
    action = form.get("action")
    if action not in ("approve", "reject"):
        raise HTTPException(422, N_("Choose one of the offered values."))
    removed: list[str] = []
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
        if action == "approve":
            await review.approve(session, booth)
        else:
            removed = await review.reject(session, booth)
        await session.commit()
    for stored in removed:
        uploads.remove(request.state.settings.var_dir, stored)
    return RedirectResponse(safe_next(form.get("next"), f"/booths/{booth.id}/edit"), status_code=303)


async def submit(request: Request) -> Response:
    return await lifecycle(request, "submit")


async def publish(request: Request) -> Response:
    return await lifecycle(request, "publish")


async def reject(request: Request) -> Response:
    return await lifecycle(request, "reject")


async def upload(request: Request) -> Response:
    try:
        return await _upload(request)
    finally:
        form = getattr(request, "_form", None)  # parsed by the CSRF check or by us
        if form is not None:
            await form.close()  # the spooled upload is removed now, whatever happened


class UploadProblem(Exception):
    """A refused upload: shown next to its field on the editor, the typed values kept."""

    def __init__(self, status: int, field: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.status, self.field, self.message, self.values = status, field, message, values


async def _upload(request: Request) -> Response:
    limit = upload_max_bytes(request)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + 64 * 1024:
        raise HTTPException(413)
    form = await read_form_with_file(request)
    data = fields(form)
    lang = data.get("lang") if data.get("lang") in SHIPPED_LOCALES else request.state.locale
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
        try:
            await _store_upload(request, session, booth, form, data, lang, limit)
        except UploadProblem as problem:
            return await _editor(
                request,
                booth,
                lang,
                upload_errors={problem.field: problem.message},
                upload_message=problem.values,
                upload_values=data,
                status=problem.status,
            )
    return RedirectResponse(f"/booths/{booth.id}/edit?lang={lang}&uploaded=1#documents", status_code=303)


async def _store_upload(
    request: Request, session: Any, booth: Booth, form: Any, data: dict[str, str], lang: str, limit: int
) -> None:
    files = [v for v in form.values() if isinstance(v, UploadFile)]
    if len(files) != 1 or form.get("file") is not files[0] or not (files[0].filename or files[0].size):
        raise UploadProblem(400, "file", N_("Choose a file to upload."))
    role = data.get("role", "document")
    if role not in ("document", "logo", "banner", "video"):
        raise UploadProblem(422, "role", N_("Choose one of the offered values."))
    title = (data.get("title") or "").strip()
    if len(title) > 200 or any(ord(c) < 32 for c in title):
        raise UploadProblem(422, "title", N_("This is too long."))
    var_dir = request.state.settings.var_dir
    project_id = None
    raw_project = data.get("project_id") or ""
    if raw_project:
        project = (
            await session.get(Project, int(raw_project)) if raw_project.isdigit() and len(raw_project) < 10 else None
        )
        if project is None or project.booth_id != booth.id:
            raise UploadProblem(422, "project_id", N_("Choose one of the offered values."))
        project_id = project.id
    name = files[0].filename or ""
    try:
        stored, file_type, size = await uploads.store(files[0], var_dir, limit)
    except uploads.UploadTooLarge:
        raise UploadProblem(413, "file", N_("This file is larger than %(mb)s MB."), mb=limit // 2**20) from None
    except uploads.UploadRefused:
        if uploads.claimed_type(name) is not None:
            message = N_(
                "The content of “%(name)s” is not what its name says: upload a real PDF, PNG, JPEG, WebP or MP4 file."
            )
            raise UploadProblem(415, "file", message, name=name[:100]) from None
        raise UploadProblem(415, "file", N_("Upload a PDF, a PNG, JPEG or WebP image, or an MP4 video.")) from None
    wants = {"logo": "image", "banner": "image", "video": "video"}.get(role)
    if wants and file_type.kind != wants:
        uploads.remove(var_dir, stored)
        raise UploadProblem(415, "file", N_("This file does not fit: logos and banners are images, videos are MP4."))
    session.add(
        Document(
            booth_id=booth.id,
            project_id=project_id,
            kind=file_type.kind,
            role=role,
            title={lang: title} if title else {},
            filename=uploads.safe_filename(name, file_type),
            stored_name=stored,
            content_type=file_type.content_type,
            size=size,
            pending=review.reviewed(booth, request.state.user),
            uploaded_by=request.state.user.id,
        )
    )
    try:
        await session.commit()
    except Exception:
        uploads.remove(var_dir, stored)
        raise


async def read_form_with_file(request: Request) -> Any:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(415, N_("Send this form as application/x-www-form-urlencoded or multipart/form-data."))
    try:
        return await request.form(max_files=1, max_fields=20)
    except Exception:  # noqa: BLE001 - any parse failure is the client's malformed body
        raise HTTPException(400, N_("The request could not be understood.")) from None


async def delete_document(request: Request) -> Response:
    await read_form(request)
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
        doc = await session.get(Document, path_int(request, "doc_id"))
        if doc is None or doc.booth_id != booth.id:
            raise HTTPException(404)
        stored = doc.stored_name
        await session.delete(doc)
        await session.commit()
    uploads.remove(request.state.settings.var_dir, stored)
    return RedirectResponse(f"/booths/{booth.id}/edit#documents", status_code=303)


async def _project_form(
    request: Request,
    booth: Booth,
    project: Project | None,
    lang: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with request.state.db.session() as session:
        districts = (await session.scalars(select(District).order_by(District.id))).all()
    texts = {name: (getattr(project, name) if project else {}) or {} for name in editing.PROJECT_TEXTS}
    return render(
        request,
        "booths/edit_project.html",
        {
            "booth": booth,
            "project": project,
            "lang": lang,
            "texts": texts,
            "missing": editing.missing_languages(texts),
            "districts": districts,
            "stages": STAGES,
            "currencies": CURRENCIES,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status,
    )


async def _project_and_booth(session: Any, request: Request) -> tuple[Project, Booth]:
    project = await session.get(Project, path_int(request, "project_id"))
    booth = await session.get(Booth, project.booth_id) if project else None
    if project is None or booth is None:
        raise HTTPException(404)
    if not is_staff(request.state.user, booth):
        raise HTTPException(403 if booth.status == "published" else 404)
    return project, booth


async def project_new(request: Request) -> Response:
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
        if request.method == "GET":
            return await _project_form(request, booth, None, _lang(request))
        data = fields(await read_form(request))
        slugs = await district_slugs(session)
        try:
            lang, texts, facts = editing.check_project(data, slugs)
        except InvalidInput as exc:
            return await _project_form(
                request,
                booth,
                None,
                request.state.locale,
                errors=exc.errors,
                values=data,
                status=422,
            )
        project = Project(
            booth_id=booth.id,
            team_id=booth.team_id,
            title={},
            summary={},
            description={},
            incentives={},
            site={},
        )
        editing.apply_project(project, lang, texts, facts)
        session.add(project)
        await session.flush()
        await editing.index_project(session, project)
        await session.commit()
    return RedirectResponse(f"/projects/{project.id}/edit?lang={lang}&saved=1", status_code=303)


async def project_edit(request: Request) -> Response:
    async with request.state.db.session() as session:
        project, booth = await _project_and_booth(session, request)
        if request.method == "GET":
            return await _project_form(request, booth, project, _lang(request))
        data = fields(await read_form(request))
        slugs = await district_slugs(session)
        try:
            lang, texts, facts = editing.check_project(data, slugs, project.title)
        except InvalidInput as exc:
            lang = data.get("lang") if data.get("lang") in SHIPPED_LOCALES else request.state.locale
            return await _project_form(request, booth, project, lang, errors=exc.errors, values=data, status=422)
        editing.apply_project(project, lang, texts, facts)
        await editing.index_project(session, project)
        await session.commit()
    return RedirectResponse(f"/projects/{project.id}/edit?lang={lang}&saved=1", status_code=303)


async def project_delete(request: Request) -> Response:
    await read_form(request)
    async with request.state.db.session() as session:
        project, booth = await _project_and_booth(session, request)
        await search.unindex(session, project.id)
        await session.delete(project)
        await session.commit()
    return RedirectResponse(f"/booths/{booth.id}/edit", status_code=303)


routes = [
    route("/booths/mine", mine, allow=STAFF, name="my_booths"),
    route("/booths/new", create, allow=STAFF, methods=("POST",)),
    route("/booths/{booth_id:int}/edit", edit, allow=STAFF, methods=("GET", "POST"), name="booth_edit"),
    route("/booths/{booth_id:int}/submit", submit, allow=STAFF, methods=("POST",)),
    route("/booths/{booth_id:int}/publish", publish, allow={Role.ORGANIZER}, methods=("POST",)),
    route("/booths/{booth_id:int}/reject", reject, allow={Role.ORGANIZER}, methods=("POST",)),
    route("/booths/{booth_id:int}/review", review_changes, allow={Role.ORGANIZER}, methods=("POST",)),
    route("/booths/{booth_id:int}/documents", upload, allow=STAFF, methods=("POST",)),
    route(
        "/booths/{booth_id:int}/documents/{doc_id:int}/delete",
        delete_document,
        allow=STAFF,
        methods=("POST",),
    ),
    route("/booths/{booth_id:int}/projects/new", project_new, allow=STAFF, methods=("GET", "POST")),
    route("/projects/{project_id:int}/edit", project_edit, allow=STAFF, methods=("GET", "POST")),
    route("/projects/{project_id:int}/delete", project_delete, allow=STAFF, methods=("POST",)),
]
