"""Choosing a shipped UI language from what a visitor asks for.

Babel's ``Locale.negotiate`` compares tags as strings, so ``zh-TW`` never reaches
``zh_Hant``. Here each requested tag is parsed, its script is filled in from CLDR's likely
subtags when absent (``zh-TW`` → Hant, ``zh-CN``/``zh-SG``/``zh`` → Hans), and then language
and script are matched against the shipped locales.
"""

from collections.abc import Iterable

from babel.core import get_global

from i18n.locales import SHIPPED_LOCALES

_MAX_HEADER = 2000
_MAX_TAGS = 30


def parse_accept_language(header: str | None) -> list[str]:
    """The tags of an ``Accept-Language`` header, best first; junk entries are dropped."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_TAGS]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if 0 < quality <= 1:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _subtags(tag: str) -> tuple[str, str | None, str | None]:
    parts = tag.replace("_", "-").split("-")
    language = parts[0].lower()
    script = region = None
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            script = part.title()
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            region = part.upper()
    return language, script, region


def _likely_script(language: str, region: str | None) -> str | None:
    likely = get_global("likely_subtags")
    for key in ([f"{language}_{region}"] if region else []) + [language]:
        full = likely.get(key)
        if full:
            parts = full.split("_")
            if len(parts) >= 2 and len(parts[1]) == 4:
                return parts[1]
    return None


def match_locale(tag: str) -> str | None:
    """The shipped locale that serves one language tag, or ``None``.

    >>> match_locale("zh-TW"), match_locale("zh-SG"), match_locale("ja-JP")
    ('zh_Hant', 'zh_Hans', 'ja')
    """
    if not tag or len(tag) > 35 or not all(c.isalnum() or c in "-_" for c in tag):
        return None
    language, script, region = _subtags(tag)
    if not language.isalpha():
        return None
    if language == "in":  # the old code for Indonesian, still sent by some Android versions
        language = "id"
    script = script or _likely_script(language, region)
    for code, info in SHIPPED_LOCALES.items():
        if info.babel.language != language:
            continue
        if info.babel.script is None or info.babel.script == script:
            return code
    return None


def shipped(tag: str | None) -> str | None:
    """A shipped code for a language chosen by name, in the internal form (``zh_Hant``) or
    as a BCP 47 tag (``zh-Hant``, ``zh-TW`` → ``zh_Hant``; ``ar-EG`` → ``ar``); else None.

    >>> shipped("zh-Hant"), shipped("zh-TW"), shipped("ar-EG"), shipped("xx")
    ('zh_Hant', 'zh_Hant', 'ar', None)
    """
    if not tag:
        return None
    return tag if tag in SHIPPED_LOCALES else match_locale(tag)


def negotiate(candidates: Iterable[str | None]) -> str | None:
    """The first candidate tag that a shipped locale serves."""
    for candidate in candidates:
        if candidate:
            found = match_locale(candidate)
            if found:
                return found
    return None
