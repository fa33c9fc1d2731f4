"""Geometry for the charts and the map that the public pages draw as inline SVG.

Pure functions from data to coordinates: no database, no requests, no translation. The
templates in templates/public/_chart_*.html turn the results into SVG.

Charts are laid out in CSS pixels vertically and in percent of their width horizontally, so
they fill any screen from 320 px up while their text keeps its size: an SVG with a viewBox
would shrink the labels to illegible on a phone. Shapes that need a coordinate system of
their own (columns, lines) sit in a nested SVG that stretches horizontally (x from 0 to
PLOT_WIDTH) and keeps pixels vertically. The map, a picture of a territory, scales as a
whole through its viewBox.
"""

import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

# Horizontal user units of a stretched plot (columns, lines): 0 is the left edge, PLOT_WIDTH
# the right edge, whatever the width on screen.
PLOT_WIDTH = 1000


def _round(value: float) -> float:
    """Round a coordinate: one decimal is finer than a pixel and keeps the markup short."""
    return round(value, 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def nice_step(maximum: float, intervals: int = 5) -> int:
    """Return the smallest step of 1, 2 or 5 times a power of ten that covers 0…maximum
    in at most `intervals` steps."""
    if maximum <= 0:
        return 1
    magnitude = 10 ** max(0, math.floor(math.log10(maximum / intervals)))
    for step in (factor * magnitude for factor in (1, 2, 5, 10, 20, 50)):
        if math.ceil(maximum / step) <= intervals:
            return step
    raise AssertionError("unreachable")  # pragma: no cover


def scale_ticks(maximum: float, intervals: int = 5) -> list[int]:
    """Return round axis values from 0 up to the first one that reaches `maximum`."""
    step = nice_step(maximum, intervals)
    top = max(step, math.ceil(maximum / step) * step)
    return list(range(0, top + 1, step))


def percent(value: float, total: float) -> float:
    """Return value as a percentage of total, 0 when there is no total."""
    return value / total * 100 if total else 0.0


# Horizontal bars: a label line (name left, figure right), the bar below it.

BAR_LABEL_BASELINE = 17  # from the top of a row
LINE_HEIGHT = 19  # of a label that wraps
BAR_GAP = 9  # from the last label line's baseline to the bar
BAR_HEIGHT = 16
NOTE_GAP = 17  # from the bar's bottom to the note's baseline
NOTE_LINE_HEIGHT = 17
ROW_GAP = 16
# SVG text does not wrap. At 320 px the chart is 288 px wide: beside a figure like
# "100,0 %" there is room for about 28 characters of 15 px label, 40 of 13 px note.
LABEL_CHARACTERS = 28
NOTE_CHARACTERS = 40


def wrap(text: str, width: int) -> tuple[str, ...]:
    """Break text into lines of at most `width` characters, at spaces only."""
    return tuple(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))


@dataclass(frozen=True)
class Segment:
    """A part of a bar: where it starts and how wide it is, in percent of the chart width."""

    x: float
    width: float


@dataclass(frozen=True)
class BarRow:
    label: str
    value: int
    value_label: str
    segments: tuple[Segment, ...]
    label_lines: tuple[str, ...]
    label_y: float  # baseline of the first line
    bar_y: float
    note_lines: tuple[str, ...] = ()
    note_y: float = 0.0


@dataclass(frozen=True)
class BarChart:
    rows: tuple[BarRow, ...]
    height: float
    bar_height: int = BAR_HEIGHT
    line_height: int = LINE_HEIGHT
    note_line_height: int = NOTE_LINE_HEIGHT

    @property
    def is_empty(self) -> bool:
        return not self.rows


def _stack_rows(
    items: Iterable[tuple[str, int, str, Sequence[float], str]],
) -> BarChart:
    """Lay out rows of (label, value, value label, segment widths in percent, note)."""
    rows = []
    top = 0.0
    for label, value, value_label, widths, note in items:
        segments = []
        x = 0.0
        for width in widths:
            width = max(0.0, min(width, 100.0 - x))
            segments.append(Segment(x=_round(x), width=_round(width)))
            x += width
        label_lines = wrap(label, LABEL_CHARACTERS) or ("",)
        note_lines = wrap(note, NOTE_CHARACTERS)
        label_y = top + BAR_LABEL_BASELINE
        bar_y = label_y + (len(label_lines) - 1) * LINE_HEIGHT + BAR_GAP
        bottom = bar_y + BAR_HEIGHT
        note_y = bottom + NOTE_GAP if note_lines else 0.0
        if note_lines:
            bottom = note_y + (len(note_lines) - 1) * NOTE_LINE_HEIGHT + 5
        rows.append(
            BarRow(
                label=label,
                value=value,
                value_label=value_label,
                segments=tuple(segments),
                label_lines=label_lines,
                label_y=label_y,
                bar_y=bar_y,
                note_lines=note_lines,
                note_y=note_y,
            )
        )
        top = bottom + ROW_GAP
    return BarChart(rows=tuple(rows), height=max(0.0, top - ROW_GAP) + 2)


