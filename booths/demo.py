"""The booths' share of the demo fair: a published booth for every district/zone and
project team (one left awaiting approval), their projects, a handbook PDF, a logo and a
banner each (files shipped in booths/demo_files), and some chat history and leads."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booths import editing, leads
from booths.models import Booth, ChatMessage, ChatThread, Document, Project
from booths.taxonomy import to_usd
from expo.accounts.models import User
from expo.fair.models import District, ProjectTeam

STAGE_BY_AMOUNT = ((10_000_000, "seed"), (100_000_000, "growth"), (500_000_000, "expansion"))
PENDING = "team-photon-pack"  # left "submitted": the organizer approves it in the demo

LAND = {
    "en": "{name}: serviced industrial land and ready-built plants",
    "zh_Hans": "{name}：成熟工业用地与标准厂房",
    "ja": "{name}：整備済み工業用地と既設工場",
}
LAND_SUMMARY = {
    "en": "Parcels from 2 to 40 hectares with utilities connected; rent-free periods for "
    "priority sectors and one-to-one approval service.",
    "zh_Hans": "2至40公顷地块，水电气配套到位；重点产业享受租金减免与一对一审批服务。",
    "ja": "2～40ヘクタールの区画、インフラ接続済み。重点分野には賃料免除期間と個別の許認可支援。",
}
INCENTIVES = {
    "en": "Up to three years rent-free; 50% refund of the local share of corporate income tax "
    "for five years; talent housing.",
    "zh_Hans": "最长三年免租；五年内地方留成企业所得税返还50%；人才公寓。",
    "ja": "最長3年間の賃料免除、5年間の法人所得税地方分の50%還付、人材向け住宅。",
}
TAGLINE = {
    "en": "Talk to us about sites, incentives and approvals.",
    "zh_Hans": "欢迎咨询用地、政策与审批。",
    "ja": "用地・優遇策・許認可についてご相談ください。",
    "ar": "تحدث معنا عن المواقع والحوافز والموافقات.",
}


def _stage(amount_usd: int) -> str:
    for limit, stage in STAGE_BY_AMOUNT:
        if amount_usd < limit:
            return stage
    return "construction"


def _docs(booth: Booth) -> list[Document]:
    return [
        Document(
            booth_id=booth.id,
            kind="pdf",
            role="document",
            filename="investment-handbook.pdf",
            title={"en": "Investment handbook", "zh_Hans": "投资指南", "ja": "投資ハンドブック"},
            stored_name=f"demo:handbook.pdf#{booth.slug}",
            content_type="application/pdf",
            size=700,
        ),
        Document(
            booth_id=booth.id,
            kind="image",
            role="logo",
            filename="logo.png",
            title={},
            stored_name=f"demo:logo.png#{booth.slug}",
            content_type="image/png",
            size=700,
        ),
        Document(
            booth_id=booth.id,
            kind="image",
            role="banner",
            filename="banner.png",
            title={},
            stored_name=f"demo:banner.png#{booth.slug}",
            content_type="image/png",
            size=2000,
        ),
    ]


async def seed(session: AsyncSession, now: datetime) -> None:
    districts = {d.slug: d for d in (await session.scalars(select(District))).all()}
    teams = {t.slug: t for t in (await session.scalars(select(ProjectTeam))).all()}
    booths: dict[str, Booth] = {}
    for slug, district in districts.items():
        booths[f"district-{slug}"] = Booth(
            slug=f"district-{slug}",
            kind="district",
            district_id=district.id,
            status="published",
            name=dict(district.name),
            tagline=dict(TAGLINE),
            description=dict(district.summary),
            contact_email=f"invest@{slug}.lanhai.example",
            published_at=now,
        )
    for slug, team in teams.items():
        booths[f"team-{slug}"] = Booth(
            slug=f"team-{slug}",
            kind="team",
            district_id=team.district_id,
            team_id=team.id,
            status="submitted" if f"team-{slug}" == PENDING else "published",
            sector=team.sector,
            name=dict(team.name),
            tagline=dict(team.summary),
            description=dict(team.summary),
            contact_email=f"contact@{slug}.example",
            published_at=None if f"team-{slug}" == PENDING else now,
        )
    session.add_all(booths.values())
    await session.flush()
    projects: list[Project] = []
    for slug, district in districts.items():
        name = district.name
        projects.append(
            Project(
                booth_id=booths[f"district-{slug}"].id,
                district_id=district.id,
                sector=next(
                    (t.sector for t in teams.values() if t.district_id == district.id),
                    "modern_services",
                ),
                stage="site_ready",
                funding_amount=500_000_000,
                funding_currency="CNY",
                title={k: v.format(name=name.get(k) or name["en"]) for k, v in LAND.items()},
                summary=dict(LAND_SUMMARY),
                description=dict(district.summary),
                incentives=dict(INCENTIVES),
                site=dict(name),
            )
        )
    for slug, team in teams.items():
        usd = to_usd(team.funding_amount, team.funding_currency)
        projects.append(
            Project(
                booth_id=booths[f"team-{slug}"].id,
                team_id=team.id,
                district_id=team.district_id,
                sector=team.sector,
                stage=_stage(usd),
                funding_amount=team.funding_amount,
                funding_currency=team.funding_currency,
                title=dict(team.name),
                summary=dict(team.summary),
                description=dict(team.summary),
                incentives=dict(INCENTIVES) if usd > 50_000_000 else {},
                site=dict(districts_by_id(districts)[team.district_id].name),
            )
        )
    for project in projects:
        project.funding_usd = to_usd(project.funding_amount, project.funding_currency)
        project.languages = "," + ",".join(sorted(k for k, v in project.title.items() if v)) + ","
        project.created_at = project.updated_at = now
    session.add_all(projects)
    await session.flush()
    for project in projects:
        await editing.index_project(session, project)
    for booth in booths.values():
        session.add_all(_docs(booth))
    session.add(_under_review(booths["district-binhai-ftz"]))
    await _chats(session, booths, now)


def _under_review(booth: Booth) -> Document:
    """A published booth whose staff changed its name and added a document, both waiting
    for an organizer (booths.review): visitors still see the approved name, not the file."""
    booth.pending_name = {**booth.name, "en": "Binhai Free Trade Zone (Lanhai Port Area)"}
    doc = _docs(booth)[0]
    doc.filename = "land-price-list-2027.pdf"
    doc.title = {"en": "Land price list 2027", "zh_Hans": "2027年土地价格表"}
    doc.stored_name = f"demo:handbook.pdf#{booth.slug}-price-list"
    doc.pending = True
    return doc


def districts_by_id(districts: dict[str, District]) -> dict[int, District]:
    return {d.id: d for d in districts.values()}


async def _chats(session: AsyncSession, booths: dict[str, Booth], now: datetime) -> None:
    users = {u.email: u for u in (await session.scalars(select(User))).all()}
    investor = users.get("investor@expo.example")
    team = users.get("team@expo.example")
    host = users.get("host@expo.example")
    if investor is None or team is None or host is None:
        return
    others = [u for u in users.values() if u.role == "investor" and u.email != investor.email][:3]
    script = [
        (
            booths["team-nova-antibody"],
            investor,
            team,
            [
                (False, "Hello, is the phase II budget already fully planned?"),
                (
                    True,
                    "Good morning! Yes, the budget is in the handbook, page 4. Happy to walk you through it.",
                ),
            ],
        ),
        (
            booths["district-jinshan-bio"],
            investor,
            host,
            [
                (False, "Are there GMP plants available for lease this year?"),
            ],
        ),
    ]
    for i, other in enumerate(others):
        script.append(
            (
                booths["district-jinshan-bio"],
                other,
                host,
                [
                    (
                        False,
                        [
                            "Could you send the land price list?",
                            "Which CROs are in the park?",
                            "Is there a fast track for medical devices?",
                        ][i],
                    ),
                    (True, "Thank you, we will reply with details shortly."),
                ],
            )
        )
    minute = 0
    for booth, visitor, staff, lines in script:
        thread = ChatThread(booth_id=booth.id, investor_id=visitor.id)
        session.add(thread)
        await session.flush()
        last = None
        for from_staff, body in lines:
            minute += 7
            at = now - timedelta(hours=6) + timedelta(minutes=minute)
            last = ChatMessage(
                thread_id=thread.id,
                booth_id=booth.id,
                from_staff=from_staff,
                body=body,
                sender_id=(staff if from_staff else visitor).id,
                created_at=at,
            )
            session.add(last)
            await session.flush()
            if not from_staff:
                await leads.record(session, booth.id, visitor.id, "chats")
        assert last is not None
        thread.last_message_id = last.id
        thread.last_message_at = last.created_at
        thread.staff_read_id = last.id if last.from_staff else 0
        await leads.record(session, booth.id, visitor.id, "visits")
