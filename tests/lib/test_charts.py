"""The geometry of the server-drawn charts and map (lib.charts) and its SVG templates."""

import math
import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from digitalesamt.lib import charts

# Scales


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (30, [0, 10, 20, 30]),
        (31, [0, 10, 20, 30, 40]),
        (124, [0, 50, 100, 150]),
        (450, [0, 100, 200, 300, 400, 500]),
        (2445, [0, 500, 1000, 1500, 2000, 2500]),
    ],
)
def test_scale_ticks_are_round_values_from_zero_past_the_maximum(maximum, expected):
    assert charts.scale_ticks(maximum) == expected


def test_scale_ticks_always_reach_the_maximum_in_at_most_five_steps():
    for maximum in range(0, 5001):
        ticks = charts.scale_ticks(maximum)
        assert ticks[0] == 0
        assert ticks[-1] >= maximum
        assert 2 <= len(ticks) <= 6
        step = ticks[1] - ticks[0]
        assert str(step).strip("0") in {"1", "2", "5"}
        assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))


def test_percent_of_nothing_is_zero():
    assert charts.percent(5, 0) == 0
    assert charts.percent(1, 4) == 25


# Horizontal bars


def test_horizontal_bars_without_data_are_empty():
    chart = charts.horizontal_bars([])
    assert chart.is_empty
    assert chart.rows == ()


def test_a_single_bar_fills_the_width():
    chart = charts.horizontal_bars([("Oberbayern", 7)])
    (row,) = chart.rows
    assert row.segments == (charts.Segment(x=0.0, width=100.0),)
    assert row.value_label == "7"


def test_bars_are_proportional_to_the_largest_value():
    chart = charts.horizontal_bars(
        [("Oberbayern", 120), ("Niederbayern", 60), ("Oberpfalz", 0)],
        value_labels=["120", "60", "0"],
    )
    widths = [row.segments[0].width for row in chart.rows]
    assert widths == [100.0, 50.0, 0.0]


def test_bars_are_stacked_one_row_below_the_other():
    chart = charts.horizontal_bars([("a", 1), ("b", 2), ("c", 3)])
    tops = [row.bar_y for row in chart.rows]
    assert tops == sorted(tops)
    assert all(row.label_y < row.bar_y for row in chart.rows)
    assert chart.height > chart.rows[-1].bar_y + chart.bar_height


def test_long_labels_wrap_at_spaces_and_push_their_bar_down():
    long = "Municipalities, market towns and towns"
    chart = charts.horizontal_bars([(long, 3), ("Bezirke", 1)])
    wrapped, short = chart.rows
    assert wrapped.label_lines == ("Municipalities, market towns", "and towns")
    assert all(len(line) <= charts.LABEL_CHARACTERS for line in wrapped.label_lines)
    assert short.label_lines == ("Bezirke",)
    assert wrapped.bar_y - wrapped.label_y == (short.bar_y - short.label_y) + chart.line_height
    assert short.label_y > wrapped.bar_y + chart.bar_height


def test_wrap_never_breaks_a_word():
    assert charts.wrap("Verwaltungsgemeinschaftsversammlung", 10) == (
        "Verwaltungsgemeinschaftsversammlung",
    )
    assert charts.wrap("", 10) == ()


def test_bars_with_only_zeros_have_no_width():
    chart = charts.horizontal_bars([("a", 0), ("b", 0)])
    assert [row.segments[0].width for row in chart.rows] == [0.0, 0.0]


def test_value_labels_must_match_the_bars():
    with pytest.raises(ValueError):
        charts.horizontal_bars([("a", 1), ("b", 2)], value_labels=["1"])


def test_share_bars_stack_the_parts_within_the_whole():
    chart = charts.share_bars(
        [
            charts.ShareItem(label="Gemeinden", total=200, parts=(50, 30), note="+15 %"),
            charts.ShareItem(label="Bezirke", total=7, parts=(7, 0)),
        ]
    )
    first, second = chart.rows
    assert first.segments == (charts.Segment(0.0, 25.0), charts.Segment(25.0, 15.0))
    assert first.value == 80
    assert first.note_lines == ("+15 %",)
    assert first.note_y > first.bar_y + chart.bar_height
    assert second.segments[0] == charts.Segment(0.0, 100.0)
    assert second.segments[1].width == 0.0
    assert second.note_y == 0.0


