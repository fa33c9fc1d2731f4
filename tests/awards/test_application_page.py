"""The application page as the reviewer's desk: summary, filters, the sample in one form.

Found: the evidence columns were off-screen, no page summarised the link check, every verdict
was a form and a reload of its own, and the sample size went back to 10 after each draw.
"""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from awards import services
from awards.constants import Verdict
from awards.models import EvidenceItem, SpotCheck
from municipalities.constants import Kind, LinkCheckResult
from tests.awards.test_evidence_at_scale import change_live_links, kommune_with, submit
from tests.awards.test_review_admin import (
    THRESHOLD,
    action_url,
    apply,
    draw,
    flash,
    judge,
    page_url,
    set_threshold,
)
from tests.factories import MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.usefixtures("no_link_check", "small_threshold")

# One link per outcome of the link check, and one not checked yet.
OUTCOMES = [*LinkCheckResult.values, ""]


@pytest.fixture
def small_threshold(db):
    for kind in (Kind.GEMEINDE, Kind.MARKT):
        set_threshold(kind)


@pytest.fixture
def desk(kommune, clerk, reviewer):
    """In review, second round: every link-check outcome once, a sample of four, differences."""
    application = apply(kommune, by=clerk, links=len(OUTCOMES))
    services.start_review(application=application, reviewer=reviewer)
    services.request_changes(application=application, reviewer=reviewer, message="Bitte.")
    # Between the rounds: one link dropped, one new.
    dropped = kommune.procedure_links.order_by("pk").first()
    dropped.active = False
    dropped.save()
    ProcedureLinkFactory(municipality=kommune, title="Neu in Runde zwei")
    services.submit_application(application=application, by=clerk)
    services.start_review(application=application, reviewer=reviewer)
    application.refresh_from_db()
    items = list(application.latest_submission().items.order_by("title"))
    now = timezone.now()
    for item, outcome in zip(items, OUTCOMES, strict=True):
        EvidenceItem.objects.filter(pk=item.pk).update(
            check_result=outcome, checked_at=now if outcome else None
        )
    verdicts = [Verdict.OK, Verdict.NOT_ONLINE, Verdict.BROKEN, ""]
    for item, verdict in zip(items[:4], verdicts, strict=True):
        SpotCheck.objects.create(item=item, verdict=verdict, reviewer=reviewer)
    # Since the second submission: one added, one removed, one renamed.
    ProcedureLinkFactory(municipality=kommune, title="Nach der Einreichung")
    gone, renamed = kommune.procedure_links.filter(active=True).order_by("pk")[:2]
    gone.active = False
    gone.save()
    renamed.title = "Umbenannt"
    renamed.save()
    return application


# The summary ---------------------------------------------------------------------------------


def test_summary_counts_every_outcome_verdict_and_difference(reviewer_client, desk):
    response = reviewer_client.get(page_url(desk))

    summary = response.context["summary"]
    live = desk.municipality.progress()
    assert (summary.live.count, summary.live.threshold) == (live.count, THRESHOLD)
    assert summary.submission.number == 2
    checks = summary.checks
    assert {value: count for value, _label, count in checks.outcomes} == dict.fromkeys(
        LinkCheckResult.values, 1
    )
    assert checks.unchecked == 1
    sample = summary.sample
    assert (sample.drawn, sample.judged, sample.open) == (4, 3, 1)
    assert sample.by_verdict == dict.fromkeys(Verdict.values, 1)
    comparison = summary.comparison
    assert (comparison.added, comparison.removed, comparison.changed) == (1, 1, 1)
    rounds = summary.rounds
    assert rounds.previous.number == 1
    assert (len(rounds.added), len(rounds.removed)) == (1, 1)
    assert rounds.removed[0][1] != "Neu in Runde zwei"

    html = response.content.decode()
    summary_html = html.split('id="uebersicht"', 1)[1].split("</section>", 1)[0]
    assert html.index('id="uebersicht"') < html.index('id="application_form"')  # above the fields
    submission = desk.latest_submission()
    assert f"{submission.procedure_count} von {THRESHOLD} nötig" in summary_html
    for value, label in LinkCheckResult.choices:
        assertInHTML(f'<a href="?pruefung={value}#nachweise">{label}: 1</a>', summary_html)
    assertInHTML('<a href="?pruefung=offen#nachweise">noch nicht geprüft: 1</a>', summary_html)
    assertInHTML('<a href="?bewertung=gezogen#nachweise">gezogen: 4</a>', summary_html)
    assertInHTML('<a href="?bewertung=offen#nachweise">offen: 1</a>', summary_html)
    for value, label in Verdict.choices:
        assertInHTML(f'<a href="?bewertung={value}#nachweise">{label}: 1</a>', summary_html)
    assertInHTML('<a href="?abweichung=1#nachweise">zusammen: 3</a>', summary_html)
    assertInHTML('<a href="?abweichung=neu#nachweise">neu: 1</a>', summary_html)
    assertInHTML('<a href="?abweichung=runde#nachweise">hinzugekommen: 1</a>', summary_html)
    assert "weggefallen: 1" in summary_html


