"""The pipeline's JSON API, scoped like the pages: organizers see every district, hosts
their own; investors and teams get 403 (docs/protocols.md)."""

from typing import Any

from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expo.pipeline import figures
from expo.pipeline.models import Deal
from expo.pipeline.numbers_views import _month, load_ranking
from expo.pipeline.ranking import FIGURES
from expo.pipeline.stages import STAGES, STATUSES
from expo.pipeline.web import PEOPLE, config, query_id, scope_of, today
from expo.web.openapi import operation, param
from expo.web.routing import route
from i18n import N_

MAX_LIMIT = 500


def deal_json(deal: Deal, usd_rate: float, cny: float, arrived_cny: float) -> dict[str, Any]:
    return {
        "id": deal.id,
        "ref": deal.ref,
        "title": deal.title,
        "investor_company": deal.investor_company,
        "investor_country": deal.investor_country,
        "district_id": deal.district_id,
        "team_id": deal.team_id,
        "sector": deal.sector,
        "stage": deal.stage,
        "status": deal.status,
        "confirmed": deal.confirmed,
        "currency": deal.currency,
        "amount_agreed": deal.amount_agreed,
        "amount_arrived": deal.amount_arrived,
        "amount_agreed_cny": round(cny),
        "amount_agreed_usd": round(cny / usd_rate),
        "amount_arrived_cny": round(arrived_cny),
        "jobs": deal.jobs,
        "likelihood": deal.likelihood,
        "expected_date": deal.expected_date.isoformat() if deal.expected_date else None,
        "owner_id": deal.owner_id,
        "next_action": deal.next_action,
        "next_action_due": deal.next_action_due.isoformat() if deal.next_action_due else None,
        "stage_entered_at": deal.stage_entered_at.isoformat(),
        "version": deal.version,
    }


async def api_deals(request: Request) -> Response:
    q = request.query_params
    limit_district = scope_of(request)
    asked = query_id(q.get("district")) if q.get("district") else None
    if q.get("district") and asked is None:
        raise HTTPException(400, N_("district must be a district id."))
    if limit_district is not None and asked is not None and asked != limit_district:
        raise HTTPException(403, N_("This deal belongs to another district."))
    stage, status = q.get("stage"), q.get("status")
    if stage and stage not in STAGES:
        raise HTTPException(400, N_("Unknown stage."))
    if status and status not in STATUSES:
        raise HTTPException(400, N_("Unknown status."))
    limit = min(query_id(q.get("limit")) or 100, MAX_LIMIT)
    after = query_id(q.get("after")) or 0
    cfg = config(request)
    where = figures.deals_filter(
        district_id=limit_district if limit_district is not None else asked,
        stage=stage,
        status=status,
        today=today(request),
        config=cfg,
    )
    async with request.state.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(Deal).where(*where)) or 0
        rows = (await session.scalars(select(Deal).where(*where, Deal.id > after).order_by(Deal.id).limit(limit))).all()
    items = [
        deal_json(d, cfg.usd_rate, cfg.cny(d.amount_agreed, d.currency), cfg.cny(d.amount_arrived, d.currency))
        for d in rows
    ]
    return JSONResponse(
        {
            "total": total,
            "deals": items,
            "next_after": rows[-1].id if len(rows) == limit else None,
            "rates_to_cny": cfg.rates,
        }
    )


async def api_ranking(request: Request) -> Response:
    start = _month(request)
    async with request.state.db.session() as session:
        table = await load_ranking(request, session, start)
    return JSONResponse(
        {
            "month": table.month,
            "frozen": table.frozen,
            "weights": table.weights,
            "rates_to_cny": table.rates,
            "formula": "score = sum(weight[f] * value[f] / max(value[f])) for signed, landed, funds; "
            "+ weight[start_rate] * start_rate; - weight[overdue] * overdue / max(overdue)",
            "figures": list(FIGURES),
            "rows": [
                {
                    "district_id": r.district_id,
                    "rank": r.rank,
                    "previous_rank": table.previous.get(r.district_id),
                    "score": r.score,
                    "figures": r.figures,
                }
                for r in table.rows
            ],
        }
    )


INT = {"type": "integer"}
NUM = {"type": "number"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
OPT_INT = {"type": ["integer", "null"]}
OPT_STR = {"type": ["string", "null"]}
RATES = {"type": "object", "additionalProperties": NUM, "description": "CNY per unit of each currency"}
DEAL_PROPERTIES = {
    "id": INT,
    "ref": OPT_STR,
    "title": STR,
    "investor_company": STR,
    "investor_country": STR,
    "district_id": INT,
    "team_id": OPT_INT,
    "sector": STR,
    "stage": {"enum": list(STAGES)},
    "status": {"enum": list(STATUSES)},
    "confirmed": BOOL,
    "currency": STR,
    "amount_agreed": INT,
    "amount_arrived": INT,
    "amount_agreed_cny": INT,
    "amount_agreed_usd": INT,
    "amount_arrived_cny": INT,
    "jobs": INT,
    "likelihood": INT,
    "expected_date": OPT_STR,
    "owner_id": OPT_INT,
    "next_action": STR,
    "next_action_due": OPT_STR,
    "stage_entered_at": STR,
    "version": INT,
}
DEAL = {"type": "object", "required": list(DEAL_PROPERTIES), "properties": DEAL_PROPERTIES}
DEALS = {
    "type": "object",
    "required": ["total", "deals", "next_after", "rates_to_cny"],
    "properties": {
        "total": INT,
        "deals": {"type": "array", "items": DEAL},
        "next_after": OPT_INT,
        "rates_to_cny": RATES,
    },
}
FIGURES_SCHEMA = {"type": "object", "additionalProperties": NUM}
RANKING = {
    "type": "object",
    "required": ["month", "frozen", "weights", "rates_to_cny", "formula", "figures", "rows"],
    "properties": {
        "month": STR,
        "frozen": BOOL,
        "weights": FIGURES_SCHEMA,
        "rates_to_cny": RATES,
        "formula": STR,
        "figures": {"type": "array", "items": STR},
        "rows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["district_id", "rank", "previous_rank", "score", "figures"],
                "properties": {
                    "district_id": INT,
                    "rank": INT,
                    "previous_rank": OPT_INT,
                    "score": NUM,
                    "figures": FIGURES_SCHEMA,
                },
            },
        },
    },
}
ID_PARAM = {"type": "string", "pattern": "^[0-9]{1,9}$"}

routes = [
    route(
        "/api/pipeline/deals",
        api_deals,
        allow=PEOPLE,
        openapi=operation(
            "Deals of the pipeline (a host's own district; organizers all)",
            query=[
                param("district", ID_PARAM, "a district id (hosts: only their own)"),
                param("stage", {"enum": list(STAGES)}),
                param("status", {"enum": list(STATUSES)}),
                param("limit", ID_PARAM, f"page size, at most {MAX_LIMIT} (default 100)"),
                param("after", ID_PARAM, "the next_after of the previous page"),
            ],
            response=DEALS,
            errors={400: "A bad filter."},
            tags=["pipeline"],
        ),
    ),
    route(
        "/api/pipeline/ranking",
        api_ranking,
        allow=PEOPLE,
        openapi=operation(
            "The district ranking of a month (frozen once the month has closed)",
            query=[
                param("month", {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "YYYY-MM; default: this month")
            ],
            response=RANKING,
            errors={400: "A malformed month.", 404: "A month that has not started."},
            tags=["pipeline"],
        ),
    ),
]
