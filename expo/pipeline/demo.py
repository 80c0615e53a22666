"""The demo pipeline: about 60 deals across every stage, district and status, a year of stage
history (so time in stage and conversion have something to say), problems open, escalated and
closed, expo activity on linked investors (a timeline, leads, a meeting outcome proposing a
stage change) and last month's frozen ranking. Deterministic (a seeded random generator)."""

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo import activity
from expo.accounts.models import User
from expo.fair.models import District, ProjectTeam
from expo.pipeline import deals as deals_domain
from expo.pipeline import problems, ranking
from expo.pipeline.config import Config
from expo.pipeline.models import Deal, Document, Problem, ProblemNote, Signing, StageChange
from expo.pipeline.stages import STAGES

COMPANIES = [
    ("Sakura Life Science Ventures", "JP", "biomedicine"),
    ("Kansai Industrial Partners", "JP", "advanced_manufacturing"),
    ("Hanbit Semiconductor Fund", "KR", "semiconductors"),
    ("Busan Port Capital", "KR", "logistics"),
    ("Nusantara Growth Partners", "ID", "new_energy"),
    ("Garuda Health Investments", "ID", "medical_devices"),
    ("Gulf Horizon Investment", "AE", "new_energy"),
    ("Cedar Biotech Capital", "SA", "biomedicine"),
    ("Formosa Tech Holdings", "TW", "semiconductors"),
    ("Victoria Harbour Partners", "HK", "modern_services"),
    ("Lion City Ventures", "SG", "software"),
    ("Straits Infrastructure Fund", "SG", "logistics"),
    ("Bay Area Med Ventures", "US", "medical_devices"),
    ("Rhein Medizintechnik GmbH", "DE", "medical_devices"),
    ("Nordic Offshore Wind AS", "NO", "new_energy"),
]
PROJECTS = [
    "antibody plant",
    "device assembly line",
    "R&D centre",
    "regional HQ",
    "cold-chain hub",
    "wafer test line",
    "battery materials plant",
    "clinical research site",
    "software delivery centre",
    "bonded warehouse",
]
# final stage of each of the 60 deals (every stage well represented)
FINAL = ["target"] * 12 + ["intention"] * 12 + ["negotiating"] * 12 + ["signed"] * 10 + ["landed"] * 8 + ["funded"] * 6
STATUS_FOR = {
    3: ("lost", "Chose another city's offer", "Suzhou"),
    7: ("abandoned", "Investor cut its budget", ""),
    11: ("dormant", "Waiting for the investor's board", ""),
    15: ("delayed", "Approvals take longer", ""),
    19: ("lost", "Moved the project to Vietnam", "Vietnam"),
    23: ("delayed", "Land swap pending", ""),
    27: ("dormant", "Investor reorganising", ""),
    31: ("abandoned", "Market changed", ""),
}
RATES = {"CNY": 1, "USD": 7, "EUR": 8}


