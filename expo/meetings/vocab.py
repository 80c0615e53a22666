"""Fixed vocabularies of matchmaking (codes are stored; labels are translated when shown),
and the rules that are data: the currency rates used to compare tickets with funding sought,
the default suggestion weights, and the mark weights the scheduler uses."""

from i18n import N_

# The catalogue's stages (booths' STAGES) plus the two kinds of deal investors also do.
STAGES: dict[str, str] = {
    "seed": N_("Seed and early stage"),
    "growth": N_("Growth"),
    "expansion": N_("Expansion"),
    "site_ready": N_("Site ready, land secured"),
    "construction": N_("Under construction"),
    "real_estate": N_("Land and real estate"),
    "m_and_a": N_("Mergers and acquisitions"),
}

# ISO 639-1 codes offered on profiles; names come from CLDR in the viewer's language.
LANGUAGES: tuple[str, ...] = ("en", "zh", "ja", "ko", "ar", "id", "fr", "de", "es", "ru", "vi", "th", "ms", "pt", "hi")

# The stated rates (USD per unit) used to compare an investor's ticket (USD) with the
# funding a team seeks in its own currency. The same indicative rates as the catalogue's
# amount filter (booths.taxonomy); amounts are always shown in their own currency.
USD_PER_UNIT: dict[str, float] = {
    "CNY": 0.14,
    "USD": 1.0,
    "EUR": 1.08,
    "JPY": 0.0067,
    "HKD": 0.128,
    "KRW": 0.00073,
    "SGD": 0.74,
    "GBP": 1.27,
    "IDR": 0.000063,
    "AED": 0.272,
}

# A ticket fits when its range overlaps [TICKET_SHARE × sought, sought] (in USD): the
# investor can take at least a fifth of the round and does not need more than all of it.
TICKET_SHARE = 0.2

# Suggestion weights (points per reason); an organizer tunes them on the scheduler page.
DEFAULT_WEIGHTS: dict[str, float] = {
    "sector": 30.0,
    "ticket": 20.0,
    "stage": 15.0,
    "language": 10.0,
    "region": 10.0,
    "visit": 4.0,  # per booth visit, at most three counted
    "bookmark": 10.0,
    "chat": 10.0,
}
WEIGHT_LABELS: dict[str, str] = {
    "sector": N_("Sector in common"),
    "ticket": N_("Ticket fits the funding sought"),
    "stage": N_("Stage the investor invests in"),
    "language": N_("Language in common"),
    "region": N_("District among the investor's regions"),
    "visit": N_("Booth visit (each, up to three)"),
    "bookmark": N_("Booth bookmarked"),
    "chat": N_("Chat at the booth"),
}
MAX_WEIGHT = 1000.0
VISITS_COUNTED = 3

# Scheduler weights of a pair, from the request and the marks (mutual Must-meet highest).
PAIR_WEIGHTS = {
    "accepted": 100,
    "mutual_must": 80,
    "must": 30,
    "mutual_would": 20,
    "would": 10,
}

MARK_LABELS: dict[str, str] = {
    "must": N_("Must meet"),
    "would": N_("Would meet"),
    "no": N_("No thanks"),
}

REQUEST_STATUS_LABELS: dict[str, str] = {
    "pending": N_("Waiting for an answer"),
    "proposed": N_("Other times proposed"),
    "accepted": N_("Accepted, not booked yet"),
    "declined": N_("Declined"),
    "expired": N_("Expired"),
    "withdrawn": N_("Withdrawn"),
    "booked": N_("Booked"),
}
MAX_PROPOSALS = 3
MAX_MESSAGE = 2000
MAX_THESIS = 600


def to_usd(amount: int, currency: str) -> int:
    return int(amount * USD_PER_UNIT.get(currency, 0.0))
