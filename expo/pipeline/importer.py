"""Importing the office's existing project list (CSV or .xlsx, read by ``expo.spreadsheets``).

Each row is keyed by ``ref`` (the office's project number), so importing the same file again
changes nothing (idempotent) and a corrected file updates the deals it names. Every row is
checked like the deal form (``deals.read_deal_form``); a dry run reports each row (create,
update, unchanged, or its errors); applying runs the same checks in one transaction and
writes nothing unless every row passed. The stage of an imported row is logged (how =
``import``) at the row's ``stage_date`` (default: today); signed and funded rows from the
city office's own list are confirmed by the import itself.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo import spreadsheets
from expo.accounts.models import User
from expo.db import utcnow
from expo.fair.models import District
from expo.pipeline import deals
from expo.pipeline.config import Config
from expo.pipeline.models import Deal, StageChange
from expo.pipeline.stages import CONFIRMED_BY_CITY, ORDER, STAGES, STATUSES
from i18n import N_

# Column names as offices write them (English or Chinese) → our field.
ALIASES = {
    "ref": "ref",
    "项目编号": "ref",
    "编号": "ref",
    "title": "title",
    "项目名称": "title",
    "project": "title",
    "investor_company": "investor_company",
    "investor": "investor_company",
    "投资方": "investor_company",
    "investor_country": "investor_country",
    "country": "investor_country",
    "国别": "investor_country",
    "contact_name": "contact_name",
    "contact": "contact_name",
    "联系人": "contact_name",
    "contact_email": "contact_email",
    "email": "contact_email",
    "contact_phone": "contact_phone",
    "phone": "contact_phone",
    "电话": "contact_phone",
    "district": "district",
    "区": "district",
    "区县": "district",
    "园区": "district",
    "sector": "sector",
    "行业": "sector",
    "stage": "stage",
    "阶段": "stage",
    "stage_date": "stage_date",
    "阶段日期": "stage_date",
    "status": "status",
    "状态": "status",
    "currency": "currency",
    "币种": "currency",
    "amount_agreed": "amount_agreed",
    "协议金额": "amount_agreed",
    "amount": "amount_agreed",
    "amount_arrived": "amount_arrived",
    "到资金额": "amount_arrived",
    "jobs": "jobs",
    "就业": "jobs",
    "site": "site",
    "用地": "site",
    "land_needed": "land_needed",
    "likelihood": "likelihood",
    "expected_date": "expected_date",
    "owner": "owner",
    "负责人": "owner",
    "next_action": "next_action",
    "下一步": "next_action",
    "next_action_due": "next_action_due",
    "service_city_lead": "service_city_lead",
    "service_district_lead": "service_district_lead",
    "service_liaison": "service_liaison",
}
STAGE_WORDS = {
    **{s: s for s in STAGES},
    "目标": "target",
    "意向": "intention",
    "在谈": "negotiating",
    "签约": "signed",
    "落地": "landed",
    "到资": "funded",
}
STATUS_WORDS = {
    **{s: s for s in STATUSES},
    "正常": "active",
    "滞后": "delayed",
    "停滞": "dormant",
    "流失": "lost",
    "放弃": "abandoned",
}


@dataclass
class RowReport:
    line: int
    ref: str
    action: str  # create | update | unchanged | error
    errors: list[str] = field(default_factory=list)  # msgids
    changed: list[str] = field(default_factory=list)


@dataclass
class Report:
    rows: list[RowReport]
    applied: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r.action != "error" for r in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


class HeaderError(ValueError):
    pass


async def _plan(
    session: AsyncSession, sheet: spreadsheets.Sheet, by: User, config: Config
) -> list[tuple[RowReport, dict[str, Any]]]:
    columns = [ALIASES.get(h.strip().lower(), ALIASES.get(h.strip(), "")) for h in sheet.header]
    if "ref" not in columns or "title" not in columns or "district" not in columns:
        raise HeaderError(N_("The file needs the columns ref, title and district."))
    districts = (await session.scalars(select(District))).all()
    by_name: dict[str, int] = {}
    for d in districts:
        by_name[d.slug.lower()] = d.id
        for text in (d.name or {}).values():
            by_name[str(text).strip().lower()] = d.id
    owners = {u.email: u.id for u in (await session.scalars(select(User).where(User.role == "host"))).all()}
    seen: set[str] = set()
    out = []
    for line, cells in sheet.rows:
        row = {columns[i]: str(cells[i]) for i in range(min(len(columns), len(cells))) if columns[i]}
        ref = (row.get("ref") or "").strip()
        report = RowReport(line, ref, "error")
        if not ref or len(ref) > 64:
            report.errors.append(N_("Each row needs a ref (the office's project number, up to 64 characters)."))
        elif ref in seen:
            report.errors.append(N_("This ref appears twice in the file."))
        seen.add(ref)
        district_id = by_name.get((row.get("district") or "").strip().lower())
        if district_id is None:
            report.errors.append(N_("Unknown district."))
        stage = STAGE_WORDS.get(
            (row.get("stage") or "target").strip().lower(), STAGE_WORDS.get((row.get("stage") or "").strip())
        )
        if stage is None:
            report.errors.append(N_("Unknown stage."))
        status = STATUS_WORDS.get(
            (row.get("status") or "active").strip().lower(), STATUS_WORDS.get((row.get("status") or "").strip())
        )
        if status is None:
            report.errors.append(N_("Unknown status."))
        owner_email = (row.get("owner") or "").strip().lower()
        if owner_email and owner_email not in owners:
            report.errors.append(N_("The owner must be a host of this district."))
        try:
            stage_date = (
                date.fromisoformat(row["stage_date"].strip()) if (row.get("stage_date") or "").strip() else None
            )
        except ValueError:
            stage_date = None
            report.errors.append(N_("Enter a date as YYYY-MM-DD."))
        form = {k: v for k, v in row.items() if k not in ("ref", "district", "stage", "status", "owner", "stage_date")}
        form["district"] = str(district_id or "")
        form["owner"] = str(owners.get(owner_email, ""))
        form["source"] = "imported"
        values: dict[str, Any] = {}
        if district_id is not None:
            try:
                values = await deals.read_deal_form(session, by, form, config)
            except deals.InvalidFields as exc:
                report.errors += [f"{name}: {message}" for name, message in exc.errors.items()]
        if stage == "signed" or (stage and ORDER[stage] > ORDER["signed"]):
            if not values.get("amount_agreed"):
                report.errors.append(N_("the agreed investment amount"))
        if stage == "funded" and not values.get("amount_arrived"):
            report.errors.append(N_("the amount actually arrived"))
        if status == "lost":
            values["lost_reason"] = values.get("next_action") or "imported"
        if not report.errors:
            existing = await session.scalar(select(Deal).where(Deal.ref == ref))
            if existing is None:
                report.action = "create"
            else:
                report.changed = [k for k, v in values.items() if k in deals.EDITABLE and getattr(existing, k) != v]
                if existing.stage != stage:
                    report.changed.append("stage")
                if existing.status != status:
                    report.changed.append("status")
                report.action = "update" if report.changed else "unchanged"
        out.append((report, {"ref": ref, "values": values, "stage": stage, "status": status, "stage_date": stage_date}))
    return out


async def run(session: AsyncSession, data: bytes, filename: str, by: User, config: Config, *, apply: bool) -> Report:
    """Checks (and with ``apply``, imports) a file; raises ``spreadsheets.SheetError`` or
    ``HeaderError`` for a file that cannot be read at all. The caller commits."""
    sheet = spreadsheets.read(data, filename)
    planned = await _plan(session, sheet, by, config)
    report = Report([r for r, _ in planned])
    if not apply or not report.ok:
        return report
    for row, plan in planned:
        if row.action == "unchanged":
            continue
        await _apply(session, by, plan)
    report.applied = True
    return report


async def _apply(session: AsyncSession, by: User, plan: dict[str, Any]) -> None:
    when = plan["stage_date"]
    at = datetime(when.year, when.month, when.day, 12, tzinfo=UTC) if when else utcnow()
    deal = await session.scalar(select(Deal).where(Deal.ref == plan["ref"]))
    values = {k: v for k, v in plan["values"].items() if k in deals.EDITABLE}
    if deal is None:
        deal = Deal(
            ref=plan["ref"],
            **values,
            stage="target",
            status="active",
            stage_entered_at=at,
            created_at=at,
            updated_at=at,
            version=1,
        )
        session.add(deal)
        await session.flush()
        session.add(_log(deal, by, "create", at, to_stage="target", to_status="active"))
    else:
        changed = [k for k, v in values.items() if getattr(deal, k) != v]
        for k in changed:
            setattr(deal, k, values[k])
        if changed:
            deal.version += 1
            session.add(
                _log(deal, by, "edit", utcnow(), from_stage=deal.stage, to_stage=deal.stage, reason=", ".join(changed))
            )
    if deal.stage != plan["stage"]:
        session.add(
            _log(
                deal,
                by,
                "stage",
                at,
                from_stage=deal.stage,
                to_stage=plan["stage"],
                from_status=deal.status,
                to_status=deal.status,
            )
        )
        deal.stage, deal.stage_entered_at = plan["stage"], at
        deal.version += 1
        deal.confirmed = True
        if plan["stage"] in CONFIRMED_BY_CITY:
            session.add(_log(deal, by, "confirm", at, from_stage=deal.stage, to_stage=deal.stage))
            deal.version += 1
    if deal.status != plan["status"]:
        session.add(
            _log(
                deal,
                by,
                "status",
                at,
                from_stage=deal.stage,
                to_stage=deal.stage,
                from_status=deal.status,
                to_status=plan["status"],
            )
        )
        deal.status = plan["status"]
        deal.version += 1


def _log(deal: Deal, by: User, kind: str, at: datetime, **values: Any) -> StageChange:
    return deals.log_entry(deal, by, kind, "import", at, **values)