def test_summary_says_what_is_missing_below_the_threshold(reviewer_client, desk):
    desk.municipality.procedure_links.update(active=False)

    html = reviewer_client.get(page_url(desk)).content.decode()

    assert f"0 von {THRESHOLD} nötig – es fehlen {THRESHOLD}" in html


# Filters -------------------------------------------------------------------------------------


def shown(response) -> list[str]:
    return sorted(row.title for row, _link in response.context["evidence_rows"])


def titles(items) -> list[str]:
    return sorted(item.title for item in items)


@pytest.mark.parametrize("outcome", [*LinkCheckResult.values, "offen"])
def test_filter_by_link_check_outcome(reviewer_client, desk, outcome):
    items = EvidenceItem.objects.filter(submission=desk.latest_submission())
    expected = (
        items.filter(checked_at__isnull=True)
        if outcome == "offen"
        else items.filter(check_result=outcome)
    )

    response = reviewer_client.get(page_url(desk), {"pruefung": outcome})

    assert shown(response) == titles(expected)
    assert len(expected) == 1
    total = response.context["comparison"].total
    assert f"1 von {total} Nachweisen (gefiltert)" in response.content.decode()


@pytest.mark.parametrize(
    ("verdict", "count"),
    [("gezogen", 4), ("offen", 1), (Verdict.OK, 1), (Verdict.NOT_ONLINE, 1), (Verdict.BROKEN, 1)],
)
def test_filter_by_verdict(reviewer_client, desk, verdict, count):
    checks = SpotCheck.objects.filter(item__submission=desk.latest_submission())
    if verdict == "offen":
        checks = checks.filter(verdict="")
    elif verdict != "gezogen":
        checks = checks.filter(verdict=verdict)

    response = reviewer_client.get(page_url(desk), {"bewertung": verdict})

    assert shown(response) == titles(check.item for check in checks)
    assert len(checks) == count


@pytest.mark.parametrize(
    ("change", "expected"),
    [("1", ["added", "changed", "removed"]), ("neu", ["added"]), ("entfernt", ["removed"])],
)
def test_filter_by_difference(reviewer_client, desk, change, expected):
    response = reviewer_client.get(page_url(desk), {"abweichung": change})

    assert sorted(row.change for row, _link in response.context["evidence_rows"]) == expected
    comparison = response.context["comparison"]
    assert (comparison.added, comparison.removed, comparison.changed) == (1, 1, 1)  # of all


def test_filter_by_what_is_new_against_the_previous_round(reviewer_client, desk):
    response = reviewer_client.get(page_url(desk), {"abweichung": "runde"})

    assert shown(response) == ["Neu in Runde zwei"]


def test_filters_combine(reviewer_client, desk):
    drawn_ok = SpotCheck.objects.get(verdict=Verdict.OK).item

    combined = reviewer_client.get(
        page_url(desk), {"bewertung": "gezogen", "pruefung": drawn_ok.check_result or "offen"}
    )
    nothing = reviewer_client.get(page_url(desk), {"bewertung": "offen", "abweichung": "neu"})

    assert shown(combined) == [drawn_ok.title]
    assert shown(nothing) == []
    assert "Kein Nachweis passt zu den Filtern." in nothing.content.decode()


