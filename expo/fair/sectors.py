"""The fixed sector taxonomy. Codes are stored; labels are translated UI strings."""

from collections.abc import Callable

from babel.support import NullTranslations


def _(text: str) -> str:  # marks a string for extraction; translated when shown
    return text


SECTORS: dict[str, str] = {
    "biomedicine": _("Biomedicine"),
    "medical_devices": _("Medical devices"),
    "semiconductors": _("Semiconductors"),
    "new_energy": _("New energy"),
    "logistics": _("Logistics and ports"),
    "software": _("Software and digital services"),
    "advanced_manufacturing": _("Advanced manufacturing"),
    "marine_economy": _("Marine economy"),
    "new_materials": _("New materials"),
    "modern_services": _("Finance and modern services"),
}


def sector_label(code: str, translations: NullTranslations | Callable[[str], str]) -> str:
    label = SECTORS.get(code, code)
    gettext = translations.gettext if isinstance(translations, NullTranslations) else translations
    return gettext(label)
