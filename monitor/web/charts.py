"""Volume charts as inline SVG: bars with a time axis, a tooltip per bar, and the expected band.

No script and no third-party resource: every number is formatted here (dates and words in
the language in use, ``monitor.i18n``) and every text escaped, and a bar's tooltip is its SVG ``<title>`` ("Tue 02 Dec 20:00–21:00 CET: 17
mentions"), which browsers show on hover. The band is the range the detector expected
(shaded), so a reviewer sees at a glance how far above it a bar rose.
"""

from __future__ import annotations

import math
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from markupsafe import Markup, escape

from monitor import i18n

AXIS_TICKS = 5
BAR, HOT, BAND, INK = "#1a56a6", "#b00020", "#d9dee7", "#5f6368"


@dataclass(frozen=True)
class Frame:
    """The chart's size in pixels and the padding kept for labels (left, top, bottom)."""

    width: int = 480
    height: int = 130
    left: int = 30
    top: int = 16
    bottom: int = 22

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom


def expected_band(expected: float, dispersion: float = 0.0) -> tuple[float, float]:
    """A plausible range for a count whose expectation is ``expected``: about two standard
    deviations of a negative binomial with that ``dispersion`` (Poisson when 0) either side."""
    spread = 2 * math.sqrt(max(expected, 0.0) + dispersion * expected * expected)
    return max(0.0, expected - spread), expected + spread


def bar_chart(
    counts: Sequence[int],
    *,
    start: datetime,
    bucket: timedelta,
    zone: tzinfo = timezone.utc,
    inside: Container[int] = (),
    band: Sequence[tuple[float, float] | None] | None = None,
    label: str = "mentions",
    frame: Frame = Frame(),
    css_class: str = "",
    hot_class: str = "in-spike",
    marker: bool = False,
) -> Markup:
    """Bars of ``counts`` (bucket i starts at ``start + i·bucket``), red over ``inside`` (class
    ``hot_class``, with a ▲ above when ``marker``), on a time axis in ``zone``, over the shaded
    ``band`` (one (low, high) per bucket, or None where nothing was expected) when given."""
    counts = list(counts) or [0]
    peak = max([*counts, *(part[1] for part in band or [] if part is not None), 1])
    step = (frame.width - frame.left - 4) / len(counts)
    y = lambda value: frame.top + frame.plot_height * (1 - value / peak)  # noqa: E731
    parts = [
        f'<svg class="{escape(("volume-chart " + css_class).strip())}" role="img" aria-label="{escape(label)}" width="{frame.width}" '
        f'height="{frame.height}" viewBox="0 0 {frame.width} {frame.height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    if band:
        parts += [_band(run, first, frame, step, y) for first, run in _runs(band)]
    for i, count in enumerate(counts):
        when = start + i * bucket
        hot = i in inside
        parts.append(
            f'<rect class="{"bar " + hot_class if hot else "bar"}" x="{frame.left + i * step:.1f}" y="{y(count):.1f}" '
            f'width="{max(step * 0.8, 0.5):.1f}" height="{frame.top + frame.plot_height - y(count):.1f}" '
            f'fill="{HOT if hot else BAR}"><title>{escape(span_label(when, bucket, zone))}: '
            f"{escape(_mentions(count))}</title></rect>"
        )
        if hot and marker:
            parts.append(
                f'<text class="spike-marker" x="{frame.left + i * step:.1f}" y="{max(y(count) - 3, 10):.1f}" '
                f'font-size="11" fill="{HOT}">▲</text>'
            )
    parts += _axes(len(counts), peak, start, bucket, zone, frame, step)
    parts.append("</svg>")
    return Markup("".join(parts))


def _runs(band: Sequence[tuple[float, float] | None]) -> list[tuple[int, list[tuple[float, float]]]]:
    """The band's stretches without a gap: (index of the first bucket, its ranges)."""
    runs: list[tuple[int, list[tuple[float, float]]]] = []
    for i, part in enumerate(band):
        if part is None:
            continue
        if runs and runs[-1][0] + len(runs[-1][1]) == i:
            runs[-1][1].append(part)
        else:
            runs.append((i, [part]))
    return runs


def _band(band: Sequence[tuple[float, float]], first: int, frame: Frame, step: float, y) -> str:
    """The expected range from bucket ``first`` on as one shaded polygon: along the highs, back
    along the lows."""
    left = lambda i: frame.left + (first + i) * step  # noqa: E731
    highs = [f"{left(i):.1f},{y(high):.1f} {left(i + 1):.1f},{y(high):.1f}" for i, (_, high) in enumerate(band)]
    lows = [
        f"{left(i + 1):.1f},{y(low):.1f} {left(i):.1f},{y(low):.1f}" for i, (low, _) in reversed(list(enumerate(band)))
    ]
    title = i18n.gettext("the range the detector expected")
    return (
        f'<polygon class="expected-band" fill="{BAND}" points="{" ".join(highs + lows)}">'
        f"<title>{escape(title)}</title></polygon>"
    )


def _axes(
    n: int, peak: float, start: datetime, bucket: timedelta, zone: tzinfo, frame: Frame, step: float
) -> list[str]:
    """The time axis (a line and ``AXIS_TICKS`` labels) and the count scale (0 and the peak)."""
    base = frame.top + frame.plot_height
    parts = [
        f'<line class="axis" x1="{frame.left}" y1="{base:.1f}" x2="{frame.width - 4}" y2="{base:.1f}" stroke="{INK}"/>',
        f'<text class="y-label" x="{frame.left - 4}" y="{frame.top + 8}" font-size="10" fill="{INK}" '
        f'text-anchor="end">{_count(peak)}</text>',
        f'<text class="y-label" x="{frame.left - 4}" y="{base:.1f}" font-size="10" fill="{INK}" text-anchor="end">0</text>',
    ]
    long_span = n * bucket > timedelta(days=2)
    for k in range(AXIS_TICKS):
        i = round(k * (n - 1) / (AXIS_TICKS - 1)) if n > 1 else 0
        when = (start + i * bucket).astimezone(zone)
        text = i18n.format_date(when, "dd MMM") if long_span else when.strftime("%H:%M")
        anchor = "start" if k == 0 else "end" if k == AXIS_TICKS - 1 else "middle"
        parts.append(
            f'<text class="x-tick" x="{frame.left + (i + 0.4) * step:.1f}" y="{frame.height - 6}" '
            f'font-size="10" fill="{INK}" text-anchor="{anchor}">{escape(text)}</text>'
        )
    return parts


def span_label(when: datetime, bucket: timedelta, zone: tzinfo) -> str:
    """ "Tue 02 Dec 20:00–21:00 CET" for an hour, "Tue 02 Dec" for a day, in ``zone``."""
    local = when.astimezone(zone)
    if bucket >= timedelta(days=1):
        return i18n.format_date(local, "EEE dd MMM")
    end = (when + bucket).astimezone(zone)
    return f"{i18n.format_date(local, 'EEE dd MMM')} {local:%H:%M}–{end:%H:%M} {local.tzname() or ''}".rstrip()


def _mentions(count: int) -> str:
    return i18n.ngettext("%(num)d mention", "%(num)d mentions", count) % {"num": count}


def _count(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or float(value).is_integer() else f"{value:.1f}"
