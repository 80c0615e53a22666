"""Languages, formats and time zones: what every other package uses to speak to a visitor.

Nothing here imports the rest of the project. Exports:

- ``SHIPPED_LOCALES`` and ``LocaleInfo``: the UI languages we ship, their tag and direction;
- ``negotiate``/``parse_accept_language``/``match_locale``: script-aware negotiation;
  ``shipped``: the shipped code for a code or BCP 47 tag someone chose (``?lang=zh-TW``);
- ``Catalogs``: compiled message catalogs, one ``Translations`` per locale;
- ``Formatter``: dates, times, numbers and money for one viewer (locale + time zone);
- ``pick``: choose the best language of a translated content field, with the fallback used;
- ``FallbackNotes``: the fallback languages a page showed, for one notice per page/section;
- ``valid_timezone``: whether a string names an IANA zone.
"""

from i18n.catalogs import Catalogs
from i18n.content import FallbackNotes, Picked, pick
from i18n.formatting import Formatter, valid_timezone
from i18n.locales import DEFAULT_LOCALE, SHIPPED_LOCALES, LocaleInfo, locale_info
from i18n.marker import N_
from i18n.negotiation import match_locale, negotiate, parse_accept_language, shipped

__all__ = [
    "DEFAULT_LOCALE",
    "SHIPPED_LOCALES",
    "Catalogs",
    "FallbackNotes",
    "Formatter",
    "LocaleInfo",
    "N_",
    "Picked",
    "locale_info",
    "match_locale",
    "negotiate",
    "parse_accept_language",
    "pick",
    "shipped",
    "valid_timezone",
]
