"""Content written by people in several languages, and choosing which one a visitor reads.

A translated field is stored as a mapping from locale code to text (``{"en": "…",
"zh_Hans": "…"}``). ``pick`` returns the text in the visitor's language when it exists, else
a fallback, and says which language it returned so the page can tell the visitor.
"""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Picked:
    text: str
    locale: str | None
    is_fallback: bool

    def __str__(self) -> str:
        return self.text


def _chain(wanted: str, default: str) -> list[str]:
    chain = [wanted]
    language = wanted.split("_")[0]
    if language == "zh":  # a Chinese reader reads the other script before a foreign language
        chain.append("zh_Hant" if wanted == "zh_Hans" else "zh_Hans")
    chain += [default, "en"]
    return chain


def pick(field: Mapping[str, str] | None, wanted: str, default: str = "en") -> Picked:
    """The best text of ``field`` for a reader of ``wanted``, and the language it is in."""
    if not field:
        return Picked("", None, False)
    for code in _chain(wanted, default):
        text = field.get(code)
        if text:
            return Picked(text, code, code != wanted)
    for code, text in field.items():
        if text:
            return Picked(text, code, code != wanted)
    return Picked("", None, False)


class FallbackNotes:
    """The languages that fallback content was shown in while a page (or one section of it)
    rendered, so that the page says once which languages the visitor reads instead of
    repeating a note on every field: ``note`` each picked text, ``take`` the languages seen
    (in order of first use) for the notice, which starts a new section."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}

    def note(self, picked: Picked) -> Picked:
        if picked.is_fallback and picked.locale:
            self._seen.setdefault(picked.locale)
        return picked

    def take(self) -> list[str]:
        codes = list(self._seen)
        self._seen.clear()
        return codes
