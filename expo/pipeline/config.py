"""The pipeline's settings, read once from ``Settings``: exchange rates and how long a deal
may stay in each stage before it is flagged."""

from dataclasses import dataclass, field
from typing import Any

DEFAULT_RATES: dict[str, float] = {
    "CNY": 1.0,
    "USD": 7.10,
    "EUR": 7.75,
    "GBP": 9.00,
    "JPY": 0.047,
    "KRW": 0.0051,
    "HKD": 0.91,
    "TWD": 0.22,
    "SGD": 5.45,
    "IDR": 0.00044,
    "AED": 1.93,
    "SAR": 1.89,
}
DEFAULT_STALE_DAYS: dict[str, int] = {"target": 60, "intention": 60, "negotiating": 90, "signed": 120, "landed": 180}
# No single project of a city is worth more than this (in CNY): larger amounts are typing errors.
MAX_AMOUNT_CNY = 10**12


@dataclass(frozen=True)
class Config:
    rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    stale_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_STALE_DAYS))

    @classmethod
    def from_settings(cls, settings: Any) -> "Config":
        rates = dict(DEFAULT_RATES) if not settings.pipeline_rates else {"CNY": 1.0}
        rates.update({code.upper(): float(rate) for code, rate in settings.pipeline_rates})
        stale = dict(DEFAULT_STALE_DAYS)
        stale.update(dict(settings.pipeline_stale_days))
        return cls(rates=rates, stale_days=stale)

    def cny(self, amount: int | float, currency: str) -> float:
        return float(amount) * self.rates.get(currency, 0.0)

    def usd(self, cny: float) -> float:
        return cny / self.rates.get("USD", 7.10)

    @property
    def usd_rate(self) -> float:
        return self.rates.get("USD", 7.10)
