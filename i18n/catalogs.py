"""Compiled message catalogs (gettext ``.mo`` files built from the committed ``.po``).

Each package keeps its own catalog (``i18n/locale`` for the core, ``booths/locale``,
``streaming/locale``) so that packages change their strings without touching each other's
files; at start the catalogs of one locale are merged into one ``Translations``.
"""

from collections.abc import Sequence
from pathlib import Path

from babel.support import NullTranslations, Translations

from i18n.locales import SHIPPED_LOCALES

ROOT = Path(__file__).resolve().parent.parent
# The core's domains that are packages of their own keep their own catalogs too.
CORE_PACKAGES = ("meetings", "console", "pipeline", "agenda")
CATALOG_DIRS = (
    ROOT / "i18n" / "locale",
    *(ROOT / "expo" / name / "locale" for name in CORE_PACKAGES),
    ROOT / "booths" / "locale",
    ROOT / "streaming" / "locale",
)
DOMAIN = "messages"


class Catalogs:
    """One ``Translations`` per shipped locale, loaded once (at app start)."""

    def __init__(self, directories: Sequence[Path] = CATALOG_DIRS) -> None:
        self._by_locale: dict[str, NullTranslations] = {"en": NullTranslations()}
        for code in SHIPPED_LOCALES:
            if code == "en":
                continue
            merged: Translations | None = None
            for directory in directories:
                if not (directory / "messages.pot").exists():
                    continue  # a package without strings of its own yet
                mo = directory / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
                if not mo.exists():
                    raise FileNotFoundError(f"{mo} is missing: compile the catalogs first (make catalogs)")
                with mo.open("rb") as handle:
                    loaded = Translations(handle, domain=DOMAIN)
                merged = loaded if merged is None else merged.merge(loaded)
            self._by_locale[code] = merged or NullTranslations()

    def get(self, code: str) -> NullTranslations:
        return self._by_locale.get(code) or self._by_locale["en"]
