"""Bar charts for the report page, drawn on the server as SVG: no script, no outside
service (the page's Content-Security-Policy allows neither), readable without colour.

``bars`` lays out one small chart (an indicator by month); the template draws it and the
table beside it carries the same numbers for screen readers and for print.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, GAP = 36, 120, 8  # one month's bar, the plot's height, between bars


@dataclass(frozen=True)
class Bar:
    label: str  # "Sep", under the bar
    value: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int  # the plot, without the labels
    top: int  # the largest value, the scale's top

    @property
    def total(self) -> int:
        return sum(b.value for b in self.bars)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def bars(title: str, by_month: dict[str, int], months: list[str]) -> Chart:
    """One bar per month (``YYYY-MM``), scaled to the largest; a month without any is a
    bar of height 0 with its 0 written above it, so nothing reads as missing data."""
    top = max([by_month.get(m, 0) for m in months] + [1])
    out = []
    for i, month in enumerate(months):
        value = by_month.get(month, 0)
        height = round(HEIGHT * value / top)
        out.append(Bar(_label(month, months), value, GAP + i * (WIDTH + GAP),
                       HEIGHT - height, height))
    return Chart(title, tuple(out), GAP + len(months) * (WIDTH + GAP), HEIGHT, top)


def _label(month: str, months: list[str]) -> str:
    """"Sep", or "Sep 26" when the chart spans more than one year."""
    year, number = month.split("-")
    name = MONTHS[int(number) - 1]
    return f"{name} {year[2:]}" if len({m[:4] for m in months}) > 1 else name
