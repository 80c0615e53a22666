"""The UI languages the expo ships, with what a page needs to know about each."""

from dataclasses import dataclass

from babel import Locale


@dataclass(frozen=True)
class LocaleInfo:
    """One shipped UI language.

    ``code`` is our identifier (Babel's form, ``zh_Hans``); ``tag`` is the BCP 47 tag for
    ``<html lang>`` and ``Content-Language`` (``zh-Hans``); ``native_name`` labels it in the
    language switcher, in its own language.
    """

    code: str
    tag: str
    direction: str
    native_name: str
    babel: Locale


def _info(code: str) -> LocaleInfo:
    loc = Locale.parse(code)
    name = loc.get_display_name(loc) or code
    return LocaleInfo(
        code=code,
        tag=code.replace("_", "-"),
        direction=loc.text_direction,
        native_name=name[:1].upper() + name[1:],
        babel=loc,
    )


SHIPPED_LOCALES: dict[str, LocaleInfo] = {
    code: _info(code) for code in ("en", "zh_Hans", "zh_Hant", "ja", "ko", "id", "ar")
}
DEFAULT_LOCALE = "en"


def locale_info(code: str) -> LocaleInfo:
    """The shipped locale ``code``; the default one when ``code`` is not shipped."""
    return SHIPPED_LOCALES.get(code) or SHIPPED_LOCALES[DEFAULT_LOCALE]
