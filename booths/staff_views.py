"""Pages for the people behind a booth: the chat inbox and the leads (with CSV export);
organizers see every booth's leads; investors see their bookmarks."""

from datetime import datetime

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from booths import chat
from booths import leads as lead_domain
from booths.models import Booth, ChatThread, Lead
from booths.web import load_booth, text_of
from expo.accounts.models import User
from expo.accounts.roles import STAFF, Role
from expo.fair.models import District
from expo.web.routing import route
from expo.web.templates import render
from i18n import N_


async def inbox(request: Request) -> Response:
    raw = request.query_params.get("thread", "")
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
        threads = await chat.inbox(session, booth.id)
        current = None
        messages: list[dict[str, object]] = []
        investor = None
        if raw:
            current = await session.get(ChatThread, int(raw)) if raw.isdigit() and len(raw) < 10 else None
            if current is None or current.booth_id != booth.id:
                raise HTTPException(404)
            investor = await session.get(User, current.investor_id)
            messages = await chat.since(session, booth.id, 0, current.id)
            for message in messages:  # shown in the reader's zone by fmt
                message["when"] = datetime.fromisoformat(str(message["at"]))
            if messages:
                await chat.mark_read(session, current, int(messages[-1]["id"]), staff=True)  # type: ignore[arg-type]
                await session.commit()
        online = await chat.online_staff(session, booth.id)
    return render(
        request,
        "booths/inbox.html",
        {
            "booth": booth,
            "threads": threads,
            "current": current,
            "messages": messages,
            "investor": investor,
            "online": online,
        },
    )


def _sort(request: Request) -> str:
    sort = request.query_params.get("sort", "score")
    if sort not in lead_domain.SORTS:
        raise HTTPException(400, N_("Unknown sort order."))
    return sort


async def _leads(request: Request, booth: Booth | None) -> list[tuple[Lead, User, Booth]]:
    ids = None if booth is None else [booth.id]
    async with request.state.db.session() as session:
        return list((await session.execute(lead_domain.query(ids, _sort(request)))).all())


async def booth_leads(request: Request) -> Response:
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
    rows = await _leads(request, booth)
    return render(request, "booths/leads.html", {"booth": booth, "rows": rows, "sort": _sort(request)})


def _csv(request: Request, rows: list[tuple[Lead, User, Booth]], name: str) -> Response:
    body = lead_domain.to_csv(rows, lambda b: text_of(request, b.name))
    return Response(
        "\ufeff" + body,
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
        },
    )


async def booth_leads_csv(request: Request) -> Response:
    async with request.state.db.session() as session:
        booth = await load_booth(session, request, staff=True)
    return _csv(request, await _leads(request, booth), f"leads-booth-{booth.id}.csv")


async def all_leads(request: Request) -> Response:
    return render(
        request,
        "booths/leads.html",
        {"booth": None, "rows": await _leads(request, None), "sort": _sort(request)},
    )


async def all_leads_csv(request: Request) -> Response:
    return _csv(request, await _leads(request, None), "leads-all-booths.csv")


async def bookmarks(request: Request) -> Response:
    user = request.state.user
    async with request.state.db.session() as session:
        rows = (
            await session.execute(
                select(Booth, District)
                .join(Lead, Lead.booth_id == Booth.id)
                .join(District, District.id == Booth.district_id)
                .where(
                    Lead.investor_id == user.id,
                    Lead.bookmarked.is_(True),
                    Booth.status == "published",
                )
                .order_by(Lead.last_at.desc())
            )
        ).all()
        threads = (
            await session.execute(
                select(ChatThread, Booth)
                .join(Booth, Booth.id == ChatThread.booth_id)
                .where(ChatThread.investor_id == user.id, ChatThread.last_message_id > 0)
                .order_by(ChatThread.last_message_at.desc())
            )
        ).all()
    return render(request, "booths/bookmarks.html", {"rows": rows, "threads": threads})


routes = [
    route("/booths/{booth_id:int}/inbox", inbox, allow=STAFF, name="booth_inbox"),
    route("/booths/{booth_id:int}/leads", booth_leads, allow=STAFF, name="booth_leads"),
    route("/booths/{booth_id:int}/leads.csv", booth_leads_csv, allow=STAFF),
    route("/leads", all_leads, allow={Role.ORGANIZER}, name="all_leads"),
    route("/leads.csv", all_leads_csv, allow={Role.ORGANIZER}),
    route("/bookmarks", bookmarks, allow={Role.INVESTOR}, name="bookmarks"),
]
