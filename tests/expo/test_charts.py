"""expo.charts: SVG with escaped texts, a table of the same figures, CSV rows."""

import re

from expo import charts


def test_bars_escape_labels_and_table_holds_the_figures() -> None:
    chart = charts.bars("Visits <by district>", [("Harbour & Port", 30), ("<script>", 5)], value_name="Visits")
    html = str(charts.figure(chart, label_header="District", table_summary="Figures as a table"))
    assert "<script>" not in html
    assert "Harbour &amp; Port" in html and "&lt;script&gt;" in html
    assert html.count("<rect") == 2
    cells = re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', html)
    assert cells == [("Harbour &amp; Port", "30"), ("&lt;script&gt;", "5")]
    assert 'role="img"' in html and "style=" not in html


def test_lines_draw_one_polyline_per_series_and_mirror_for_rtl() -> None:
    chart = charts.lines("Over time", ["1", "2", "3"], [charts.Series("a", [0, 5, 10]), charts.Series("b", [1, 1, 1])])
    ltr = str(charts.svg(chart))
    rtl = str(charts.svg(chart, rtl=True))
    assert ltr.count("<polyline") == 2
    first_ltr = re.search(r'points="([\d.]+),', ltr).group(1)
    first_rtl = re.search(r'points="([\d.]+),', rtl).group(1)
    assert float(first_ltr) < 100 < float(first_rtl)
    assert charts.csv_rows(chart, "Day") == (["Day", "a", "b"], [["1", 0, 1], ["2", 5, 1], ["3", 10, 1]])


def test_axis_maximum_is_round() -> None:
    assert [charts.nice_max(v) for v in (0, 0.4, 3, 7, 12, 240, 999)] == [1, 1, 5, 10, 20, 250, 1000]
