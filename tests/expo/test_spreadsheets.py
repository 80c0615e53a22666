"""expo.spreadsheets: CSV in any encoding Excel writes, .xlsx, limits, formula escaping."""

import codecs

import pytest

from expo import spreadsheets
from expo.spreadsheets import SheetError


def test_gbk_csv_from_excel_is_read() -> None:
    data = "Slug,名称\r\nharbour,港区\r\n".encode("gbk")
    sheet = spreadsheets.read(data, "list.csv")
    assert (sheet.encoding, sheet.header, sheet.rows) == ("gb18030", ["slug", "名称"], [(2, ["harbour", "港区"])])


def test_bom_and_semicolons_are_honoured() -> None:
    sheet = spreadsheets.read(codecs.BOM_UTF8 + b"Slug;Name\n\nx;y\n", "list.csv")
    assert (sheet.encoding, sheet.header, sheet.rows) == ("utf-8-sig", ["slug", "name"], [(3, ["x", "y"])])
    utf16 = spreadsheets.read("a,b\n1,2\n".encode("utf-16"), "list.csv")
    assert utf16.rows == [(2, ["1", "2"])]


def test_xlsx_round_trip_escapes_formulas() -> None:
    data = spreadsheets.write_xlsx(["name", "amount"], [['=HYPERLINK("x")', 12], ["plain", None]])
    sheet = spreadsheets.read(data, "out.xlsx")
    assert sheet.header == ["name", "amount"]
    assert sheet.rows == [(2, ['\'=HYPERLINK("x")', "12"]), (3, ["plain"])]
    assert list(sheet.records()) == [
        (2, {"name": '\'=HYPERLINK("x")', "amount": "12"}),
        (3, {"name": "plain", "amount": ""}),
    ]


def test_csv_written_for_excel() -> None:
    assert spreadsheets.write_csv(["a", "b"], [["@SUM(A1)", "-1"], [3, "ok"]]) == (
        codecs.BOM_UTF8 + b"a,b\r\n'@SUM(A1),'-1\r\n3,ok\r\n"
    )


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.csv", "The file is empty: it needs a header row."),
        (b"PK\x03\x04broken", "x.xlsx", "This is not an Excel .xlsx file, or it is damaged."),
        (b"a,b\n\x00\x01", "x.csv", "This is not a CSV file (it holds binary data)."),
        (b"whatever", "x.xls", "Save the file as .xlsx or .csv first."),
        (("a\n" + "x" * 10_001 + "\n").encode(), "x.csv", "A cell holds more than %(limit)s characters."),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data: bytes, name: str, message: str) -> None:
    with pytest.raises(SheetError) as caught:
        spreadsheets.read(data, name)
    assert caught.value.message == message