def horizontal_bars(
    items: Sequence[tuple[str, int]], *, value_labels: Sequence[str] | None = None
) -> BarChart:
    """Lay out one bar per (label, value); the longest bar fills the width.

    `value_labels` are the figures as shown (localised); by default the plain numbers.
    """
    maximum = max((value for _, value in items), default=0)
    labels = value_labels if value_labels is not None else [str(v) for _, v in items]
    return _stack_rows(
        (label, value, shown, [percent(value, maximum)], "")
        for (label, value), shown in zip(items, labels, strict=True)
    )


@dataclass(frozen=True)
class ShareItem:
    """A group of `total` Kommunen of which `parts` (in order) have some property."""

    label: str
    total: int
    parts: tuple[int, ...]
    value_label: str = ""
    note: str = ""


def share_bars(items: Sequence[ShareItem]) -> BarChart:
    """Lay out one 0–100 % bar per group, its parts stacked from the left."""
    return _stack_rows(
        (
            item.label,
            sum(item.parts),
            item.value_label,
            [percent(part, item.total) for part in item.parts],
            item.note,
        )
        for item in items
    )


# Columns and lines over time: a y axis of round values, labelled marks on the x axis.

AXIS_TOP = 28  # room for the label above the top grid line
AXIS_LABEL_GAP = 22  # from the plot's bottom to the baseline of the x axis labels


@dataclass(frozen=True)
class Tick:
    value: int
    y: float

    @property
    def label_y(self) -> float:
        """Baseline of the tick's label, just above its grid line."""
        return _round(self.y - 5)


@dataclass(frozen=True)
class Mark:
    """A labelled point of the x axis at `x` percent of the width, its label at `label_x`."""

    label: str
    x: float
    label_x: float
    anchor: str  # "start", or "end" near the right edge so that the label stays inside


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    x: float  # in plot units (0…PLOT_WIDTH)
    width: float
    y: float  # in pixels from the plot's top
    height: float


@dataclass(frozen=True)
class TimeChart:
    ticks: tuple[Tick, ...]
    marks: tuple[Mark, ...]
    plot_top: int
    plot_height: int
    height: int
    columns: tuple[Column, ...] = ()
    line: str = ""  # path data in plot units
    area: str = ""
    last_x: float = 0.0  # percent of the width
    last_y: float = 0.0  # pixels from the chart's top
    plot_width: int = PLOT_WIDTH

    @property
    def axis_y(self) -> int:
        return self.plot_top + self.plot_height

    @property
    def mark_y(self) -> int:
        return self.axis_y + AXIS_LABEL_GAP

    @property
    def is_empty(self) -> bool:
        return not self.columns and not self.line


def _axis(maximum: int, plot_height: int) -> tuple[list[int], float, tuple[Tick, ...]]:
    values = scale_ticks(maximum)
    top = values[-1]
    ticks = tuple(
        Tick(value=value, y=_round(AXIS_TOP + plot_height - value / top * plot_height))
        for value in values
    )
    return values, top, ticks


def _marks(count: int, marks: Sequence[tuple[int, str]], min_gap: float) -> tuple[Mark, ...]:
    """Place the labelled marks at least `min_gap` percent apart.

    A mark too close to the one before is left out, except that a mark at the very start of
    the series (where it happens to begin) gives way to the one that follows (a round date).
    """
    slot = 100 / count if count else 0
    placed: list[Mark] = []
    for index, label in sorted(marks):
        if not 0 <= index < count:
            continue
        if placed and index * slot - placed[-1].x < min_gap:
            if len(placed) > 1 or placed[0].x > 0:
                continue
            placed.pop()
        x = index * slot
        # Near the right edge the label ends at the edge instead of starting at its slot.
        anchor = "end" if x > 90 else "start"
        label_x = 100 if anchor == "end" else x
        placed.append(Mark(label=label, x=_round(x), label_x=_round(label_x), anchor=anchor))
    return tuple(placed)