def test_filters_apply_before_the_pages_and_the_page_links_keep_them(
    admin_client, admin_user, settings
):
    settings.REVIEW_EVIDENCE_PAGE_SIZE = 5
    application, _queries = submit(kommune_with(30), admin_user)
    items = EvidenceItem.objects.filter(submission__application=application).order_by("title")
    EvidenceItem.objects.filter(pk__in=[item.pk for item in items[:12]]).update(
        check_result=LinkCheckResult.NOT_FOUND, checked_at=timezone.now()
    )

    first = admin_client.get(page_url(application), {"pruefung": "not_found"})
    last = admin_client.get(page_url(application), {"pruefung": "not_found", "seite": "3"})

    assert first.context["comparison"].page.paginator.count == 12
    assert first.context["comparison"].page.paginator.num_pages == 3
    html = first.content.decode()
    assert "12 von 30 Nachweisen (gefiltert)" in html
    assert '<a href="?pruefung=not_found&amp;seite=2#nachweise" rel="next">' in html
    assert shown(last) == [item.title for item in items[10:12]]
    assert '<a href="?pruefung=not_found&amp;seite=2#nachweise" rel="prev">' in (
        last.content.decode()
    )


@pytest.mark.parametrize(
    "query",
    [
        {"pruefung": "kaputt"},
        {"bewertung": "ja"},
        {"abweichung": "runde" * 100},
        {"pruefung": "ok", "bewertung": "vielleicht", "seite": "-1"},
    ],
)
def test_an_unknown_filter_value_is_ignored_with_a_message(reviewer_client, desk, query):
    response = reviewer_client.get(page_url(desk), query)

    assert response.status_code == 200
    html = response.content.decode()
    assert "gibt es für den Filter" in html
    assert "dieser Filter gilt nicht." in html
    valid = {key: value for key, value in query.items() if value == "ok"}
    rows = response.context["comparison"].page.paginator.count
    expected = 1 if valid else response.context["comparison"].total
    assert rows == expected


def test_the_previous_round_filter_is_unknown_in_the_first_round(reviewer_client, kommune, clerk):
    application = apply(kommune, by=clerk)

    response = reviewer_client.get(page_url(application), {"abweichung": "runde"})

    assert response.status_code == 200
    assert "dieser Filter gilt nicht." in response.content.decode()
    assert len(response.context["evidence_rows"]) == THRESHOLD


# The sample in one form ----------------------------------------------------------------------


@pytest.fixture
def sample(reviewer_client, reviewer, kommune, clerk):
    application = apply(kommune, by=clerk, links=6)
    services.start_review(application=application, reviewer=reviewer)
    draw(reviewer_client, application, 3, follow=True)
    return application, list(SpotCheck.objects.order_by("pk"))


def test_one_post_saves_the_verdicts_of_every_drawn_link(reviewer_client, reviewer, sample):
    application, (first, second, third) = sample

    response = judge(
        reviewer_client,
        application,
        {first: Verdict.OK, second: (Verdict.BROKEN, "404"), third: (Verdict.NOT_ONLINE, "PDF")},
    )

    assert response.status_code == 302
    assert response.url == f"{page_url(application)}#stichprobe"
    assert flash(response) == ["3 Bewertungen gespeichert."]
    stored = SpotCheck.objects.order_by("pk").values_list("verdict", "note", "reviewer")
    assert list(stored) == [
        (Verdict.OK, "", reviewer.pk),
        (Verdict.BROKEN, "404", reviewer.pk),
        (Verdict.NOT_ONLINE, "PDF", reviewer.pk),
    ]


def test_the_page_has_one_form_with_radios_and_no_preselection(reviewer_client, sample):
    application, checks = sample

    html = reviewer_client.get(page_url(application)).content.decode()

    sample_html = html.split('id="stichprobe"', 1)[1].split("</section>", 1)[0]
    assert sample_html.count("<form") == 2  # the draw and the verdicts
    assert sample_html.count("Bewertungen speichern") == 1
    assert "<select" not in sample_html
    for check in checks:
        for value in Verdict.values:
            assert f'name="check-{check.pk}-verdict" value="{value}"' in sample_html
    assert "checked" not in sample_html


