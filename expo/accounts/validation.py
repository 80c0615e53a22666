"""Checking what people type into account forms. Messages are msgids, translated by views."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from babel import Locale

from expo.fair.sectors import SECTORS
from i18n import SHIPPED_LOCALES, valid_timezone


def _(text: str) -> str:
    return text


EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{2,63}$")
# CLDR's two-letter regions that are not ISO 3166-1 countries: groupings (EU, EZ, UN, QO),
# pseudo-locales (XA, XB), "unknown" (ZZ), user-assigned XK and the exceptionally reserved
# codes of islands that belong to an ISO country (AC, CP, CQ, DG, EA, IC, TA).
NOT_ISO_3166 = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})
COUNTRIES: frozenset[str] = (
    frozenset(str(code) for code in Locale("en").territories if len(str(code)) == 2 and str(code).isalpha())
    - NOT_ISO_3166
)  # the 249 ISO 3166-1 alpha-2 countries and territories
MAX_TICKET_USD = 10**12


class InvalidInput(ValueError):
    """Fields that did not pass, as {field: msgid}."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass
class Checker:
    errors: dict[str, str] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(
        self, data: Mapping[str, object], name: str, *, max_len: int, required: bool = True, multiline: bool = False
    ) -> str:
        """The field's text, stripped; ``multiline`` (a textarea) keeps line breaks (as
        "\n"); other control characters are refused either way."""
        raw = data.get(name, "")
        value = raw.strip() if isinstance(raw, str) else ""
        if multiline:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if not isinstance(raw, str) and raw is not None:
            self.fail(name, _("This value is not text."))
        elif required and not value:
            self.fail(name, _("This field is required."))
        elif len(value) > max_len:
            self.fail(name, _("This is too long."))
        elif any((ord(c) < 32 or c == "\x7f") and c not in ("\t\n" if multiline else "\t") for c in value):
            self.fail(name, _("This contains control characters."))
        return value

    def email(self, data: Mapping[str, object], name: str = "email") -> str:
        value = self.text(data, name, max_len=254).lower()
        if value and name not in self.errors and not EMAIL.match(value):
            self.fail(name, _("Enter a valid email address."))
        return value

    def password(self, data: Mapping[str, object], name: str = "password") -> str:
        raw = data.get(name, "")
        value = raw if isinstance(raw, str) else ""
        if len(value) < 10:
            self.fail(name, _("Use at least 10 characters."))
        elif len(value) > 256:
            self.fail(name, _("This is too long."))
        return value

    def choice(self, data: Mapping[str, object], name: str, allowed: object) -> str:
        value = data.get(name, "")
        if not isinstance(value, str) or value not in allowed:  # type: ignore[operator]
            self.fail(name, _("Choose one of the offered values."))
            return ""
        return value

    def amount(self, data: Mapping[str, object], name: str) -> int | None:
        raw = data.get(name, "")
        if raw in ("", None):
            return None
        try:
            value = int(str(raw).replace(",", "").strip())
        except ValueError:
            self.fail(name, _("Enter a whole number."))
            return None
        if not 0 <= value <= MAX_TICKET_USD:
            self.fail(name, _("Enter an amount between 0 and 1,000,000,000,000."))
            return None
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


@dataclass(frozen=True)
class InvestorProfile:
    email: str
    password: str
    name: str
    organization: str
    country: str
    timezone: str
    locale: str
    sectors: list[str]
    ticket_min_usd: int | None
    ticket_max_usd: int | None


def check_registration(data: Mapping[str, object], sectors: list[str]) -> InvestorProfile:
    """An investor's sign-up form, checked; raises ``InvalidInput`` naming every bad field."""
    c = Checker()
    email = c.email(data)
    password = c.password(data)
    name = c.text(data, "name", max_len=120)
    organization = c.text(data, "organization", max_len=160)
    country = c.choice(data, "country", COUNTRIES)
    timezone = c.text(data, "timezone", max_len=64)
    if timezone and not valid_timezone(timezone):
        c.fail("timezone", _("Choose a time zone from the list."))
    locale = c.choice(data, "locale", SHIPPED_LOCALES)
    if any(s not in SECTORS for s in sectors) or len(sectors) > len(SECTORS):
        c.fail("sectors", _("Choose one of the offered values."))
    low, high = c.amount(data, "ticket_min"), c.amount(data, "ticket_max")
    if low is not None and high is not None and low > high:
        c.fail("ticket_max", _("The maximum must not be below the minimum."))
    if data.get("consent") != "yes":
        c.fail("consent", _("Please agree to share your profile with the booths you visit."))
    c.raise_if_any()
    return InvestorProfile(
        email,
        password,
        name,
        organization,
        country,
        timezone,
        locale,
        sorted(set(sectors)),
        low,
        high,
    )
