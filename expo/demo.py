"""Seeding the demo fair (``expo demo``): believable content in several languages, with
accounts for every role listed in the README.

Like ``expo.app``, this module composes the packages: it seeds the core's rows, then asks
``booths`` and ``streaming`` to add theirs in the same transaction."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from booths.demo import seed as booths_seed
from expo.accounts.models import User
from expo.accounts.passwords import hash_password
from expo.accounts.roles import Role
from expo.agenda.demo import seed as agenda_seed
from expo.agenda.models import PitchSession, Stage
from expo.console.demo import seed as console_seed
from expo.db import Database
from expo.demo_data import DISTRICTS, INVESTORS, PITCHES, STAGES, TEAMS
from expo.fair.models import District, Expo, Hall, ProjectTeam
from expo.fair.sectors import SECTORS
from expo.meetings.demo import seed as meetings_seed
from expo.pipeline.demo import seed as pipeline_seed
from streaming.demo import seed as streaming_seed
from streaming.demo import seed_rooms as rooms_seed

DEMO_PASSWORD = "expo-demo-2026"


def _email(name: str) -> str:
    return "".join(c for c in name.lower().replace(" ", ".") if c.isalnum() or c == ".") + "@investor.example"


async def seed(url: str, *, only_if_empty: bool = True, now: datetime | None = None) -> bool:
    """Writes the demo fair; returns False (writing nothing) when an expo already exists."""
    now = now or datetime.now(UTC)
    db = Database(url)
    try:
        async with db.session() as session:
            if only_if_empty and await session.scalar(select(func.count()).select_from(Expo)):
                return False
            day0 = now.replace(hour=0, minute=0, second=0, microsecond=0)
            session.add(
                Expo(
                    slug="lanhai-2026",
                    title={
                        "en": "Lanhai Online Investment Expo 2026",
                        "zh_Hans": "2026蓝海线上投资博览会",
                        "zh_Hant": "2026藍海線上投資博覽會",
                        "ja": "藍海オンライン投資博覧会2026",
                    },
                    tagline={
                        "en": "Meet the districts, zones and project teams of a coastal city, from wherever you are.",
                        "zh_Hans": "无论身在何处，与沿海城市的各区、园区和项目团队面对面。",
                    },
                    starts_at=day0,
                    ends_at=day0 + timedelta(days=3),
                )
            )
            districts = {
                slug: District(slug=slug, kind=kind, name=name, summary=summary)
                for slug, kind, name, summary in DISTRICTS
            }
            session.add_all(districts.values())
            await session.flush()
            teams = {}
            for slug, district, sector, amount, currency, name, summary in TEAMS:
                assert sector in SECTORS, sector
                teams[slug] = ProjectTeam(
                    slug=slug,
                    district_id=districts[district].id,
                    sector=sector,
                    name=name,
                    summary=summary,
                    funding_amount=amount,
                    funding_currency=currency,
                )
            session.add_all(teams.values())
            for position, (slug, district) in enumerate(districts.items()):
                session.add(
                    Hall(
                        slug=f"district-{slug}",
                        kind="district",
                        name=district.name,
                        district_id=district.id,
                        position=position,
                    )
                )
            used = sorted({team.sector for team in teams.values()}, key=list(SECTORS).index)
            for position, sector in enumerate(used, start=100):
                session.add(
                    Hall(
                        slug=f"sector-{sector}",
                        kind="sector",
                        name={"en": SECTORS[sector]},
                        sector=sector,
                        position=position,
                    )
                )
            await session.flush()
            password = hash_password(DEMO_PASSWORD)  # one hash for all demo accounts: fast seeding
            session.add(
                User(
                    email="organizer@expo.example",
                    password_hash=password,
                    name="Liu Fang",
                    role=Role.ORGANIZER,
                    organization="Lanhai Investment Promotion Office",
                    country="CN",
                    timezone="Asia/Shanghai",
                    locale="zh_Hans",
                )
            )
            session.add(
                User(
                    email="host@expo.example",
                    password_hash=password,
                    name="Zhou Min",
                    role=Role.HOST,
                    organization="Jinshan Biomedical Park",
                    country="CN",
                    timezone="Asia/Shanghai",
                    locale="en",
                    district_id=districts["jinshan-bio"].id,
                )
            )
            session.add(
                User(
                    email="team@expo.example",
                    password_hash=password,
                    name="Dr. Xu Lei",
                    role=Role.TEAM,
                    organization="Nova Antibody Therapeutics",
                    country="CN",
                    timezone="Asia/Shanghai",
                    locale="zh_Hans",
                    team_id=teams["nova-antibody"].id,
                )
            )
            for slug, district in districts.items():
                session.add(
                    User(
                        email=f"host.{slug}@expo.example",
                        password_hash=password,
                        name=f"{district.name['en']} host",
                        role=Role.HOST,
                        country="CN",
                        timezone="Asia/Shanghai",
                        locale="zh_Hans",
                        district_id=district.id,
                    )
                )
            for name, organization, country, timezone, locale, sectors, (low, high) in INVESTORS:
                session.add(
                    User(
                        email=_email(name),
                        password_hash=password,
                        name=name,
                        role=Role.INVESTOR,
                        organization=organization,
                        country=country,
                        timezone=timezone,
                        locale=locale,
                        sectors=[s for s in sectors if s in SECTORS],
                        ticket_min_usd=low,
                        ticket_max_usd=high,
                        shares_profile=True,
                    )
                )
            session.add(
                User(
                    email="investor@expo.example",
                    password_hash=password,
                    name="Kenji Watanabe",
                    role=Role.INVESTOR,
                    organization="Tokyo Bay Capital",
                    country="JP",
                    timezone="Asia/Tokyo",
                    locale="ja",
                    sectors=["biomedicine", "medical_devices"],
                    ticket_min_usd=1_000_000,
                    ticket_max_usd=10_000_000,
                    shares_profile=True,
                )
            )
            stages = {slug: Stage(slug=slug, name=name) for slug, name in STAGES}
            session.add_all(stages.values())
            await session.flush()
            for stage, district, team, day, hour, minutes, language, title in PITCHES:
                start = day0 + timedelta(days=day, hours=hour)
                if start < now:  # keep the teaser alive: past slots move to the next days
                    start += timedelta(days=3)
                session.add(
                    PitchSession(
                        stage_id=stages[stage].id,
                        district_id=districts[district].id if district else None,
                        team_id=teams[team].id if team else None,
                        title=title,
                        language=language,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=minutes),
                    )
                )
            for package_seed in (
                streaming_seed,
                booths_seed,
                agenda_seed,
                pipeline_seed,
                meetings_seed,
                console_seed,
                rooms_seed,
            ):
                await package_seed(session, now)
            await session.commit()
        return True
    finally:
        await db.close()