def test_the_post_keeps_the_page_query_and_saves_only_what_changed(
    reviewer_client, reviewer, admin_user, sample
):
    application, (first, second, third) = sample
    SpotCheck.objects.filter(pk=second.pk).update(verdict=Verdict.OK, reviewer=admin_user)
    second.refresh_from_db()
    url = action_url(application, "verdicts") + "?pruefung=offen&seite=1"
    data = {"stichprobe": [str(check.pk) for check in (first, second, third)]}
    for check in (first, second, third):
        data.update(
            {
                f"check-{check.pk}-verdict": check.verdict,
                f"check-{check.pk}-note": "",
                f"check-{check.pk}-seen_verdict": check.verdict,
                f"check-{check.pk}-seen_note": "",
            }
        )
    data[f"check-{first.pk}-verdict"] = Verdict.BROKEN

    response = reviewer_client.post(url, data)

    assert response.url == f"{page_url(application)}?pruefung=offen&seite=1#stichprobe"
    assert flash(response) == ["1 Bewertung gespeichert."]
    second.refresh_from_db()
    assert second.reviewer == admin_user  # untouched: not changed in this form


def test_a_page_opened_before_a_colleague_judged_does_not_undo_the_verdict(
    reviewer_client, admin_user, sample
):
    application, (first, *_rest) = sample
    # A colleague judges the link after this reviewer opened the page (which showed it open).
    SpotCheck.objects.filter(pk=first.pk).update(
        verdict=Verdict.OK, note="Geprüft.", reviewer=admin_user
    )

    response = judge(reviewer_client, application, {first: ""}, seen={first: ("", "")})

    assert flash(response) == ["Nichts geändert: keine Bewertung gespeichert."]
    first.refresh_from_db()
    assert (first.verdict, first.note, first.reviewer) == (Verdict.OK, "Geprüft.", admin_user)


def test_errors_save_nothing_and_keep_everything_typed(reviewer_client, sample):
    application, (first, second, third) = sample
    SpotCheck.objects.filter(pk=third.pk).update(verdict=Verdict.OK)
    third.refresh_from_db()
    long_note = "x" * 2_001

    response = judge(
        reviewer_client,
        application,
        {first: (Verdict.BROKEN, "Fehlerseite"), second: (Verdict.OK, long_note), third: ""},
    )

    assert response.status_code == 200  # the page again, not a redirect
    assert list(SpotCheck.objects.order_by("pk").values_list("verdict", "note")) == [
        ("", ""),
        ("", ""),
        (Verdict.OK, ""),
    ]
    html = response.content.decode()
    errors = html.split('class="review-errors"', 1)[1].split("</div>", 1)[0]
    assertInHTML(
        f'<a href="#id_check-{second.pk}-note"><bdi>{second.item.title}</bdi> – Notiz: '
        "Die Notiz darf höchstens 2000 Zeichen lang sein (jetzt: 2001). Kürzen Sie sie.</a>",
        errors,
    )
    assertInHTML(
        f'<a href="#id_check-{third.pk}-verdict_0"><bdi>{third.item.title}</bdi> – Bewertung: '
        "Eine Bewertung lässt sich ändern, aber nicht zurücknehmen: wählen Sie eine der drei.</a>",
        errors,
    )
    assert f'id="id_check-{second.pk}-note"' in html
    assert f'id="id_check-{third.pk}-verdict_0"' in html
    # What was typed is still there: the verdict, the note, the long note.
    assertInHTML(
        f'<input type="radio" name="check-{first.pk}-verdict" value="{Verdict.BROKEN}" '
        f'id="id_check-{first.pk}-verdict_2" class="kern-form-check__radio" checked>',
        html,
    )
    assert "Fehlerseite</textarea>" in html
    assert f"{long_note}</textarea>" in html
    # Its links lead back to the page itself.
    assert reviewer_client.get(action_url(application, "verdicts")).url == page_url(application)