def test_share_bars_never_exceed_the_whole_nor_break_on_an_empty_group():
    chart = charts.share_bars(
        [
            charts.ShareItem(label="zu viel", total=10, parts=(8, 8)),
            charts.ShareItem(label="leer", total=0, parts=(0, 0)),
        ]
    )
    over, empty = chart.rows
    assert over.segments[-1].x + over.segments[-1].width == 100.0
    assert [segment.width for segment in empty.segments] == [0.0, 0.0]


# Columns and lines over time


def test_column_chart_without_data_is_empty():
    chart = charts.column_chart([])
    assert chart.is_empty
    assert [tick.value for tick in chart.ticks] == [0, 1]
    assert chart.marks == ()


def test_a_single_column_spans_its_slot_and_reaches_the_top():
    chart = charts.column_chart([("Juli 2021", 10)], gap=0.2)
    (column,) = chart.columns
    assert column.x == 100.0
    assert column.width == 800.0
    assert [tick.value for tick in chart.ticks] == [0, 2, 4, 6, 8, 10]
    assert column.height == chart.plot_height
    assert column.y == 0.0


def test_columns_are_scaled_to_the_top_tick_and_sit_on_the_axis():
    chart = charts.column_chart([("a", 5), ("b", 10), ("c", 0)], plot_height=100)
    assert [tick.value for tick in chart.ticks] == [0, 2, 4, 6, 8, 10]
    heights = [column.height for column in chart.columns]
    assert heights == [50.0, 100.0, 0.0]
    assert all(column.y + column.height == 100 for column in chart.columns)
    xs = [column.x for column in chart.columns]
    assert xs == sorted(xs)
    assert chart.columns[-1].x + chart.columns[-1].width <= charts.PLOT_WIDTH


def test_grid_lines_run_from_the_axis_up():
    chart = charts.column_chart([("a", 30)], plot_height=180)
    assert chart.ticks[0].y == chart.axis_y
    assert chart.ticks[-1].y == chart.plot_top
    assert all(tick.label_y < tick.y for tick in chart.ticks)


def test_marks_are_placed_at_their_column_and_kept_inside_the_chart():
    items = [(str(month), 1) for month in range(20)]
    chart = charts.column_chart(items, marks=[(0, "2021"), (10, "2022"), (19, "2023")])
    first, middle, last = chart.marks
    assert (first.x, first.anchor) == (0.0, "start")
    assert (middle.x, middle.label_x, middle.anchor) == (50.0, 50.0, "start")
    assert (last.x, last.label_x, last.anchor) == (95.0, 100.0, "end")


def test_the_first_mark_gives_way_to_a_close_round_one_and_later_close_ones_are_dropped():
    items = [(str(month), 1) for month in range(100)]
    chart = charts.column_chart(
        items, marks=[(0, "2021"), (5, "2022"), (10, "2023"), (30, "2024"), (99, "x")]
    )
    assert [mark.label for mark in chart.marks] == ["2022", "2024", "x"]


def test_marks_outside_the_series_are_ignored():
    chart = charts.column_chart([("a", 1)], marks=[(-1, "vorher"), (1, "nachher")])
    assert chart.marks == ()


def test_line_chart_without_data_is_empty():
    chart = charts.line_chart([])
    assert chart.is_empty
    assert chart.line == ""


def test_a_line_of_one_value_is_a_level_stroke():
    chart = charts.line_chart([10], plot_height=100)
    assert chart.line == "M0.0,0.0L1000.0,0.0"
    assert chart.area.endswith("Z")
    assert chart.last_x == 100.0


def test_a_line_passes_through_the_middle_of_each_slot():
    chart = charts.line_chart([0, 5, 10], plot_height=100)
    points = re.findall(r"([\d.]+),([\d.]+)", chart.line)
    assert [(float(x), float(y)) for x, y in points] == [
        (166.7, 100.0),
        (500.0, 50.0),
        (833.3, 0.0),
    ]
    assert chart.last_x == 83.3
    assert chart.last_y == chart.plot_top
    assert chart.area.startswith(chart.line)


# The map


def test_the_projection_puts_bavarias_corners_at_the_margins():
    projection = charts.BAVARIA
    assert projection(projection.north, projection.west) == (projection.margin, projection.margin)
    x, y = projection(projection.south, projection.east)
    assert x == pytest.approx(projection.width - projection.margin, abs=0.1)
    assert y == pytest.approx(projection.height - projection.margin, abs=0.1)


