"""Deals and a month's ranking as CSV or .xlsx (through ``expo.spreadsheets``, which escapes
formula injection)."""

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from expo import spreadsheets
from expo.pipeline.config import Config
from expo.pipeline.models import Deal
from expo.pipeline.ranking import FIGURES, Ranking
from expo.web.templates import translate
from i18n import pick

DEAL_COLUMNS = (
    "id ref title investor_company investor_country contact_name contact_email district team sector stage status "
    "confirmed currency amount_agreed amount_arrived amount_agreed_cny amount_arrived_cny jobs land_needed site "
    "likelihood expected_date owner next_action next_action_due source lost_reason lost_to stage_entered_at updated_at"
).split()


def disposition(filename: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", filename.encode("ascii", "ignore").decode()) or "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _name(request: Request, field: Any) -> str:
    if not field:
        return ""
    return pick(field.name, request.state.locale, request.state.settings.default_locale).text


def deal_rows(
    request: Request, rows: Sequence[Deal], lookup: Mapping[str, Mapping[int, Any]], cfg: Config
) -> list[list[object]]:
    out: list[list[object]] = []
    for d in rows:
        owner = lookup["hosts"].get(d.owner_id) if d.owner_id else None
        out.append(
            [
                d.id,
                d.ref or "",
                d.title,
                d.investor_company,
                d.investor_country,
                d.contact_name,
                d.contact_email,
                _name(request, lookup["districts"].get(d.district_id)),
                _name(request, lookup["teams"].get(d.team_id or 0)),
                d.sector,
                d.stage,
                d.status,
                "yes" if d.confirmed else "no",
                d.currency,
                d.amount_agreed,
                d.amount_arrived,
                round(cfg.cny(d.amount_agreed, d.currency)),
                round(cfg.cny(d.amount_arrived, d.currency)),
                d.jobs,
                "yes" if d.land_needed else "no",
                d.site,
                d.likelihood,
                d.expected_date.isoformat() if d.expected_date else "",
                owner.email if owner else "",
                d.next_action,
                d.next_action_due.isoformat() if d.next_action_due else "",
                d.source,
                d.lost_reason,
                d.lost_to,
                d.stage_entered_at.isoformat(),
                d.updated_at.isoformat(),
            ]
        )
    return out


def _file(data: bytes, content_type: str, filename: str) -> Response:
    return Response(data, media_type=content_type, headers={"content-disposition": disposition(filename)})


def deals_response(
    request: Request, rows: Sequence[Deal], lookup: Mapping[str, Mapping[int, Any]], kind: str, cfg: Config
) -> Response:
    data, content_type = spreadsheets.write(kind, DEAL_COLUMNS, deal_rows(request, rows, lookup, cfg), title="deals")
    return _file(data, content_type, f"pipeline-deals.{kind}")


def ranking_response(request: Request, ranking: Ranking, districts: Mapping[int, Any], kind: str) -> Response:
    header = ["month", "rank", "district", "score", *FIGURES, "previous_rank", "frozen"]
    rows = [
        [
            ranking.month,
            row.rank,
            _name(request, districts.get(row.district_id)),
            row.score,
            *(row.figures.get(f, 0) for f in FIGURES),
            ranking.previous.get(row.district_id, ""),
            "yes" if ranking.frozen else "no",
        ]
        for row in ranking.rows
    ]
    weights = [["weights", *(f"{f}={ranking.weights.get(f, 0)}" for f in FIGURES)]]
    rates = [["rates_to_CNY", *(f"{c}={r}" for c, r in sorted(ranking.rates.items()))]]
    note = [
        [translate(request, "Formula"), "score = Σ weight × figure ÷ max(figure); start_rate as is; overdue subtracted"]
    ]
    data, content_type = spreadsheets.write(
        kind, header, [*rows, [], *weights, *rates, *note], title=f"ranking {ranking.month}"
    )
    return _file(data, content_type, f"pipeline-ranking-{ranking.month}.{kind}")