def test_a_foreign_check_in_the_post_refuses_the_whole_form(reviewer_client, admin_user, sample):
    application, (first, *_rest) = sample
    other = apply(MunicipalityFactory(), by=admin_user)
    services.start_review(application=other, reviewer=admin_user)
    foreign = SpotCheck.objects.create(item=other.latest_submission().items.first())

    response = judge(reviewer_client, application, {first: Verdict.OK, foreign: Verdict.OK})

    assert response.status_code == 400
    assert set(SpotCheck.objects.values_list("verdict", flat=True)) == {""}


@pytest.mark.parametrize("posted", [[], ["zwei"], ["١"]])
def test_a_sample_form_without_its_checks_is_refused(reviewer_client, sample, posted):
    application, _checks = sample

    response = reviewer_client.post(action_url(application, "verdicts"), {"stichprobe": posted})

    assert response.status_code == 400


def test_a_large_sample_is_judged_in_one_post(reviewer_client, reviewer, kommune, clerk):
    application = apply(kommune, by=clerk, links=250)
    services.start_review(application=application, reviewer=reviewer)
    draw(reviewer_client, application, 250, follow=True)
    checks = list(SpotCheck.objects.all())

    response = judge(reviewer_client, application, dict.fromkeys(checks, Verdict.OK))

    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS > 5 * settings.PROCEDURE_LINKS_PER_KOMMUNE
    assert flash(response) == ["250 Bewertungen gespeichert."]
    assert SpotCheck.objects.filter(verdict=Verdict.OK).count() == 250


# The size of the sample ----------------------------------------------------------------------


def test_the_last_sample_size_is_offered_next_time_up_to_what_is_left(
    reviewer_client, reviewer, kommune, clerk
):
    application = apply(kommune, by=clerk, links=30)
    services.start_review(application=application, reviewer=reviewer)
    other = apply(MunicipalityFactory(), by=clerk, links=30)
    services.start_review(application=other, reviewer=reviewer)

    draw(reviewer_client, application, 25, follow=True)
    here = reviewer_client.get(page_url(application)).context["draw_form"]
    there = reviewer_client.get(page_url(other)).context["draw_form"]

    assert (here["count"].value(), here.fields["count"].max_value) == (5, 5)
    assert (there["count"].value(), there.fields["count"].max_value) == (25, 30)


# What the page costs -------------------------------------------------------------------------


@pytest.mark.parametrize("query", [{}, {"pruefung": "offen", "bewertung": "gezogen"}])
def test_the_page_costs_the_same_at_50_and_at_2000_evidence_items(admin_client, admin_user, query):
    def page(links: int) -> int:
        application, _queries = submit(kommune_with(links), admin_user)
        items = application.latest_submission().items.order_by("pk")
        SpotCheck.objects.bulk_create(SpotCheck(item=item) for item in items[:5])
        change_live_links(application)
        url = page_url(application)
        admin_client.get(url, query)  # fills the content type cache, as on a running server
        with count_queries() as queries:
            response = admin_client.get(url, query)
        assert response.status_code == 200
        assert response.context["comparison"].total == links + 1
        return len(queries.own)

    assert page(50) == page(2_000)


def test_the_second_round_costs_the_same_at_50_and_at_2000(admin_client, admin_user, reviewer):
    def page(links: int) -> int:
        kommune = kommune_with(links)
        application, _queries = submit(kommune, admin_user)
        services.start_review(application=application, reviewer=reviewer)
        services.request_changes(application=application, reviewer=reviewer, message="x")
        change_live_links(application)
        services.submit_application(application=application, by=admin_user)
        url = page_url(application)
        admin_client.get(url)
        with count_queries() as queries:
            response = admin_client.get(url, {"abweichung": "runde"})
        assert len(response.context["evidence_rows"]) == 1
        return len(queries.own)

    assert page(50) == page(2_000)


def test_draw_and_verdict_routes_exist_and_the_old_one_is_gone(sample):
    application, (check, *_rest) = sample

    assert reverse("admin:awards_application_verdicts", args=[application.pk])
    with pytest.raises(Exception, match="Reverse"):
        reverse("admin:awards_application_verdict", args=[application.pk, check.pk])
