"""Stages, statuses and what a deal needs before it may enter each stage: rules as data.

``REQUIRED_FROM`` is the one table: a fact → the first stage that needs it (and every later
stage). ``CONDITIONAL`` adds the few facts needed only when another fact holds. ``validate``
reads both and returns *every* missing thing at once, so the page can list them all. Pure:
no database, no HTTP; the domain builds the ``Facts`` from a deal and its documents.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from i18n import N_

STAGES: tuple[str, ...] = ("target", "intention", "negotiating", "signed", "landed", "funded")
ORDER = {stage: position for position, stage in enumerate(STAGES)}
STAGE_LABELS = {
    "target": N_("Target"),
    "intention": N_("Intention"),
    "negotiating": N_("Negotiating"),
    "signed": N_("Signed"),
    "landed": N_("Landed"),
    "funded": N_("Funded"),
}
# The city office confirms these before they count in figures and the ranking.
CONFIRMED_BY_CITY = frozenset({"signed", "funded"})

STATUSES: tuple[str, ...] = ("active", "delayed", "dormant", "lost", "abandoned")
STATUS_LABELS = {
    "active": N_("Active"),
    "delayed": N_("Delayed"),
    "dormant": N_("Dormant"),
    "lost": N_("Lost"),
    "abandoned": N_("Abandoned"),
}
OPEN_STATUSES = frozenset({"active", "delayed", "dormant"})
SOURCES = {
    "expo": N_("The expo"),
    "booth": N_("A booth"),
    "session": N_("A pitch session"),
    "imported": N_("Imported"),
    "typed": N_("Typed in"),
}
HOW_LABELS = {
    "create": N_("created"),
    "hand": N_("by hand"),
    "board": N_("on the board"),
    "meeting": N_("from a meeting outcome"),
    "import": N_("imported"),
    "seed": N_("demo history"),
    "confirm": N_("confirmed by the city office"),
}


@dataclass(frozen=True)
class Facts:
    """What the rules look at, read from a deal and its documents."""

    investor_company: str = ""
    investor_country: str = ""
    contact: str = ""
    sector: str = ""
    owner_id: int | None = None
    expected_date: date | None = None
    likelihood: int = 0
    amount_agreed: int = 0
    amount_arrived: int = 0
    jobs: int = 0
    land_needed: bool = False
    site: str = ""
    service_team: bool = False
    agreement: bool = False  # at least one agreement version uploaded
    countersigned: bool = False  # the countersigned document is attached and dated
    funds_evidence: bool = False
    signed_confirmed: bool = False  # the city office confirmed the signing
    investor_linked: bool = False
    investor_consents: bool = False


# fact → (first stage that needs it, what to tell the user)
REQUIRED_FROM: dict[str, tuple[str, str]] = {
    "investor_company": ("target", N_("the investor company")),
    "owner_id": ("target", N_("an owner (a district host)")),
    "investor_country": ("intention", N_("the investor's country")),
    "sector": ("intention", N_("the sector")),
    "contact": ("intention", N_("a contact person")),
    "expected_date": ("intention", N_("the expected date of the next stage")),
    "likelihood": ("negotiating", N_("a likelihood")),
    "agreement": ("negotiating", N_("a draft agreement (a first version)")),
    "amount_agreed": ("signed", N_("the agreed investment amount")),
    "countersigned": ("signed", N_("the countersigned agreement (document and date)")),
    "jobs": ("signed", N_("the number of new jobs")),
    "service_team": ("signed", N_("a one-to-one service team")),
    "signed_confirmed": ("landed", N_("the city office's confirmation of the signing")),
    "amount_arrived": ("funded", N_("the amount actually arrived")),
    "funds_evidence": ("funded", N_("evidence of the funds arrived (a document)")),
}


@dataclass(frozen=True)
class Conditional:
    fact: str
    when: Callable[[Facts], bool]
    stage: str
    message: str


CONDITIONAL: tuple[Conditional, ...] = (
    Conditional("site", lambda f: f.land_needed, "negotiating", N_("the site or land needed")),
    Conditional(
        "investor_consents",
        lambda f: f.investor_linked,
        "target",
        N_("the investor's consent to link their account"),
    ),
)


@dataclass(frozen=True)
class Missing:
    fact: str
    message: str  # a msgid, translated by the view


def _present(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value > 0
    return value not in (None, "")


def validate(facts: Facts, stage: str) -> list[Missing]:
    """Everything ``facts`` lack to be at ``stage`` (empty: the deal may be there)."""
    position = ORDER[stage]
    missing = [
        Missing(fact, message)
        for fact, (from_stage, message) in REQUIRED_FROM.items()
        if ORDER[from_stage] <= position and not _present(getattr(facts, fact))
    ]
    missing += [
        Missing(rule.fact, rule.message)
        for rule in CONDITIONAL
        if ORDER[rule.stage] <= position and rule.when(facts) and not _present(getattr(facts, rule.fact))
    ]
    return missing


def is_skip(from_stage: str, to_stage: str) -> bool:
    """Moving forward by more than one stage (allowed only with a reason)."""
    return ORDER[to_stage] - ORDER[from_stage] > 1


def needs_status_reason(status: str) -> tuple[str, ...]:
    """What a status change must carry: lost needs the reason and to whom it was lost."""
    return ("lost_reason", "lost_to") if status == "lost" else ()