def column_chart(
    items: Sequence[tuple[str, int]],
    *,
    marks: Sequence[tuple[int, str]] = (),
    plot_height: int = 180,
    gap: float = 0.2,
    min_mark_gap: float = 12,
) -> TimeChart:
    """Lay out one column per (label, value) from left to right.

    `marks` label some columns on the x axis by index, e.g. the first month of each year.
    `gap` is the share of a column's slot left empty between columns; marks closer than
    `min_mark_gap` percent of the width would overlap, and the earlier one is left out.
    """
    maximum = max((value for _, value in items), default=0)
    _, top, ticks = _axis(maximum, plot_height)
    slot = PLOT_WIDTH / len(items) if items else 0
    columns = tuple(
        Column(
            label=label,
            value=value,
            x=_round(index * slot + slot * gap / 2),
            width=_round(slot * (1 - gap)),
            y=_round(plot_height - value / top * plot_height),
            height=_round(value / top * plot_height),
        )
        for index, (label, value) in enumerate(items)
    )
    return TimeChart(
        ticks=ticks,
        marks=_marks(len(items), marks, min_mark_gap),
        plot_top=AXIS_TOP,
        plot_height=plot_height,
        height=AXIS_TOP + plot_height + AXIS_LABEL_GAP + 6,
        columns=columns,
    )


def line_chart(
    values: Sequence[int],
    *,
    marks: Sequence[tuple[int, str]] = (),
    plot_height: int = 180,
    min_mark_gap: float = 12,
) -> TimeChart:
    """Lay out a line through the values, one per slot, with the area below it filled."""
    maximum = max(values, default=0)
    _, top, ticks = _axis(maximum, plot_height)
    if not values:
        return TimeChart(
            ticks=ticks,
            marks=(),
            plot_top=AXIS_TOP,
            plot_height=plot_height,
            height=AXIS_TOP + plot_height + AXIS_LABEL_GAP + 6,
        )
    slot = PLOT_WIDTH / len(values)
    points = [
        (_round((index + 0.5) * slot), _round(plot_height - value / top * plot_height))
        for index, value in enumerate(values)
    ]
    if len(points) == 1:  # a single month: a short level line across its slot
        (x, y), half = points[0], slot / 2
        points = [(_round(x - half), y), (_round(x + half), y)]
    line = "M" + "L".join(f"{x},{y}" for x, y in points)
    area = f"{line}L{points[-1][0]},{plot_height}L{points[0][0]},{plot_height}Z"
    return TimeChart(
        ticks=ticks,
        marks=_marks(len(values), marks, min_mark_gap),
        plot_top=AXIS_TOP,
        plot_height=plot_height,
        height=AXIS_TOP + plot_height + AXIS_LABEL_GAP + 6,
        line=line,
        area=area,
        last_x=_round(points[-1][0] / PLOT_WIDTH * 100),
        last_y=_round(AXIS_TOP + points[-1][1]),
    )


@dataclass(frozen=True)
class LinesChart:
    """Lines over a time axis, each point placed by its position in time, and a level line."""

    ticks: tuple[Tick, ...]
    marks: tuple[Mark, ...]
    plot_top: int
    plot_height: int
    height: int
    lines: tuple[str, ...]  # path data in plot units, one per series ("" for an empty one)
    reference_y: float | None = None  # pixels from the plot's top
    plot_width: int = PLOT_WIDTH

    @property
    def axis_y(self) -> int:
        return self.plot_top + self.plot_height

    @property
    def mark_y(self) -> int:
        return self.axis_y + AXIS_LABEL_GAP

    @property
    def reference_label_y(self) -> float:
        return _round(self.plot_top + (self.reference_y or 0) - 5)

    @property
    def is_empty(self) -> bool:
        return not any(self.lines)


