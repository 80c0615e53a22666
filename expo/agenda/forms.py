"""Reading the programme's forms into checked values (no HTTP: a dict of submitted text in,
values or ``InvalidInput`` with every error at once out). Messages are msgids."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from expo.accounts.validation import Checker, InvalidInput
from i18n import N_, SHIPPED_LOCALES

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
MAX_LENGTH_MINUTES = 8 * 60
MAX_PEOPLE = 12


def _multiline(checker: Checker, data: Mapping[str, str], name: str, max_len: int) -> str:
    value = data.get(name, "").replace("\r\n", "\n").strip()
    if len(value) > max_len:
        checker.fail(name, N_("This is too long."))
    elif any(ord(c) < 32 and c not in "\t\n" for c in value):
        checker.fail(name, N_("This contains control characters."))
    return value


def translated(
    checker: Checker, data: Mapping[str, str], prefix: str, *, max_len: int, multiline: bool = False
) -> dict[str, str]:
    """A per-language field (``title_en``, ``title_ja``, …): at least one language filled."""
    result: dict[str, str] = {}
    for code in SHIPPED_LOCALES:
        name = f"{prefix}_{code}"
        if multiline:
            value = _multiline(checker, data, name, max_len)
        else:
            value = checker.text(data, name, max_len=max_len, required=False)
        if value:
            result[code] = value
    return result


def _minutes(checker: Checker, data: Mapping[str, str], name: str) -> int:
    found = HHMM.match(data.get(name, "").strip())
    if not found:
        checker.fail(name, N_("Enter a time as HH:MM."))
        return 0
    return int(found.group(1)) * 60 + int(found.group(2))


@dataclass
class StageValues:
    slug: str
    name: dict[str, str]
    opens_minute: int
    closes_minute: int
    position: int


def stage(data: Mapping[str, str]) -> StageValues:
    checker = Checker()
    slug = checker.text(data, "slug", max_len=64).lower()
    if slug and "slug" not in checker.errors and not SLUG.match(slug):
        checker.fail("slug", N_("Use lower-case letters, digits and dashes."))
    name = translated(checker, data, "name", max_len=120)
    if not name:
        checker.fail("name_en", N_("Give a name in at least one language."))
    opens = _minutes(checker, data, "opens")
    closes = _minutes(checker, data, "closes")
    if "opens" not in checker.errors and "closes" not in checker.errors and closes <= opens:
        checker.fail("closes", N_("It must close after it opens."))
    position = data.get("position", "0").strip() or "0"
    if not position.isdigit() or len(position) > 4:
        checker.fail("position", N_("Enter a whole number."))
    checker.raise_if_any()
    return StageValues(slug, name, opens, closes, int(position))


@dataclass
class Person:
    name: str
    language: str = ""


@dataclass
class ProposalValues:
    title: dict[str, str]
    description: dict[str, str]
    language: str
    length_minutes: int
    speakers: list[Person]
    interpreting: list[str]
    team_id: int | None


def _length(checker: Checker, data: Mapping[str, str], name: str = "length") -> int:
    raw = data.get(name, "").strip()
    if not raw.isdigit() or not 5 <= int(raw) <= MAX_LENGTH_MINUTES:
        checker.fail(name, N_("Enter a length between 5 and 480 minutes."))
        return 0
    return int(raw)


def proposal(data: Mapping[str, str], interpreting: list[str], team_ids: set[int]) -> ProposalValues:
    checker = Checker()
    title = translated(checker, data, "title", max_len=200)
    if not title:
        checker.fail("title_en", N_("Give a title in at least one language."))
    description = translated(checker, data, "description", max_len=4000, multiline=True)
    language = checker.choice(data, "language", SHIPPED_LOCALES)
    length = _length(checker, data)
    lines = [line.strip() for line in _multiline(checker, data, "speakers", 2000).split("\n") if line.strip()]
    if not lines:
        checker.fail("speakers", N_("Name at least one speaker."))
    elif len(lines) > MAX_PEOPLE or any(len(line) > 120 for line in lines):
        checker.fail("speakers", N_("Name at most 12 speakers, one per line."))
    wanted = sorted(set(interpreting))
    if any(code not in SHIPPED_LOCALES for code in wanted):
        checker.fail("interpreting", N_("Choose one of the offered values."))
    team_raw = data.get("team", "").strip()
    team_id = int(team_raw) if team_raw.isdigit() and len(team_raw) < 10 else None
    if team_raw and team_id not in team_ids:
        checker.fail("team", N_("Choose one of the offered values."))
    checker.raise_if_any()
    return ProposalValues(title, description, language, length, [Person(n) for n in lines], wanted, team_id)


@dataclass
class PlaceValues:
    stage_id: int
    starts_at: datetime
    length_minutes: int
    revision: int


def place(data: Mapping[str, str], zone: ZoneInfo, stage_ids: set[int]) -> PlaceValues:
    """Stage, day and time (in the expo's home zone), length; the revision the edit was made on."""
    checker = Checker()
    stage_raw = data.get("stage", "").strip()
    stage_id = int(stage_raw) if stage_raw.isdigit() and len(stage_raw) < 10 else 0
    if stage_id not in stage_ids:
        checker.fail("stage", N_("This stage does not exist (any more). Choose another."))
    try:
        day = date.fromisoformat(data.get("day", "").strip())
    except ValueError:
        checker.fail("day", N_("Choose a day."))
        day = date(2000, 1, 1)
    minutes = _minutes(checker, data, "time")
    length = _length(checker, data)
    revision_raw = data.get("revision", "").strip()
    if not revision_raw.isdigit() or len(revision_raw) > 9:
        raise InvalidInput({"revision": N_("The form is incomplete: reload the page.")})
    checker.raise_if_any()
    starts_at = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone).astimezone(UTC)
    return PlaceValues(stage_id, starts_at, length, int(revision_raw))


def revision(data: Mapping[str, str]) -> int:
    raw = data.get("revision", "").strip()
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput({"revision": N_("The form is incomplete: reload the page.")})
    return int(raw)
