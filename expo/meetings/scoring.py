"""The fit of an investor and a project team: a score and the reasons behind it.

Pure functions: :func:`score` takes the two profiles, what the investor did at the team's
booth (from the activity log) and the weights, and returns every reason that holds with its
points; :func:`reason_text` spells a reason out in the viewer's language. A reason appears
when, and only when, its condition holds (tests/meetings/test_scoring.py)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from i18n import Formatter

from .vocab import DEFAULT_WEIGHTS, STAGES, TICKET_SHARE, VISITS_COUNTED, to_usd


@dataclass(frozen=True)
class InvestorFacts:
    user_id: int
    sectors: frozenset[str] = frozenset()
    ticket_min_usd: int | None = None
    ticket_max_usd: int | None = None
    stages: frozenset[str] = frozenset()
    regions: frozenset[int] = frozenset()  # district ids
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TeamFacts:
    team_id: int
    district_id: int
    sector: str = ""
    funding_amount: int = 0
    funding_currency: str = "CNY"
    stage: str = ""
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Signals:
    """What the investor did at the team's booth (activity log)."""

    visits: int = 0
    bookmarked: bool = False
    chats: int = 0


@dataclass(frozen=True)
class Reason:
    code: str  # a key of DEFAULT_WEIGHTS
    points: float
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Fit:
    score: float
    reasons: tuple[Reason, ...]


def ticket_fits(investor: InvestorFacts, team: TeamFacts) -> bool:
    sought = to_usd(team.funding_amount, team.funding_currency)
    if sought <= 0 or (investor.ticket_min_usd is None and investor.ticket_max_usd is None):
        return False
    low = investor.ticket_min_usd or 0
    high = investor.ticket_max_usd if investor.ticket_max_usd is not None else low
    return low <= sought and high >= sought * TICKET_SHARE


def score(
    investor: InvestorFacts,
    team: TeamFacts,
    signals: Signals = Signals(),
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
) -> Fit:
    w = {**DEFAULT_WEIGHTS, **weights}
    reasons: list[Reason] = []
    if team.sector and team.sector in investor.sectors:
        reasons.append(Reason("sector", w["sector"], {"sector": team.sector}))
    if ticket_fits(investor, team):
        reasons.append(Reason("ticket", w["ticket"]))
    if team.stage and team.stage in investor.stages:
        reasons.append(Reason("stage", w["stage"], {"stage": team.stage}))
    common = sorted(investor.languages & team.languages)
    if common:
        reasons.append(Reason("language", w["language"], {"languages": tuple(common)}))
    if team.district_id in investor.regions:
        reasons.append(Reason("region", w["region"], {"district_id": team.district_id}))
    if signals.visits > 0:
        counted = min(signals.visits, VISITS_COUNTED)
        reasons.append(Reason("visit", w["visit"] * counted, {"count": signals.visits}))
    if signals.bookmarked:
        reasons.append(Reason("bookmark", w["bookmark"]))
    if signals.chats > 0:
        reasons.append(Reason("chat", w["chat"], {"count": signals.chats}))
    return Fit(round(sum(r.points for r in reasons), 2), tuple(reasons))


def quick_score(
    investor: InvestorFacts, team: TeamFacts, signals: Signals | None, w: Mapping[str, float], sought_usd: int
) -> float:
    """The same total as ``score(...).score`` without building the reasons (``w`` complete,
    ``sought_usd`` precomputed): ranking a thousand candidates costs about a millisecond,
    and the reasons are spelled only for the ones shown."""
    points = 0.0
    if team.sector and team.sector in investor.sectors:
        points += w["sector"]
    if sought_usd > 0 and (investor.ticket_min_usd is not None or investor.ticket_max_usd is not None):
        low = investor.ticket_min_usd or 0
        high = investor.ticket_max_usd if investor.ticket_max_usd is not None else low
        if low <= sought_usd and high >= sought_usd * TICKET_SHARE:
            points += w["ticket"]
    if team.stage and team.stage in investor.stages:
        points += w["stage"]
    if not investor.languages.isdisjoint(team.languages):
        points += w["language"]
    if team.district_id in investor.regions:
        points += w["region"]
    if signals is not None:
        if signals.visits > 0:
            points += w["visit"] * min(signals.visits, VISITS_COUNTED)
        if signals.bookmarked:
            points += w["bookmark"]
        if signals.chats > 0:
            points += w["chat"]
    return round(points, 2)


class Speller:
    """Spells reasons in one viewer's language: ``gettext``/``ngettext`` of the viewer's
    catalog, their formatter, CLDR language names, district names, and the viewer's side."""

    def __init__(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
        fmt: Formatter,
        language_name: Callable[[str], str],
        sector_label: Callable[[str], str],
        district_name: Callable[[int], str],
        side: str,
    ) -> None:
        self._ = gettext
        self.ngettext = ngettext
        self.fmt = fmt
        self.language_name = language_name
        self.sector_label = sector_label
        self.district_name = district_name
        self.side = side
        self._money: dict[tuple[int, str], str] = {}

    def money(self, amount: int, currency: str) -> str:
        """CLDR compact money ("CN¥20M"), memoised per viewer: Babel's compact formatting is
        the costliest step of spelling reasons, and the same amounts recur on a page."""
        key = (amount, currency)
        if key not in self._money:
            self._money[key] = self.fmt.compact_money(amount, currency)
        return self._money[key]

    def ticket(self, investor: InvestorFacts) -> str:
        low, high = investor.ticket_min_usd, investor.ticket_max_usd
        if low is not None and high is not None and low != high:
            return f"{self.money(low, 'USD')}–{self.money(high, 'USD')}"
        return self.money(high if high is not None else low or 0, "USD")

    def text(self, reason: Reason, investor: InvestorFacts, team: TeamFacts) -> str:
        _ = self._
        p = reason.params
        if reason.code == "sector":
            return _("both in %(sector)s") % {"sector": self.sector_label(str(p["sector"]))}
        if reason.code == "ticket":
            return _("ticket %(ticket)s fits the %(sought)s sought") % {
                "ticket": self.ticket(investor),
                "sought": self.money(team.funding_amount, team.funding_currency),
            }
        if reason.code == "stage":
            return _("invests at this stage: %(stage)s") % {"stage": _(STAGES[str(p["stage"])])}
        if reason.code == "language":
            names = ", ".join(self.language_name(code) for code in p["languages"])  # type: ignore[attr-defined]
            return _("you both speak %(languages)s") % {"languages": names}
        if reason.code == "region":
            return _("%(district)s is one of the investor's regions") % {
                "district": self.district_name(int(p["district_id"]))  # type: ignore[call-overload]
            }
        count = int(p.get("count", 1))  # type: ignore[call-overload]
        investor_side = self.side == "investor"
        if reason.code == "visit":
            if investor_side:
                return self.ngettext("you visited its booth once", "you visited its booth %(num)d times", count) % {
                    "num": count
                }
            return self.ngettext("visited your booth once", "visited your booth %(num)d times", count) % {"num": count}
        if reason.code == "bookmark":
            return _("you bookmarked its booth") if investor_side else _("bookmarked your booth")
        return _("you chatted at its booth") if investor_side else _("chatted at your booth")

    def all(self, fit: Fit, investor: InvestorFacts, team: TeamFacts) -> list[str]:
        return [self.text(r, investor, team) for r in fit.reasons]
