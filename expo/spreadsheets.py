"""Reading and writing the spreadsheets offices keep their lists in: CSV and Excel (.xlsx).

Reading gives a :class:`Sheet`: the header (column names, trimmed, lower-cased) and the rows
as lists of strings, each with its 1-based line number in the file (the header is line 1), so
that an import can report "row 7: …". CSV files come in whatever encoding the office's Excel
wrote: a BOM (UTF-8, UTF-16) is honoured, then strict UTF-8 is tried, then GB18030 (a
superset of GBK, what Excel writes on a Chinese Windows), then Windows-1252.

Writing (:func:`write_csv`, :func:`write_xlsx`) escapes formula injection: a cell whose text
starts with ``= + - @`` (or a tab / carriage return) is prefixed with an apostrophe so that
Excel or LibreOffice shows it as text instead of running it (OWASP "CSV injection").

Limits are checked while reading (:class:`SheetError` with a message id and values): the
file size, the number of rows and columns, and the length of one cell. The module knows
nothing of what the columns mean; importers do.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

MAX_BYTES = 40 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_CELL = 10_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# Encodings tried in order for a CSV file without a BOM.
FALLBACK_ENCODINGS = ("utf-8", "gb18030", "cp1252")
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def _(text: str) -> str:  # marks a message for extraction; callers translate it
    return text


class SheetError(ValueError):
    """The file cannot be read as a sheet. ``message`` is an untranslated message id with
    ``%(name)s`` placeholders filled from ``values``."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values


@dataclass
class Sheet:
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line number, cells)
    encoding: str = ""  # for CSV: the encoding the file was read in
    format: str = "csv"  # "csv" | "xlsx"

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row as {column: text}; missing cells are "", extra cells are dropped."""
        width = len(self.header)
        for line, cells in self.rows:
            padded = cells + [""] * (width - len(cells))
            yield line, dict(zip(self.header, padded[:width], strict=True))

    def extra_cells(self, cells: Sequence[str]) -> bool:
        """Whether a row has non-empty cells beyond the header (a broken row)."""
        return any(c.strip() for c in cells[len(self.header) :])


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                raise SheetError(
                    _("The file starts with a %(encoding)s mark but is not valid %(encoding)s."), encoding=name
                ) from None
    for name in FALLBACK_ENCODINGS:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise SheetError(_("The file's text encoding is not recognised; save it as CSV UTF-8."))


def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) > MAX_CELL:
        raise SheetError(_("A cell holds more than %(limit)s characters."), limit=MAX_CELL)
    return text


def _sheet(lines: Iterable[tuple[int, Sequence[object]]], *, encoding: str, kind: str) -> Sheet:
    sheet: Sheet | None = None
    for line, raw in lines:
        cells = [_clean(c) for c in raw]
        while cells and not cells[-1]:
            cells.pop()
        if sheet is None:
            if not cells:
                continue  # blank lines before the header
            header = [c.strip().lower() for c in cells]
            if len(header) > MAX_COLUMNS:
                raise SheetError(_("The file has more than %(limit)s columns."), limit=MAX_COLUMNS)
            sheet = Sheet(header=header, encoding=encoding, format=kind)
            continue
        if not cells:
            continue  # blank rows are skipped, not reported
        if len(sheet.rows) >= MAX_ROWS:
            raise SheetError(_("The file has more than %(limit)s rows; split it."), limit=MAX_ROWS)
        sheet.rows.append((line, cells))
    if sheet is None:
        raise SheetError(_("The file is empty: it needs a header row."))
    return sheet


def read_csv(data: bytes) -> Sheet:
    if len(data) > MAX_BYTES:
        raise SheetError(_("The file is larger than %(limit)s MB."), limit=MAX_BYTES // (1024 * 1024))
    text, encoding = decode(data)
    if "\x00" in text:
        raise SheetError(_("This is not a CSV file (it holds binary data)."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        return _sheet(((reader.line_num, row) for row in reader), encoding=encoding, kind="csv")
    except csv.Error:
        raise SheetError(_("The CSV file is malformed near line %(line)s."), line=reader.line_num) from None


def read_xlsx(data: bytes) -> Sheet:
    import openpyxl  # imported when used: a dependency only importers need

    if len(data) > MAX_BYTES:
        raise SheetError(_("The file is larger than %(limit)s MB."), limit=MAX_BYTES // (1024 * 1024))
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise SheetError(_("This is not an Excel .xlsx file, or it is damaged.")) from None
    try:
        worksheet = book.worksheets[0] if book.worksheets else None
        if worksheet is None:
            raise SheetError(_("The file is empty: it needs a header row."))
        rows = ((number, row) for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1))
        return _sheet(rows, encoding="", kind="xlsx")
    finally:
        book.close()


def read(data: bytes, filename: str = "") -> Sheet:
    """A CSV or .xlsx file (by its name, else by its content: .xlsx files are zip archives)."""
    name = filename.lower()
    if name.endswith(".xlsx") or (not name.endswith((".csv", ".txt")) and data[:4] == b"PK\x03\x04"):
        return read_xlsx(data)
    if name.endswith((".xls", ".numbers", ".ods")):
        raise SheetError(_("Save the file as .xlsx or .csv first."))
    return read_csv(data)


def escape(value: object) -> object:
    """A cell value safe to open in a spreadsheet program (formula injection escaped)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a BOM (so that Excel opens it with the right encoding), CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape(h) for h in header])
    for row in rows:
        writer.writerow([escape(c) for c in row])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]], title: str = "Sheet1") -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    worksheet = book.create_sheet(title=title[:31] or "Sheet1")
    worksheet.append([escape(h) for h in header])
    for row in rows:
        # Every string cell is written as text: escape() makes formulas inert, and a plain
        # str that still starts with "=" is never typed as a formula by openpyxl's data_type.
        worksheet.append([_text_cell(worksheet, escape(c)) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(worksheet: object, value: object) -> object:
    if isinstance(value, str):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(worksheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write(
    kind: str, header: Sequence[str], rows: Iterable[Sequence[object]], title: str = "Sheet1"
) -> tuple[bytes, str]:
    """(file bytes, content type) for ``kind`` "csv" or "xlsx"."""
    if kind == "xlsx":
        return write_xlsx(header, rows, title), XLSX_TYPE
    return write_csv(header, rows), CSV_TYPE