async def seed(session: AsyncSession, now: datetime) -> None:
    rng = random.Random(11)
    districts = list((await session.scalars(select(District).order_by(District.id))).all())
    if not districts:
        return
    teams = list((await session.scalars(select(ProjectTeam))).all())
    hosts = list((await session.scalars(select(User).where(User.role == "host").order_by(User.id))).all())
    organizer = await session.scalar(select(User).where(User.role == "organizer").order_by(User.id).limit(1))
    investors = list(
        (
            await session.scalars(
                select(User).where(User.role == "investor", User.shares_profile.is_(True)).order_by(User.id)
            )
        ).all()
    )
    host_of = {}
    for host in hosts:
        host_of.setdefault(host.district_id, host)
    # the demo host (host@expo.example) owns the deals of their district
    for host in hosts:
        if host.email == "host@expo.example":
            host_of[host.district_id] = host
    deals = []
    for i, final in enumerate(FINAL):
        district = districts[i % len(districts)]
        company, country, sector = COMPANIES[i % len(COMPANIES)]
        team = next((t for t in teams if t.district_id == district.id and (i // 7) % 2 == 0), None)
        currency = "USD" if i % 3 == 0 else ("EUR" if i % 7 == 0 else "CNY")
        amount = rng.choice([20, 50, 80, 120, 200, 350, 500, 800]) * 1_000_000 // (RATES[currency])
        start = now - timedelta(days=rng.randint(300, 365))
        owner = host_of.get(district.id)
        investor = investors[i % len(investors)] if investors and i % 4 == 0 else None
        position = STAGES.index(final)
        deal = Deal(
            ref=f"LH-2026-{i + 1:03d}",
            title=f"{company.split()[0]} {PROJECTS[i % len(PROJECTS)]}",
            investor_company=company,
            investor_country=country,
            contact_name=investor.name if investor else f"Contact {i + 1}",
            contact_email=investor.email if investor else f"contact{i + 1}@investor.example",
            investor_user_id=investor.id if investor else None,
            district_id=district.id,
            team_id=team.id if team else None,
            sector=sector,
            currency=currency,
            amount_agreed=amount if position >= 3 else (amount if position >= 2 and i % 2 else 0),
            amount_arrived=amount if final == "funded" else (amount // 3 if final == "landed" else 0),
            jobs=rng.choice([30, 80, 150, 300, 600]) if position >= 3 else 0,
            land_needed=i % 5 == 0,
            site=f"Plot {district.slug.upper()}-{i:02d}" if i % 5 == 0 else "",
            likelihood=min(20 + 15 * position, 100),
            expected_date=(now + timedelta(days=rng.randint(-20, 120))).date(),
            owner_id=owner.id if owner else None,
            service_city_lead="Liu Fang" if position >= 2 else "",
            service_district_lead=owner.name if owner and position >= 2 else "",
            service_liaison="Chen Jie" if position >= 2 else "",
            source=rng.choice(["expo", "booth", "session", "typed", "imported"]),
            stage="target",
            status="active",
            created_at=start,
            updated_at=start,
            stage_entered_at=start,
            version=1,
        )
        session.add(deal)
        await session.flush()
        log = [_entry(deal, owner, "create", start, to_stage="target", to_status="active")]
        # a year of history: the stages spread between the start and the last few weeks
        at = start
        for stage in STAGES[1 : position + 1]:
            at = at + timedelta(days=rng.randint(15, 60))
            if at > now - timedelta(days=2):
                at = now - timedelta(days=rng.randint(2, 9))
            log.append(
                _entry(
                    deal,
                    owner,
                    "stage",
                    at,
                    from_stage=deal.stage,
                    to_stage=stage,
                    from_status="active",
                    to_status="active",
                )
            )
            deal.stage, deal.stage_entered_at = stage, at
            if stage in ("signed", "funded"):
                awaiting = stage == final and i % 5 == 1  # a few wait for the city office
                if not awaiting:
                    log.append(
                        _entry(deal, organizer, "confirm", at + timedelta(days=2), from_stage=stage, to_stage=stage)
                    )
                deal.confirmed = not awaiting
        if final not in ("signed", "funded"):
            deal.confirmed = True
        if position >= 2:
            session.add(_document(deal, "agreement", 1, start + timedelta(days=40)))
        if position >= 3:
            session.add(_document(deal, "countersigned", 1, deal.stage_entered_at))
            session.add(
                Signing(
                    deal_id=deal.id,
                    method="post" if i % 2 else "electronic",
                    tracking_out=f"SF{100200300 + i}",
                    tracking_back=f"DHL{4400550 + i}" if i % 2 else "",
                    sent_on=(start + timedelta(days=50)).date(),
                    received_on=(start + timedelta(days=58)).date(),
                    countersigned_on=(start + timedelta(days=60)).date(),
                )
            )
        if final == "funded":
            session.add(_document(deal, "funds_evidence", 1, deal.stage_entered_at))
        if i in STATUS_FOR:
            status, reason, lost_to = STATUS_FOR[i]
            when = deal.stage_entered_at + timedelta(days=3)
            log.append(
                _entry(
                    deal,
                    owner,
                    "status",
                    when,
                    from_stage=deal.stage,
                    to_stage=deal.stage,
                    from_status="active",
                    to_status=status,
                    reason=reason,
                )
            )
            deal.status, deal.lost_reason, deal.lost_to = status, reason if status == "lost" else "", lost_to
        if i % 6 != 5 and deal.status in ("active", "delayed"):
            deal.next_action = rng.choice(
                [
                    "Call the investor",
                    "Send the land documents",
                    "Video meeting with the board",
                    "Visit the site online",
                    "Chase the approval",
                ]
            )
            deal.next_action_due = (now + timedelta(days=rng.randint(-12, 20))).date()
        deal.version = len(log)
        deal.updated_at = max(e.at for e in log)
        session.add_all(log)
        deals.append(deal)
    await session.flush()
    await _problems(session, rng, deals, host_of, organizer, now)
    await _expo_activity(session, deals, investors, districts, now)
    last_month = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    await ranking.close_month(session, last_month, Config(), now)


def _entry(deal: Deal, by: User | None, kind: str, at: datetime, **values: object) -> StageChange:
    return deals_domain.log_entry(deal, by, kind, "seed", at, **values)


def _document(deal: Deal, kind: str, version: int, at: datetime) -> Document:
    names = {
        "agreement": "draft-agreement.pdf",
        "countersigned": "agreement-countersigned.pdf",
        "funds_evidence": "bank-receipt.pdf",
    }
    return Document(
        deal_id=deal.id,
        kind=kind,
        version=version,
        filename=names[kind],
        stored_name="demo:agreement.pdf",
        content_type="application/pdf",
        size=700,
        uploaded_at=at,
    )


async def _problems(
    session: AsyncSession, rng: random.Random, deals: list[Deal], host_of: dict, organizer: User | None, now: datetime
) -> None:
    texts = [
        ("land", "Land parcel rezoning not yet approved"),
        ("approvals", "Environmental assessment waiting for review"),
        ("utilities", "Grid connection capacity for the plant"),
        ("financing", "Bank guarantee for the first tranche"),
        ("policy", "Eligibility for the biomedicine subsidy"),
        ("talent", "Work permits for the engineering team"),
    ]
    for n, deal in enumerate(deals[::4]):
        category, title = texts[n % len(texts)]
        owner = host_of.get(deal.district_id)
        created = now - timedelta(days=rng.randint(10, 90))
        problem = Problem(
            deal_id=deal.id,
            district_id=deal.district_id,
            category=category,
            level=["low", "medium", "high"][n % 3],
            title=title,
            owner_id=owner.id if owner else None,
            created_at=created,
            created_by=owner.id if owner else None,
            deadline=(created + timedelta(days=14)).date(),
            tier="owner",
            resolution="",
        )
        session.add(problem)
        await session.flush()
        session.add(
            ProblemNote(
                problem_id=problem.id,
                at=created,
                by_user_id=problem.created_by,
                kind="opened",
                tier="owner",
                text=title,
            )
        )
        if n % 3 == 0:  # closed with a resolution
            problem.closed_at = created + timedelta(days=9)
            problem.resolution = "Solved with the city's one-to-one service team; documents issued."
            session.add(
                ProblemNote(
                    problem_id=problem.id,
                    at=problem.closed_at,
                    by_user_id=problem.owner_id,
                    kind="closed",
                    tier="owner",
                    text=problem.resolution,
                )
            )
        elif n % 3 == 1:  # escalated past its deadline, still open
            await problems.escalate(
                session, problem, None, "Past its deadline: escalated automatically.", created + timedelta(days=15)
            )
        else:  # open, deadline ahead
            problem.deadline = (now + timedelta(days=rng.randint(3, 20))).date()


async def _expo_activity(
    session: AsyncSession, deals: list[Deal], investors: list[User], districts: list[District], now: datetime
) -> None:
    linked = [d for d in deals if d.investor_user_id and d.status == "active"]
    for n, deal in enumerate(linked):
        investor = next(u for u in investors if u.id == deal.investor_user_id)
        base = dict(
            user_id=investor.id,
            district_id=deal.district_id,
            team_id=deal.team_id,
            country=investor.country,
            sector=deal.sector,
        )
        await activity.record(session, "booth.visit", at=now - timedelta(days=20), **base)
        await activity.record(session, "booth.download", at=now - timedelta(days=19), data={"document_id": 1}, **base)
        await activity.record(session, "booth.chat", at=now - timedelta(days=18), **base)
        await activity.record(session, "meeting.booked", at=now - timedelta(days=10), subject_id=9000 + n, **base)
        if deal.stage in ("intention", "negotiating") and n % 2 == 0:
            step = "term_sheet" if deal.stage == "intention" else "ready_to_sign"
            await activity.record(session, "meeting.held", at=now - timedelta(days=2), subject_id=9000 + n, **base)
            await activity.record(
                session,
                "meeting.outcome",
                at=now - timedelta(days=2),
                subject_id=9000 + n,
                data={"held": True, "rating": 5, "next_step": step},
                **base,
            )
    # leads: consenting investors talking to districts where they have no deal yet
    for n, investor in enumerate(investors[:8]):
        district = districts[(n * 3 + 1) % len(districts)]
        if any(d.investor_user_id == investor.id and d.district_id == district.id for d in deals):
            continue
        kind = "booth.chat" if n % 2 else "meeting.booked"
        await activity.record(
            session,
            kind,
            user_id=investor.id,
            district_id=district.id,
            country=investor.country,
            at=now - timedelta(days=n + 1),
        )
