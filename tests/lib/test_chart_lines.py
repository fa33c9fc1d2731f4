"""Lines over time (lib.charts.lines_over_time): points by position, gaps, the level line."""

from digitalesamt.lib import charts


def test_points_sit_at_their_position_in_time_and_none_leaves_a_gap():
    chart = charts.lines_over_time(
        [0.0, 0.5, 0.75, 1.0], [[0, 10, 20, 40], [None, 5, None, 30]], plot_height=100
    )

    own, confirmed = chart.lines
    assert [tick.value for tick in chart.ticks] == [0, 10, 20, 30, 40]
    assert own == "M0.0,100.0L500.0,75.0L750.0,50.0L1000.0,0.0"
    assert confirmed == "M500.0,87.5M1000.0,25.0"  # two pieces: the source was not asked between


def test_the_reference_counts_towards_the_scale_and_is_drawn_as_a_level():
    chart = charts.lines_over_time([0.0, 1.0], [[10, 20]], reference=50, plot_height=100)

    assert chart.ticks[-1].value == 50
    assert chart.reference_y == 0.0
    assert chart.reference_label_y == chart.plot_top - 5


def test_a_single_point_is_a_short_stroke_and_no_series_is_empty():
    chart = charts.lines_over_time([0.0], [[7]])

    assert chart.lines[0].count("L") == 1
    assert charts.lines_over_time([], [[], []]).is_empty


def test_marks_too_close_to_the_one_before_are_left_out():
    chart = charts.lines_over_time(
        [0.0, 1.0], [[1, 2]], marks=[(0.0, "Mär 2025"), (0.05, "2025"), (0.5, "2026"), (1, "x")]
    )

    assert [(mark.label, mark.anchor) for mark in chart.marks] == [
        ("2025", "start"),  # the start of the series gives way to the round date after it
        ("2026", "start"),
        ("x", "end"),
    ]
    later = charts.lines_over_time([0.0, 1.0], [[1, 2]], marks=[(0.0, "Jul 2021"), (0.5, "2022")])
    assert [mark.label for mark in later.marks] == ["Jul 2021", "2022"]
