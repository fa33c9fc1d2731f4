"""A Kommune's count over time on its public page, and the means per month on /statistik/."""

import datetime
import re

import pytest
from django.urls import reverse

from municipalities.models import CountSnapshot
from tests.factories import MunicipalityFactory
from tests.helpers import assert_csp_clean, count_queries, main_text


def page(client, municipality):
    return client.get(reverse("awards:municipality", args=[municipality.ars]))


def history(municipality, *rows):
    for day, own, confirmed in rows:
        CountSnapshot.objects.create(
            municipality=municipality, day=day, own_count=own, confirmed_count=confirmed
        )


def test_the_kommune_page_draws_the_count_over_time_with_a_sentence_and_a_table(client, kommune):
    history(
        kommune,
        (datetime.date(2025, 3, 1), 12, None),
        (datetime.date(2026, 6, 1), 40, 30),
        (datetime.date(2026, 12, 1), 57, 41),
    )

    response = page(client, kommune)

    content = main_text(response)
    assert "Online-Verfahren im Zeitverlauf" in content
    assert (
        "Von 12 im März 2025 auf 57 im Dezember 2026. "
        "Davon zuletzt in den Bundesdaten bestätigt: 41." in content
    )
    svg = content.split('<svg class="chart chart--lines"')[1].split('<ul class="chart-legend"')[0]
    assert 'role="img"' in svg and "Mindestzahl von 50" in svg
    assert len(re.findall(r'<path class="chart__line', svg)) == 2  # own and confirmed
    assert 'class="chart__reference"' in svg
    assert '<td class="kern-table__cell kern-table__cell--numeric">nicht abgeglichen</td>' in (
        content.replace("> <", "><")
    )
    assert "1. März 2025" in content and "1. Dezember 2026" in content
    assert_csp_clean(response)


def test_the_kommune_page_says_when_there_is_no_history_yet(client, kommune):
    content = main_text(page(client, kommune))

    assert "Online-Verfahren im Zeitverlauf" in content
    assert "Für diese Kommune ist noch kein Zählstand gespeichert." in content
    assert "chart--lines" not in content


def test_a_long_history_is_drawn_with_few_points(client, kommune):
    start = datetime.date(2024, 1, 1)
    history(*[kommune], *[(start + datetime.timedelta(days=n), n // 10, None) for n in range(700)])

    response = page(client, kommune)

    rows = re.findall(
        r'<tr class="kern-table__row"><th class="kern-table__header" scope="row">',
        response.content.decode(),
    )
    assert 90 < len(rows) < 90 + 24


def test_statistics_show_the_mean_count_per_kommune_per_month(client, db):
    first, second = MunicipalityFactory(), MunicipalityFactory()
    history(first, (datetime.date(2026, 11, 30), 10, 4), (datetime.date(2026, 12, 1), 20, 10))
    history(second, (datetime.date(2026, 12, 1), 40, None))

    response = client.get("/statistik/")

    content = main_text(response)
    assert "Online-Verfahren je Kommune im Zeitverlauf" in content
    assert "Von November 2026 bis Dezember 2026" in content
    table = content.split('id="table-counts-caption"')[1].split("</table>")[0].replace("> <", "><")
    assert (
        '<th class="kern-table__header" scope="row">Dezember 2026</th>'
        '<td class="kern-table__cell kern-table__cell--numeric">30,0</td>'
        '<td class="kern-table__cell kern-table__cell--numeric">2</td>'
        '<td class="kern-table__cell kern-table__cell--numeric">1</td>'
        '<td class="kern-table__cell kern-table__cell--numeric">20,0</td>'
        '<td class="kern-table__cell kern-table__cell--numeric">10,0</td>'
    ) in table
    assert 'id="chart-count-means-title"' in content
    assert_csp_clean(response)


def test_statistics_say_when_no_count_is_stored_yet(client, db):
    content = main_text(client.get("/statistik/"))

    assert "Noch sind keine Zählstände gespeichert." in content


@pytest.mark.parametrize("months", [2, 30])
def test_the_statistics_history_costs_one_query_however_long(client, db, months):
    kommune = MunicipalityFactory()
    history(
        kommune,
        *[(datetime.date(2024 + m // 12, m % 12 + 1, 1), m + 1, m // 2) for m in range(months)],
    )

    with count_queries() as counted:
        response = client.get("/statistik/")

    assert len(counted.own) == 5
    assert len(response.context["count_means"]) == months
