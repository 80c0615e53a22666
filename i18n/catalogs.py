"""Compiled message catalogs (gettext ``.mo`` files built from the committed ``.po``)."""

from pathlib import Path

from babel.support import NullTranslations, Translations

from i18n.locales import SHIPPED_LOCALES

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


class Catalogs:
    """One ``Translations`` per shipped locale, loaded once (at app start)."""

    def __init__(self, directory: Path = LOCALE_DIR) -> None:
        self._by_locale: dict[str, NullTranslations] = {}
        for code in SHIPPED_LOCALES:
            if code == "en":
                self._by_locale[code] = NullTranslations()
                continue
            mo = directory / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not mo.exists():
                raise FileNotFoundError(
                    f"{mo} is missing: compile the catalogs first (make catalogs)"
                )
            self._by_locale[code] = Translations.load(str(directory), [code], DOMAIN)

    def get(self, code: str) -> NullTranslations:
        return self._by_locale.get(code) or self._by_locale["en"]