def test_the_projection_shortens_longitude_by_the_cosine_of_48_9_degrees():
    projection = charts.BAVARIA
    x0, y0 = projection(48.9, 11.0)
    x1, _ = projection(48.9, 12.0)
    _, y1 = projection(47.9, 11.0)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(math.cos(math.radians(48.9)), abs=0.001)


def test_the_projection_puts_north_up_and_east_right():
    projection = charts.BAVARIA
    wuerzburg = projection(49.79, 9.93)
    muenchen = projection(48.14, 11.58)
    passau = projection(48.57, 13.43)
    assert muenchen[1] > wuerzburg[1]
    assert passau[0] > muenchen[0] > wuerzburg[0]
    assert all(projection.contains(*point) for point in (wuerzburg, muenchen, passau))
    assert not projection.contains(*projection(52.52, 13.40))  # Berlin


def test_dots_path_draws_a_dot_per_point():
    assert charts.dots_path([(1.5, 2.0), (3.0, 4.25)]) == "M1.5,2.0h0M3.0,4.25h0"
    assert charts.dots_path([]) == ""


def test_mean_position():
    assert charts.mean_position([(48.0, 10.0), (50.0, 12.0)]) == (49.0, 11.0)
    assert charts.mean_position([]) is None


@pytest.mark.parametrize("shape", ["circle", "diamond", "square", "triangle"])
def test_every_marker_is_a_closed_path_around_the_origin(shape):
    path = charts.marker_path(shape, size=12)
    assert path.startswith("M") and path.endswith("Z")
    numbers = [abs(float(n)) for n in re.findall(r"-?[\d.]+", path) if n not in {"0", "1"}]
    assert max(numbers) <= 12


def test_an_unknown_marker_shape_is_refused():
    with pytest.raises(ValueError):
        charts.marker_path("star")


def test_spread_labels_keep_their_distance_and_limit():
    places = [("München", 0, 0), ("Freising", 5, 5), ("Augsburg", 100, 0), ("Ulm", 200, 0)]
    assert charts.spread_labels(places, distance=50, limit=5) == [
        ("München", 0, 0),
        ("Augsburg", 100, 0),
        ("Ulm", 200, 0),
    ]
    assert len(charts.spread_labels(places, distance=50, limit=2)) == 2


# The SVG templates


def test_bar_chart_svg_has_a_name_and_unlocalised_coordinates():
    chart = charts.horizontal_bars(
        [("Oberbayern", 3), ("<b>Schwaben</b>", 1), ("Municipalities, market towns and towns", 2)]
    )
    with translation.override("de"):
        svg = render_to_string(
            "public/_chart_bars.html",
            {"chart": chart, "chart_id": "chart-test", "name": "Balkendiagramm"},
        )
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-test-title"' in svg
    assert '<title id="chart-test-title">Balkendiagramm</title>' in svg
    assert 'width="33.3%"' in svg  # a point, not the German decimal comma
    assert "&lt;b&gt;Schwaben&lt;/b&gt;" in svg
    assert '<tspan x="0">Municipalities, market towns</tspan><tspan x="0" dy="19">and towns' in svg
    assert "style=" not in svg


def test_share_chart_svg_hatches_the_second_part():
    chart = charts.share_bars(
        [charts.ShareItem(label="Gemeinden", total=4, parts=(1, 1), note="zusätzlich 25 %")]
    )
    svg = render_to_string(
        "public/_chart_bars.html",
        {"chart": chart, "chart_id": "s", "name": "Anteil", "hatch": True, "track": True},
    )
    assert '<pattern id="s-hatch"' in svg
    assert 'fill="url(#s-hatch)"' in svg
    assert ">zusätzlich 25 %</tspan>" in svg


def test_time_chart_svg_labels_ticks_with_grouped_numbers():
    chart = charts.line_chart([1200, 2400], marks=[(0, "2021")])
    with translation.override("de"):
        svg = render_to_string(
            "public/_chart_time.html",
            {"chart": chart, "chart_id": "t", "name": "Linie", "last_label": "2.400"},
        )
    assert ">2.500<" in svg
    assert ">0<" not in svg  # the axis stands for zero
    assert ">2021<" in svg
    assert 'vector-effect="non-scaling-stroke"' in svg
    assert 'preserveAspectRatio="none"' in svg
