"""Charts drawn on the server as SVG, each with its figures as a table for screen readers.

Nothing is loaded from elsewhere and nothing runs in the browser: a chart is markup, styled by
``static/css/charts.css`` (series colours are classes ``series-0`` … ``series-5``, no inline
styles, so the strict Content-Security-Policy holds). Two kinds:

- :func:`bars`: one value per category (visits by district, by country …), horizontal bars so
  that long names stay readable; ``rtl=True`` mirrors it for right-to-left pages.
- :func:`lines`: one or more series over the same ordered labels (hours, days).

``figure(chart, …)`` returns the ``<figure>`` (SVG with ``role="img"`` and a ``<title>``, and
a ``<table>`` of the same numbers inside a ``<details>``). Texts come in already translated;
numbers are formatted with the ``number`` callable the caller passes (the viewer's locale).
Everything is escaped here.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import count

from markupsafe import Markup, escape

Number = Callable[[float], str]
WIDTH = 640
MAX_BARS = 12
_ids = count(1)


@dataclass
class Series:
    name: str
    values: list[float]


@dataclass
class Chart:
    kind: str  # "bars" | "lines"
    title: str
    labels: list[str]  # categories (bars) or points in order (lines)
    series: list[Series] = field(default_factory=list)


def bars(title: str, items: Sequence[tuple[str, float]], *, value_name: str, limit: int = MAX_BARS) -> Chart:
    """The ``limit`` largest items, in the order given (sort them first)."""
    items = list(items)[:limit]
    return Chart("bars", title, [label for label, _ in items], [Series(value_name, [float(v) for _, v in items])])


def lines(title: str, labels: Sequence[str], series: Sequence[Series]) -> Chart:
    return Chart("lines", title, list(labels), list(series))


def nice_max(value: float) -> float:
    """A round upper bound of the axis (1, 2, 2.5, 5 × a power of ten) ≥ ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _fmt(number: Number, value: float) -> str:
    return number(int(value) if float(value).is_integer() else round(value, 2))


def _bars_svg(chart: Chart, number: Number, rtl: bool) -> str:
    values = chart.series[0].values if chart.series else []
    row, top, label_w, value_w = 34, 8, 210, 80
    height = top * 2 + row * max(len(values), 1)
    top_value = nice_max(max(values, default=0))
    plot = WIDTH - label_w - value_w
    parts = []
    for i, (label, value) in enumerate(zip(chart.labels, values, strict=True)):
        y = top + i * row
        w = plot * value / top_value
        bar_x = WIDTH - label_w - w if rtl else label_w
        label_x, anchor = (WIDTH - label_w + 8, "start") if rtl else (label_w - 8, "end")
        value_x, value_anchor = (bar_x - 6, "end") if rtl else (bar_x + w + 6, "start")
        short = label if len(label) <= 20 else label[:19] + "…"
        parts.append(
            f'<text x="{label_x}" y="{y + 23}" text-anchor="{anchor}" class="label">{escape(short)}</text>'
            f'<rect x="{bar_x:.1f}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 8}" class="bar series-0"/>'
            f'<text x="{value_x:.1f}" y="{y + 23}" text-anchor="{value_anchor}" class="value">'
            f"{escape(_fmt(number, value))}</text>"
        )
    if not values:
        parts.append(f'<text x="{WIDTH / 2}" y="{top + 18}" text-anchor="middle" class="label">–</text>')
    return _svg(chart, height, "".join(parts))


def _lines_svg(chart: Chart, number: Number, rtl: bool) -> str:
    height, left, right, top, bottom = 300, 64, 24, 14, 40
    if rtl:
        left, right = right, left
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value = nice_max(max((v for s in chart.series for v in s.values), default=0))
    n = max(len(chart.labels), 1)

    def x(i: int) -> float:
        position = plot_w * (i / (n - 1) if n > 1 else 0.5)
        return left + (plot_w - position if rtl else position)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    parts = []
    axis_x, axis_anchor = (WIDTH - right + 6, "start") if rtl else (left - 6, "end")
    for k in range(5):  # horizontal grid lines with their values
        value = top_value * k / 4
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="grid"/>'
            f'<text x="{axis_x}" y="{y(value) + 4:.1f}" text-anchor="{axis_anchor}" class="axis">'
            f"{escape(_fmt(number, value))}</text>"
        )
    step = max(1, -(-n // 6))  # at most ~6 labels under the axis
    for i in range(0, len(chart.labels), step):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle" class="axis">{escape(chart.labels[i])}</text>'
        )
    for k, series in enumerate(chart.series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(series.values))
        parts.append(f'<polyline points="{points}" class="line series-{k % 6}"/>')
        if len(series.values) == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(series.values[0]):.1f}" r="3" class="dot series-{k % 6}"/>')
    legend = ""
    if len(chart.series) > 1:
        items = "".join(
            f'<li><span class="swatch series-{k % 6}" aria-hidden="true"></span>{escape(s.name)}</li>'
            for k, s in enumerate(chart.series)
        )
        legend = f'<ul class="chart-legend">{items}</ul>'
    return _svg(chart, height, "".join(parts)) + legend


def _svg(chart: Chart, height: int, body: str) -> str:
    title_id = f"chart-title-{next(_ids)}"
    return (
        f'<svg class="chart chart-{chart.kind}" viewBox="0 0 {WIDTH} {height}" role="img" direction="ltr" '
        f'aria-labelledby="{title_id}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{title_id}">{escape(chart.title)}</title>{body}</svg>'
    )


def svg(chart: Chart, *, number: Number = str, rtl: bool = False) -> Markup:
    drawn = _bars_svg(chart, number, rtl) if chart.kind == "bars" else _lines_svg(chart, number, rtl)
    return Markup(drawn)  # noqa: S704 - every text in it went through escape()


def table(chart: Chart, *, label_header: str, number: Number = str) -> Markup:
    head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in chart.series)
    rows = []
    for i, label in enumerate(chart.labels):
        cells = "".join(f"<td>{escape(_fmt(number, s.values[i]))}</td>" for s in chart.series)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    return Markup(  # noqa: S704 - escaped above
        f'<table class="chart-table"><thead><tr><th scope="col">{escape(label_header)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def figure(
    chart: Chart,
    *,
    label_header: str,
    table_summary: str,
    number: Number = str,
    rtl: bool = False,
    export_url: str = "",
    export_label: str = "",
) -> Markup:
    """The chart, its table (in a ``<details>`` whose summary is ``table_summary``), and an
    optional link to the CSV of the same figures."""
    export = (
        f'<a class="chart-export" href="{escape(export_url)}" download>{escape(export_label)}</a>' if export_url else ""
    )
    return Markup(  # noqa: S704 - the parts are escaped markup
        f'<figure class="chart-figure"><figcaption>{escape(chart.title)}</figcaption>'
        f"{svg(chart, number=number, rtl=rtl)}"
        f"<details><summary>{escape(table_summary)}</summary>"
        f"{table(chart, label_header=label_header, number=number)}</details>{export}</figure>"
    )


def csv_rows(chart: Chart, label_header: str) -> tuple[list[str], list[list[object]]]:
    """Header and rows of the chart's figures, for ``expo.spreadsheets.write_csv``."""
    header = [label_header, *(s.name for s in chart.series)]
    rows = [[label, *(_plain(s.values[i]) for s in chart.series)] for i, label in enumerate(chart.labels)]
    return header, rows


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
