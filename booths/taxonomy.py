"""Fixed vocabularies of the booths package: investment stages, currencies (with the
indicative USD rates used to filter by amount across currencies) and booth states.

Codes are stored; labels are UI strings translated when shown."""

from i18n import N_

STAGES: dict[str, str] = {
    "seed": N_("Seed and early stage"),
    "growth": N_("Growth"),
    "expansion": N_("Expansion"),
    "site_ready": N_("Site ready, land secured"),
    "construction": N_("Under construction"),
}

# Indicative rates (USD per unit), only for the catalogue's amount filter; amounts are
# always shown in the project's own currency.
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
CURRENCIES = tuple(USD_PER_UNIT)

STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted for approval"),
    "published": N_("Published"),
}

MAX_AMOUNT = 10**13


def to_usd(amount: int, currency: str) -> int:
    return int(amount * USD_PER_UNIT.get(currency, 0.0))
