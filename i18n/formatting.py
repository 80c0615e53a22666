"""Dates, times, numbers and money as a given viewer reads them (CLDR, through Babel)."""

import datetime as dt
from datetime import UTC
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import dates, numbers

from i18n.locales import locale_info


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(name: str | None) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows."""
    return bool(name) and len(name or "") < 64 and name in _zones()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class Formatter:
    """Formats values for one viewer: a shipped locale code and an IANA zone name."""

    def __init__(self, locale: str, timezone: str) -> None:
        self.locale = locale_info(locale).babel
        self.timezone = _zone(timezone)
        self.timezone_name = self.timezone.key

    def _aware(self, value: dt.datetime) -> dt.datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def datetime(self, value: dt.datetime, format: str = "medium") -> str:
        return dates.format_datetime(self._aware(value), format, tzinfo=self.timezone, locale=self.locale)

    def moment(self, value: dt.datetime) -> str:
        """Weekday, date and time without seconds ("Sat, Nov 28, 10:00 AM")."""
        local = self._aware(value).astimezone(self.timezone)
        day = dates.format_skeleton("MMMEd", local, locale=self.locale)
        hour = dates.format_time(local, "short", locale=self.locale)
        pattern = self.locale.datetime_formats["medium"]
        return str(pattern).replace("{1}", day).replace("{0}", hour)

    def date(self, value: dt.datetime, format: str = "long") -> str:
        local = self._aware(value).astimezone(self.timezone)
        return dates.format_date(local.date(), format, locale=self.locale)

    def time(self, value: dt.datetime, format: str = "short") -> str:
        return dates.format_time(self._aware(value), format, tzinfo=self.timezone, locale=self.locale)

    def date_range(self, start: dt.datetime, end: dt.datetime) -> str:
        return dates.format_interval(
            self._aware(start).astimezone(self.timezone),
            self._aware(end).astimezone(self.timezone),
            "yMMMd",
            tzinfo=self.timezone,
            locale=self.locale,
        )

    def zone_name(self) -> str:
        return dates.get_timezone_location(self.timezone, locale=self.locale)

    def number(self, value: int | float | Decimal) -> str:
        return numbers.format_decimal(value, locale=self.locale)

    def money(self, amount: int | float | Decimal, currency: str) -> str:
        return numbers.format_currency(amount, currency, locale=self.locale)

    def compact_money(self, amount: int | float | Decimal, currency: str) -> str:
        return numbers.format_compact_currency(amount, currency, locale=self.locale, fraction_digits=1)