def lines_over_time(
    positions: Sequence[float],
    series: Sequence[Sequence[int | None]],
    *,
    reference: int | None = None,
    marks: Sequence[tuple[float, str]] = (),
    plot_height: int = 120,
    min_mark_gap: float = 14,
) -> LinesChart:
    """Lay out one line per series through points at `positions` (0…1 of the time span).

    A value None leaves a gap in its line (a day the source was not asked). `reference` draws
    a level line across the plot (a threshold) and counts towards the scale. `marks` label
    points of the x axis by position; one closer than `min_mark_gap` percent to the one before
    is left out.
    """
    values = [value for values in series for value in values if value is not None]
    maximum = max([*values, reference or 0], default=0)
    _, top, ticks = _axis(maximum, plot_height)
    lines = []
    for values in series:
        parts, drawing = [], False
        for position, value in zip(positions, values, strict=True):
            if value is None:
                drawing = False
                continue
            x = _round(position * PLOT_WIDTH)
            y = _round(plot_height - value / top * plot_height)
            parts.append(f"{'L' if drawing else 'M'}{x},{y}")
            drawing = True
        if len(parts) == 1:  # a single point: a short level stroke, so that it shows
            x, y = parts[0][1:].split(",")
            parts.append(f"L{_round(float(x) + 8)},{y}")
        lines.append("".join(parts))
    placed: list[Mark] = []
    for position, label in sorted(marks):
        x = _round(position * 100)
        if not 0 <= x <= 100:
            continue
        if placed and x - placed[-1].x < min_mark_gap:
            # The start of the series gives way to the round date just after it.
            if len(placed) > 1 or placed[0].x > 0:
                continue
            placed.pop()
        anchor = "end" if x > 90 else "start"
        placed.append(Mark(label=label, x=x, label_x=100 if x > 90 else x, anchor=anchor))
    reference_y = None if reference is None else _round(plot_height - reference / top * plot_height)
    return LinesChart(
        ticks=ticks,
        marks=tuple(placed),
        plot_top=AXIS_TOP,
        plot_height=plot_height,
        height=AXIS_TOP + plot_height + AXIS_LABEL_GAP + 6,
        lines=tuple(lines),
        reference_y=reference_y,
    )


# The map: an equirectangular projection of Bavaria.

MAP_REFERENCE_LATITUDE = 48.9  # Bavaria's middle: a degree of longitude is cos(48.9°) as long


@dataclass(frozen=True)
class Projection:
    """Project latitude/longitude into a viewBox `width` units wide, north up.

    Longitude is scaled by the cosine of a reference latitude, so the shapes in the middle
    of the area keep their proportions; over Bavaria's 3.3 degrees of latitude that is true
    to a few percent.
    """

    south: float
    north: float
    west: float
    east: float
    width: float = 1000
    margin: float = 24

    @cached_property
    def _cosine(self) -> float:
        return math.cos(math.radians(MAP_REFERENCE_LATITUDE))

    @cached_property
    def _scale(self) -> float:
        return (self.width - 2 * self.margin) / ((self.east - self.west) * self._cosine)

    @property
    def height(self) -> float:
        return _round((self.north - self.south) * self._scale + 2 * self.margin)

    def __call__(self, latitude: float, longitude: float) -> tuple[float, float]:
        x = self.margin + (longitude - self.west) * self._cosine * self._scale
        y = self.margin + (self.north - latitude) * self._scale
        return _round(x), _round(y)

    def contains(self, x: float, y: float) -> bool:
        return 0 <= x <= self.width and 0 <= y <= self.height


# Bavaria's outermost points (Destatis, rounded outwards).
BAVARIA = Projection(south=47.26, north=50.57, west=8.97, east=13.84)


def dots_path(points: Iterable[tuple[float, float]]) -> str:
    """Return path data that draws a dot at every point (with a round line cap)."""
    return "".join(f"M{x},{y}h0" for x, y in points)


def mean_position(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Return the mean of (latitude, longitude) pairs, None for none."""
    if not points:
        return None
    return (
        sum(latitude for latitude, _ in points) / len(points),
        sum(longitude for _, longitude in points) / len(points),
    )


# Markers centred on the origin, about `size` units across; each kind group has its shape,
# so that the kind can be told without colour.
MARKER_SIZE = 12


def marker_path(shape: str, size: float = MARKER_SIZE) -> str:
    r = size / 2
    if shape == "circle":
        return f"M{-r},0a{r},{r} 0 1,0 {2 * r},0a{r},{r} 0 1,0 {-2 * r},0Z"
    if shape == "diamond":
        d = _round(r * 1.25)
        return f"M0,{-d}L{d},0L0,{d}L{-d},0Z"
    if shape == "square":
        s = _round(r * 0.9)
        return f"M{-s},{-s}H{s}V{s}H{-s}Z"
    if shape == "triangle":
        t = _round(r * 1.3)
        return f"M0,{-t}L{t},{_round(t * 0.75)}L{-t},{_round(t * 0.75)}Z"
    raise ValueError(f"unknown marker shape {shape!r}")


def spread_labels(
    places: Sequence[tuple[str, float, float]], *, distance: float, limit: int
) -> list[tuple[str, float, float]]:
    """Pick up to `limit` places, in the given order, at least `distance` from each other."""
    picked: list[tuple[str, float, float]] = []
    for name, x, y in places:
        if len(picked) >= limit:
            break
        if all(math.hypot(x - px, y - py) >= distance for _, px, py in picked):
            picked.append((name, x, y))
    return picked
