"""Full-text search over every language of the project catalogue, behind one interface.

SQLite: an FTS5 table ``booths_fts`` (made by migration 0100; rowid = project id), ranked
by bm25. PostgreSQL: the ``booth_projects.search_vector`` tsvector with a GIN index, ranked
by ``ts_rank``. Both index the same tokens, made here:

- words of alphabetic scripts (Latin, Arabic, …) are NFKC-normalised and case-folded, and
  queried by prefix (``biom`` finds "biomedicine"); Arabic words also lose the article
  (ال, وال, بال, لل, …) and fold letter variants, so حيوي finds "الطب الحيوي";
- runs of CJK characters (Han, kana, Hangul) carry no spaces, so they are indexed as
  overlapping character bigrams plus the run's last character, the classic CJK approach:
  a query of two or more characters is a phrase of its bigrams (``抗体医`` = ``抗体`` then
  ``体医``); a single character is a prefix query over the bigrams it starts.

So a two-character Japanese or Chinese word is found (a trigram index would miss it), in
the same way on both databases. Ranking differs slightly between the two engines.
"""

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

from sqlalchemy import Integer, bindparam, func, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from booths.models import Project

FTS_TABLE = "booths_fts"  # a constant: the only name formatted into SQL below (S608)
CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
SEGMENT = re.compile(rf"([{CJK}]+)|((?:(?![{CJK}])[^\W_])+)")
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 16


def _segments(value: str) -> Iterable[tuple[bool, str]]:
    normal = unicodedata.normalize("NFKC", value).casefold()
    for match in SEGMENT.finditer(normal):
        cjk, word = match.groups()
        if cjk:
            yield True, cjk
        else:  # accents and Arabic vowel marks do not change the word
            bare = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
            yield False, _arabic(bare or word)


ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None})
# The definite article and the one-letter words written onto it (and, with, for, like, so).
ARABIC_ARTICLE = re.compile(r"^(?:[وفبكل]?ال|لل)(?=..)")


def _arabic(word: str) -> str:
    """An Arabic word without its article and with its letter variants folded (أ/إ/آ → ا,
    ى → ي, ة → ه), so that طب finds الطب and حيوي finds الحيوي; other words unchanged."""
    if not any("\u0600" <= c <= "\u06ff" for c in word):
        return word
    return ARABIC_ARTICLE.sub("", word.translate(ARABIC_LETTERS))


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def tokens(value: str) -> list[str]:
    """The index tokens of a text, in order."""
    out: list[str] = []
    for is_cjk, piece in _segments(value):
        out.extend(_cjk_tokens(piece) if is_cjk else [piece[:64]])
    return out


def document_tokens(fields: Iterable[Mapping[str, str] | str | None]) -> list[str]:
    """Tokens of every language of the given translated fields (and plain strings)."""
    out: list[str] = []
    for field in fields:
        if not field:
            continue
        values = [field] if isinstance(field, str) else list(field.values())
        for value in values:
            if isinstance(value, str):
                out.extend(tokens(value))
    return out


@functools.cache
def _sector_words() -> dict[str, tuple[str, ...]]:
    """Every shipped language's label of each sector, so that "バイオ" finds biomedicine."""
    from expo.fair.sectors import SECTORS
    from i18n import SHIPPED_LOCALES, Catalogs

    catalogs = Catalogs()
    return {code: tuple(catalogs.get(loc).gettext(label) for loc in SHIPPED_LOCALES) for code, label in SECTORS.items()}


def sector_words(code: str) -> str:
    return " ".join(_sector_words().get(code, ()))


class Query:
    """A parsed search query: a list of terms, each a phrase of tokens or a prefix."""

    def __init__(self, raw: str) -> None:
        self.raw = raw[:MAX_QUERY_CHARS]
        self.terms: list[tuple[list[str], bool]] = []  # (tokens, is_prefix)
        for is_cjk, piece in _segments(self.raw):
            if len(self.terms) >= MAX_QUERY_TERMS:
                break
            if is_cjk and len(piece) >= 2:
                self.terms.append(([piece[i : i + 2] for i in range(len(piece) - 1)], False))
            else:
                self.terms.append(([piece[:64]], True))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fts5(self) -> str:
        parts = []
        for toks, prefix in self.terms:
            phrase = " + ".join(f'"{t}"' for t in toks)
            parts.append(phrase + ("*" if prefix else ""))
        return " AND ".join(parts)

    def tsquery(self) -> str:
        parts = []
        for toks, prefix in self.terms:
            if prefix:
                parts.append(f"'{toks[0]}':*")
            else:
                parts.append("(" + " <-> ".join(f"'{t}'" for t in toks) + ")")
        return " & ".join(parts)


def tsvector_literal(toks: list[str]) -> str:
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(toks[:16000], start=1):
        positions.setdefault(token, []).append(index)
    return " ".join(f"'{t}':{','.join(map(str, p[:256]))}" for t, p in positions.items())


async def reindex(session: AsyncSession, project_id: int, toks: list[str]) -> None:
    """Writes a project's index entry (in the caller's transaction)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text("UPDATE booth_projects SET search_vector = CAST(:v AS tsvector) WHERE id = :id"),
            {"v": tsvector_literal(toks), "id": project_id},
        )
    else:
        await session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": project_id})  # noqa: S608
        await session.execute(
            text(f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (:id, :body)"),  # noqa: S608
            {"id": project_id, "body": " ".join(toks)},
        )


async def unindex(session: AsyncSession, project_id: int) -> None:
    if session.bind.dialect.name != "postgresql":
        await session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": project_id})  # noqa: S608


def matching(dialect: str, parsed: Query) -> ColumnElement[bool]:
    """A condition on ``Project.id``: the project matches the query. On SQLite the FTS
    match is a non-correlated ``IN (SELECT rowid …)``, run once per statement (a join on
    the FTS table let SQLite re-run the MATCH once per filtered project: 0.7 s)."""
    if dialect == "postgresql":
        tsq = text("CAST(:booths_q AS tsquery)").bindparams(booths_q=parsed.tsquery())
        return Project.search_vector.op("@@")(tsq)
    ids = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :booths_q").bindparams(  # noqa: S608
        booths_q=parsed.fts5()
    )
    return Project.id.in_(ids.columns(rowid=Integer))


def rank_order(dialect: str, parsed: Query) -> ColumnElement[float] | None:
    """PostgreSQL: the score to sort by (ascending: best first). SQLite: None, use
    ``ranked_ids`` (FTS5's bm25 is only available in a MATCH query)."""
    if dialect == "postgresql":
        tsq = text("CAST(:booths_q AS tsquery)").bindparams(booths_q=parsed.tsquery())
        return -func.ts_rank(Project.search_vector, tsq)
    return None


async def ranked_ids(
    session: AsyncSession, parsed: Query, candidates: list[int], limit: int | None, offset: int
) -> list[int]:
    """SQLite: ``candidates`` (project ids that match and pass the filters) best first by
    bm25, paged. bm25 is computed for the candidates only, not for every match."""
    if not candidates:
        return []
    statement = text(
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q AND +rowid IN :ids "  # noqa: S608
        "ORDER BY rank, rowid LIMIT :limit OFFSET :offset"
    ).bindparams(bindparam("ids", expanding=True))
    result = await session.execute(
        statement,
        {"q": parsed.fts5(), "ids": candidates, "limit": -1 if limit is None else limit, "offset": offset},
    )
    return list(result.scalars())
