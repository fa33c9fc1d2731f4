"""The ministry's review in the admin: queue, application page, decisions, spot checks, revoking."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from awards import services
from awards.constants import Status, Verdict
from awards.models import Application, Award, EvidenceItem, SpotCheck
from municipalities.constants import Kind
from municipalities.models import Threshold
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import assert_csp_clean, listed

THRESHOLD = 5
QUEUE = reverse("admin:awards_application_changelist")

pytestmark = pytest.mark.usefixtures("no_link_check")

# No link check runs here and nothing is drawn, so an approval needs a justification.
WHY = "Links von Hand geprüft."


def page_url(application: Application) -> str:
    return reverse("admin:awards_application_change", args=[application.pk])


def action_url(application: Application, name: str) -> str:
    return reverse(f"admin:awards_application_{name}", args=[application.pk])


def revoke_url(award: Award) -> str:
    return reverse("admin:awards_award_revoke", args=[award.pk])


def flash(response) -> list[str]:
    """The messages waiting for the next page; earlier steps follow their redirect to clear them."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def set_threshold(kind: str, minimum: int = THRESHOLD) -> None:
    Threshold.objects.update_or_create(kind=kind, defaults={"minimum": minimum})


@pytest.fixture(autouse=True)
def small_threshold(db):
    set_threshold(Kind.GEMEINDE)  # the factory's Kommunen
    set_threshold(Kind.MARKT)  # the persona `kommune`


def apply(kommune, *, by, links: int = THRESHOLD, status: str = Status.SUBMITTED):
    """Create and submit an application through the services, then move it on to `status`."""
    ProcedureLinkFactory.create_batch(links, municipality=kommune)
    application = services.create_application(municipality=kommune, by=by)
    if status == Status.DRAFT:
        return application
    services.submit_application(application=application, by=by)
    if status in (Status.IN_REVIEW, Status.APPROVED):
        services.start_review(application=application, reviewer=by)
    if status == Status.APPROVED:
        services.approve_application(application=application, reviewer=by, justification=WHY)
    application.refresh_from_db()
    return application


@pytest.fixture
def submitted(kommune, clerk):
    return apply(kommune, by=clerk)


@pytest.fixture
def in_review(submitted, reviewer):
    services.start_review(application=submitted, reviewer=reviewer)
    submitted.refresh_from_db()
    return submitted


# The queue ---------------------------------------------------------------------------------


def submitted_on(application: Application, day: int) -> Application:
    moment = timezone.make_aware(datetime.datetime(2025, 3, day, 9, 0))
    Application.objects.filter(pk=application.pk).update(submitted_at=moment)
    return application


def test_queue_lists_awaiting_applications_first_oldest_submission_first(admin_client, admin_user):
    draft = apply(MunicipalityFactory(), by=admin_user, status=Status.DRAFT)
    approved = submitted_on(apply(MunicipalityFactory(), by=admin_user, status=Status.APPROVED), 1)
    late = submitted_on(apply(MunicipalityFactory(), by=admin_user), 20)
    early = submitted_on(apply(MunicipalityFactory(), by=admin_user), 5)
    reviewing = submitted_on(
        apply(MunicipalityFactory(), by=admin_user, status=Status.IN_REVIEW), 10
    )

    # "Alle": without a status the queue shows only what waits (tests/awards/test_queue.py).
    response = admin_client.get(QUEUE, {"status": "alle"})

    assert listed(response) == [early, reviewing, late, approved, draft]


def test_queue_filters_by_status(admin_client, admin_user):
    submitted = apply(MunicipalityFactory(), by=admin_user)
    reviewing = apply(MunicipalityFactory(), by=admin_user, status=Status.IN_REVIEW)
    apply(MunicipalityFactory(), by=admin_user, status=Status.DRAFT)

    assert listed(admin_client.get(QUEUE, {"status": "in_review"})) == [reviewing]
    assert set(listed(admin_client.get(QUEUE, {"status": "zu_pruefen"}))) == {
        submitted,
        reviewing,
    }


def test_queue_filters_by_regierungsbezirk_offering_only_the_bezirke(admin_client, admin_user):
    oberbayern = MunicipalityFactory(ars="091000000000", name="Oberbayern", kind=Kind.BEZIRK)
    schwaben = MunicipalityFactory(ars="097000000000", name="Schwaben", kind=Kind.BEZIRK)
    set_threshold(Kind.BEZIRK)
    in_oberbayern = apply(MunicipalityFactory(regierungsbezirk=oberbayern), by=admin_user)
    bezirk_itself = apply(oberbayern, by=admin_user)
    apply(MunicipalityFactory(regierungsbezirk=schwaben), by=admin_user)

    response = admin_client.get(QUEUE, {"regierungsbezirk": str(oberbayern.pk)})

    assert set(listed(response)) == {in_oberbayern, bezirk_itself}
    bezirke = {spec.title: spec for spec in response.context["cl"].filter_specs}["Regierungsbezirk"]
    assert bezirke.lookup_choices == [
        (str(oberbayern.pk), "Oberbayern"),
        (str(schwaben.pk), "Schwaben"),
    ]


def test_queue_filters_by_kind(admin_client, admin_user):
    set_threshold(Kind.MARKT)
    markt = apply(MunicipalityFactory(kind=Kind.MARKT), by=admin_user)
    apply(MunicipalityFactory(kind=Kind.GEMEINDE), by=admin_user)

    assert listed(admin_client.get(QUEUE, {"municipality__kind": Kind.MARKT})) == [markt]


def test_queue_search_finds_by_name_and_ars_prefix(admin_client, admin_user):
    hoesbach = apply(MunicipalityFactory(name="Hösbach", ars="096710000000"), by=admin_user)
    apply(MunicipalityFactory(name="Iphofen", ars="096750000000"), by=admin_user)

    assert listed(admin_client.get(QUEUE, {"q": "Hösb"})) == [hoesbach]
    assert listed(admin_client.get(QUEUE, {"q": "09671"})) == [hoesbach]


def test_queue_shows_status_and_count_against_threshold_of_latest_submission(
    admin_client, submitted
):
    response = admin_client.get(QUEUE)

    html = response.content.decode()
    assertInHTML(f'<td class="field-evidence">{THRESHOLD} / {THRESHOLD}</td>', html)
    submitted_on = timezone.localtime(submitted.submitted_at)
    assert f'<td class="field-submitted_on">{submitted_on:%-d}. ' in html
    assertInHTML('<td class="field-status_label">eingereicht</td>', html)
    assert submitted.municipality.title in html


def test_queue_needs_a_fixed_number_of_queries(admin_client, admin_user):
    def queries_for_queue() -> int:
        admin_client.get(QUEUE)  # fills the content type cache, as on a running server
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(QUEUE).status_code == 200
        return len(queries)

    bezirk = MunicipalityFactory(kind=Kind.BEZIRK, ars="091000000000", name="Oberbayern")
    for _ in range(5):
        apply(MunicipalityFactory(regierungsbezirk=bezirk), by=admin_user, links=THRESHOLD)
    few = queries_for_queue()
    for _ in range(25):
        apply(MunicipalityFactory(regierungsbezirk=bezirk), by=admin_user, links=THRESHOLD)
    many = queries_for_queue()

    assert Application.objects.count() == 30
    assert many == few


# The application page ----------------------------------------------------------------------


def test_application_page_marks_links_added_removed_and_changed_since_submission(
    admin_client, submitted
):
    kommune = submitted.municipality
    added = ProcedureLinkFactory(municipality=kommune, title="Hundesteuer anmelden")
    removed, renamed = kommune.procedure_links.order_by("pk")[:2]
    removed.active = False
    removed.save()
    frozen_title = renamed.title
    renamed.title = "Gewerbe anmelden (neu)"
    renamed.save()

    response = admin_client.get(page_url(submitted))

    rows = {row.url: row for row, _link in response.context["evidence_rows"]}
    assert rows[added.url].marker == "neu seit Einreichung"
    assert (rows[added.url].item, rows[added.url].link) == (None, added)
    assert rows[removed.url].marker == "entfernt seit Einreichung"
    assert rows[removed.url].link is None
    assert rows[renamed.url].marker == "geändert"
    assert (rows[renamed.url].title, rows[renamed.url].live_title) == (
        frozen_title,
        "Gewerbe anmelden (neu)",
    )
    unchanged = [row for row in rows.values() if not row.change]
    assert len(unchanged) == THRESHOLD - 2
    html = response.content.decode()
    assert 'class="review-diff review-diff-added"' in html
    assert "neu seit Einreichung" in html
    assert "entfernt seit Einreichung" in html
    comparison = response.context["comparison"]
    assert (comparison.added, comparison.removed, comparison.changed) == (1, 1, 1)
    assert comparison.live_count == THRESHOLD


def test_application_page_shows_count_threshold_and_safe_links(admin_client, submitted):
    item = EvidenceItem.objects.filter(submission__application=submitted).first()
    EvidenceItem.objects.filter(pk=item.pk).update(
        check_result="broken", check_status=404, check_detail="Not Found"
    )

    response = admin_client.get(page_url(submitted))

    html = response.content.decode()
    assert f"{THRESHOLD} Online-Verfahren gezählt, Schwellenwert {THRESHOLD}" in html
    assertInHTML(
        f'<a href="{item.url}" target="_blank" rel="noopener noreferrer">{item.url}</a>', html
    )
    assert "nicht erreichbar (HTTP 404)" in html
    assert "Not Found" in html


def test_application_page_with_sample_and_differences_is_csp_clean(reviewer_client, in_review):
    ProcedureLinkFactory(municipality=in_review.municipality)
    draw(reviewer_client, in_review, 2, follow=True)

    response = reviewer_client.get(page_url(in_review))

    assert response.status_code == 200
    assert "neu seit Einreichung" in response.content.decode()
    assert_csp_clean(response)


def test_application_page_lists_history_and_earlier_submissions(
    admin_client, in_review, reviewer, clerk
):
    services.request_changes(application=in_review, reviewer=reviewer, message="Bitte ergänzen.")
    services.submit_application(application=in_review, by=clerk, comment="Ergänzt.")

    response = admin_client.get(page_url(in_review))

    events = list(response.context["events"])
    assert [(event.from_status, event.to_status) for event in events] == [
        ("", Status.DRAFT),
        (Status.DRAFT, Status.SUBMITTED),
        (Status.SUBMITTED, Status.IN_REVIEW),
        (Status.IN_REVIEW, Status.CHANGES_REQUESTED),
        (Status.CHANGES_REQUESTED, Status.SUBMITTED),
    ]
    html = response.content.decode()
    assert "Bitte ergänzen." in html
    assert "Nachbesserung erbeten" in html
    assert [s.number for s in response.context["earlier_submissions"]] == [1]
    assert response.context["latest_submission"].number == 2


def test_application_page_needs_a_fixed_number_of_queries(admin_client, admin_user):
    def application_with(links: int) -> Application:
        application = apply(MunicipalityFactory(), by=admin_user, links=links)
        items = application.latest_submission().items.order_by("pk")
        SpotCheck.objects.bulk_create(SpotCheck(item=item) for item in items[:3])
        ProcedureLinkFactory(municipality=application.municipality)
        return application

    def queries_for_page(application: Application) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(page_url(application))
        rows = application.submissions.get().items.count() + 1
        assert response.context["comparison"].page.paginator.count == rows
        # One page of them is shown (REVIEW_EVIDENCE_PAGE_SIZE rows, 100).
        assert len(response.context["evidence_rows"]) == min(rows, 100)
        return len(queries)

    few, many = application_with(10), application_with(100)
    admin_client.get(page_url(few))  # fills the content type cache, as on a running server

    assert queries_for_page(few) == queries_for_page(many)


def test_status_cannot_be_changed_through_the_change_form(admin_client, submitted):
    response = admin_client.post(page_url(submitted), {"status": Status.APPROVED})

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not Award.objects.exists()


def test_applications_cannot_be_added_or_deleted(admin_client, submitted):
    add = admin_client.get(reverse("admin:awards_application_add"))
    delete = admin_client.post(reverse("admin:awards_application_delete", args=[submitted.pk]))

    assert (add.status_code, delete.status_code) == (403, 403)
    assert Application.objects.filter(pk=submitted.pk).exists()


# Decisions ---------------------------------------------------------------------------------


def test_start_review_makes_the_reviewer_responsible(reviewer_client, reviewer, submitted):
    response = reviewer_client.post(action_url(submitted, "start_review"))

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.reviewer) == (Status.IN_REVIEW, reviewer)
    event = submitted.events.last()
    assert (event.actor, event.from_status, event.to_status) == (
        reviewer,
        Status.SUBMITTED,
        Status.IN_REVIEW,
    )


def test_approval_issues_the_award_and_tells_the_kommune(
    reviewer_client, in_review, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            action_url(in_review, "approve"), {"justification": WHY}, follow=True
        )

    award = Award.objects.get()
    assert award.approval_justification == WHY
    assert award.application == in_review
    assert f"Nummer der Auszeichnung: {award.number}" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == Status.APPROVED
    assert in_review.events.last().to_status == Status.APPROVED
    assert [mail.to for mail in mailoutbox] == [[clerk.email]]
    assert award.number in mailoutbox[0].subject


def test_second_approval_is_refused_and_issues_no_second_award(reviewer_client, in_review):
    reviewer_client.post(action_url(in_review, "approve"), {"justification": WHY}, follow=True)

    response = reviewer_client.post(action_url(in_review, "approve"), {"justification": WHY})

    assert response.status_code == 302
    assert flash(response) == [
        "Nur ein Antrag in Prüfung kann bewilligt werden (jetzt: „bewilligt“)."
    ]
    assert Award.objects.count() == 1
    assert in_review.events.filter(to_status=Status.APPROVED).count() == 1


def test_request_changes_sends_the_message_to_the_kommune(
    reviewer_client, in_review, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        preview = reviewer_client.post(
            action_url(in_review, "request_changes"), {"message": "Drei Links sind Infoseiten."}
        )
        assert (preview.status_code, mailoutbox) == (200, [])
        reviewer_client.post(
            action_url(in_review, "request_changes"),
            {"message": "Drei Links sind Infoseiten.", "senden": "1"},
        )

    in_review.refresh_from_db()
    assert in_review.status == Status.CHANGES_REQUESTED
    assert in_review.events.last().comment == "Drei Links sind Infoseiten."
    assert [mail.to for mail in mailoutbox] == [[clerk.email]]
    assert "Drei Links sind Infoseiten." in mailoutbox[0].body


def test_request_changes_without_message_is_refused(
    reviewer_client, in_review, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(action_url(in_review, "request_changes"), {"message": "  "})

    assert flash(response) == ["Bitte schreiben Sie, was die Kommune nachbessern soll."]
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW
    assert mailoutbox == []


def test_rejection_records_the_reason_and_tells_the_kommune(
    reviewer_client, reviewer, in_review, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        preview = reviewer_client.post(
            action_url(in_review, "reject"), {"reason": "Nur Infoseiten."}
        )
        assert (preview.status_code, mailoutbox) == (200, [])
        reviewer_client.post(
            action_url(in_review, "reject"), {"reason": "Nur Infoseiten.", "senden": "1"}
        )

    in_review.refresh_from_db()
    assert in_review.status == Status.REJECTED
    event = in_review.events.last()
    assert (event.actor, event.comment) == (reviewer, "Nur Infoseiten.")
    assert [mail.to for mail in mailoutbox] == [[clerk.email]]


def test_rejection_without_reason_is_refused(reviewer_client, in_review):
    response = reviewer_client.post(action_url(in_review, "reject"), {"reason": ""})

    assert flash(response) == ["Bitte geben Sie den Grund der Ablehnung an."]
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW
    assert not in_review.events.filter(to_status=Status.REJECTED).exists()


def test_a_draft_cannot_be_decided(reviewer_client, kommune, clerk):
    draft = apply(kommune, by=clerk, status=Status.DRAFT)

    response = reviewer_client.post(action_url(draft, "start_review"))

    assert flash(response) == [
        "Die Prüfung kann nur bei einem eingereichten Antrag beginnen (jetzt: „Entwurf“)."
    ]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


# Approving answers GET too: its confirmation page (tests/awards/test_decision.py).
@pytest.mark.parametrize("name", ["start_review", "request_changes", "reject", "add_note"])
def test_decisions_only_answer_post(reviewer_client, submitted, name):
    response = reviewer_client.get(action_url(submitted, name))

    assert response.status_code == 405
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_page_offers_the_decisions_that_fit_the_status(reviewer_client, submitted, in_review):
    html = reviewer_client.get(page_url(in_review)).content.decode()

    assert "Prüfung beginnen" not in html
    assert f'action="{action_url(in_review, "approve")}"' in html
    assert f'action="{action_url(in_review, "request_changes")}"' in html
    assert 'name="message"' in html
    assert 'name="reason"' in html
    assert 'name="csrfmiddlewaretoken"' in html


# Who may see and do what -------------------------------------------------------------------


def visit_review(client: Client, application: Application) -> dict:
    """Open the queue and the page, and post every action; return each response by URL."""
    pages = [QUEUE, page_url(application), action_url(application, "approve")]
    actions = [
        action_url(application, name)
        for name in (
            "start_review",
            "approve",
            "request_changes",
            "reject",
            "draw_sample",
            "add_note",
        )
    ]
    return {
        **{url: client.get(url) for url in pages},
        **{
            url: client.post(
                url,
                {"message": "x", "reason": "x", "count": 1, "justification": "x", "text": "x"},
            )
            for url in actions
        },
    }


def test_anonymous_users_are_sent_to_the_login(client, submitted):
    responses = visit_review(client, submitted)

    for url, response in responses.items():
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_clerks_cannot_open_the_review(clerk_client, submitted):
    responses = visit_review(clerk_client, submitted)

    for url, response in responses.items():
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not SpotCheck.objects.exists()


def test_staff_without_permissions_gets_403(client, django_user_model, submitted):
    client.force_login(
        django_user_model.objects.create_user(username="andere", password="x" * 12, is_staff=True)
    )

    responses = visit_review(client, submitted)

    statuses = {url: response.status_code for url, response in responses.items()}
    assert statuses == dict.fromkeys(responses, 403)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_reader_without_change_permission_sees_but_cannot_decide(
    client, django_user_model, submitted
):
    reader = django_user_model.objects.create_user(
        username="lesen", password="x" * 12, is_staff=True
    )
    reader.user_permissions.add(Permission.objects.get(codename="view_application"))
    client.force_login(reader)

    page = client.get(page_url(submitted))
    approve = client.post(action_url(submitted, "approve"))

    assert page.status_code == 200
    assert "Sie dürfen diesen Antrag ansehen, aber nicht entscheiden." in page.content.decode()
    assert approve.status_code == 403
    assert not Award.objects.exists()


# Spot checks -------------------------------------------------------------------------------


def draw(client: Client, application: Application, count: object, *, follow: bool = False):
    return client.post(action_url(application, "draw_sample"), {"count": count}, follow=follow)


def test_drawing_a_sample_creates_spot_checks_of_the_latest_submission(
    reviewer_client, reviewer, in_review
):
    response = draw(reviewer_client, in_review, 3)

    checks = SpotCheck.objects.all()
    assert flash(response) == ["3 Links für die Stichprobe gezogen."]
    assert len(checks) == 3
    assert {check.reviewer for check in checks} == {reviewer}
    assert {check.item.submission for check in checks} == {in_review.latest_submission()}
    assert all(check.verdict == "" for check in checks)


def test_a_second_draw_takes_only_links_not_drawn_yet(reviewer_client, in_review):
    draw(reviewer_client, in_review, 3, follow=True)
    draw(reviewer_client, in_review, THRESHOLD - 3, follow=True)

    assert SpotCheck.objects.values("item").distinct().count() == THRESHOLD
    response = draw(reviewer_client, in_review, 1)
    assert flash(response) == ["Alle Nachweise dieser Einreichung sind schon gezogen."]


def test_sample_size_defaults_to_ten(reviewer_client, reviewer, kommune, clerk):
    application = apply(kommune, by=clerk, links=12)
    services.start_review(application=application, reviewer=reviewer)

    form = reviewer_client.get(page_url(application)).context["draw_form"]

    assert form["count"].value() == 10
    assert form.fields["count"].max_value == 12


@pytest.mark.parametrize("count", [0, THRESHOLD + 1, "viele"])
def test_a_draw_outside_one_to_the_number_of_links_is_refused(reviewer_client, in_review, count):
    response = draw(reviewer_client, in_review, count)

    assert len(flash(response)) == 1
    assert not SpotCheck.objects.exists()


def judge(client: Client, application: Application, verdicts: dict, *, seen: dict | None = None):
    """Post the sample's one form as the page sends it: every check in `verdicts`, each with
    its verdict and note (a pair, or a verdict alone) and what the page showed (`seen`).
    """
    data = {"stichprobe": []}
    for check, given in verdicts.items():
        verdict, note = given if isinstance(given, tuple) else (given, "")
        shown_verdict, shown_note = (seen or {}).get(check, (check.verdict, check.note))
        data["stichprobe"].append(str(check.pk))
        data.update(
            {
                f"check-{check.pk}-verdict": verdict,
                f"check-{check.pk}-note": note,
                f"check-{check.pk}-seen_verdict": shown_verdict,
                f"check-{check.pk}-seen_note": shown_note,
            }
        )
    return client.post(action_url(application, "verdicts"), data)


def test_sample_is_shown_with_links_opening_in_a_new_tab(reviewer_client, in_review):
    draw(reviewer_client, in_review, 2)

    response = reviewer_client.get(page_url(in_review))

    html = response.content.decode()
    assert html.count(f'action="{action_url(in_review, "verdicts")}#stichprobe-fehler"') == 1
    for check in SpotCheck.objects.select_related("item"):
        assert f'id="stichprobe-{check.pk}"' in html
        assert f'<a href="{check.item.url}" target="_blank" rel="noopener noreferrer">' in html
        assert f'<input type="hidden" name="stichprobe" value="{check.pk}">' in html


def test_verdict_is_saved_per_link(reviewer_client, reviewer, in_review):
    draw(reviewer_client, in_review, 2)
    check, other = SpotCheck.objects.order_by("pk")

    response = judge(
        reviewer_client,
        in_review,
        {check: (Verdict.NOT_ONLINE, "Nur ein PDF-Formular."), other: ""},
    )

    assert response.status_code == 302
    check.refresh_from_db()
    other.refresh_from_db()
    assert (check.verdict, check.note, check.reviewer) == (
        Verdict.NOT_ONLINE,
        "Nur ein PDF-Formular.",
        reviewer,
    )
    assert check.decided_at is not None
    assert other.verdict == ""
    page = reviewer_client.get(page_url(in_review)).content.decode()
    assert "kein Online-Verfahren" in page


def test_verdict_left_empty_keeps_the_link_open_with_its_note(reviewer_client, in_review):
    # Before the one form, an empty verdict was refused; now it means "not judged yet".
    draw(reviewer_client, in_review, 1, follow=True)
    check = SpotCheck.objects.get()

    response = judge(reviewer_client, in_review, {check: ("", "?")})

    assert response.status_code == 302
    assert flash(response) == ["1 Bewertung gespeichert."]
    check.refresh_from_db()
    assert (check.verdict, check.note, check.decided_at) == ("", "?", None)


def test_verdict_on_another_applications_link_is_refused(reviewer_client, admin_user, in_review):
    other = apply(MunicipalityFactory(), by=admin_user)
    draw(reviewer_client, other, 1)
    check = SpotCheck.objects.get()

    response = judge(reviewer_client, in_review, {check: Verdict.OK})

    assert response.status_code == 400
    check.refresh_from_db()
    assert check.verdict == ""


def test_verdicts_stay_with_a_decided_application_unchanged(reviewer_client, in_review):
    draw(reviewer_client, in_review, 1)
    check = SpotCheck.objects.get()
    judge(reviewer_client, in_review, {check: Verdict.OK})
    reviewer_client.post(action_url(in_review, "approve"), {"justification": WHY}, follow=True)
    check.refresh_from_db()

    response = judge(reviewer_client, in_review, {check: Verdict.BROKEN})

    assert flash(response) == [
        "Stichproben sind nur während der Prüfung möglich (jetzt: „bewilligt“)."
    ]
    check.refresh_from_db()
    assert check.verdict == Verdict.OK
    assert "in Ordnung" in reviewer_client.get(page_url(in_review)).content.decode()


# Revocation --------------------------------------------------------------------------------


@pytest.fixture
def award(kommune, clerk):
    return AwardFactory(municipality=kommune)


def test_revocation_records_reason_and_reviewer_and_tells_the_kommune(
    reviewer_client, reviewer, award, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(revoke_url(award), {"reason": "Nur noch 30 Verfahren."})

    assert flash(response) == [f"Die Auszeichnung {award.number} ist widerrufen."]
    award.refresh_from_db()
    assert award.revoked_at is not None
    assert (award.revoked_by, award.revocation_reason) == (reviewer, "Nur noch 30 Verfahren.")
    assert [mail.to for mail in mailoutbox] == [[clerk.email]]


def test_revocation_without_reason_is_refused(reviewer_client, award):
    response = reviewer_client.post(revoke_url(award), {"reason": " "})

    assert flash(response) == ["Bitte geben Sie den Grund des Widerrufs an."]
    award.refresh_from_db()
    assert award.revoked_at is None


def test_second_revocation_is_refused(reviewer_client, award):
    reviewer_client.post(revoke_url(award), {"reason": "Erster Grund"}, follow=True)

    response = reviewer_client.post(revoke_url(award), {"reason": "Zweiter Grund"})

    assert flash(response) == ["Diese Auszeichnung ist bereits widerrufen."]
    award.refresh_from_db()
    assert award.revocation_reason == "Erster Grund"


def test_award_page_offers_revocation_only_while_valid(reviewer_client, award):
    change = reverse("admin:awards_award_change", args=[award.pk])
    valid = reviewer_client.get(change).content.decode()
    reviewer_client.post(revoke_url(award), {"reason": "Grund"})
    revoked = reviewer_client.get(change).content.decode()

    assert f'action="{revoke_url(award)}"' in valid
    assert f'action="{revoke_url(award)}"' not in revoked
    assert "Grund" in revoked


def test_revocation_is_refused_without_change_permission(client, django_user_model, award):
    reader = django_user_model.objects.create_user(
        username="lesen", password="x" * 12, is_staff=True
    )
    reader.user_permissions.add(Permission.objects.get(codename="view_award"))
    client.force_login(reader)

    assert client.post(revoke_url(award), {"reason": "Grund"}).status_code == 403
    award.refresh_from_db()
    assert award.revoked_at is None


def test_clerks_cannot_revoke(clerk_client, award):
    response = clerk_client.post(revoke_url(award), {"reason": "Grund"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    award.refresh_from_db()
    assert award.revoked_at is None


# Holders at risk in the award list ---------------------------------------------------------


def test_award_list_shows_holders_below_threshold_as_at_risk(admin_client):
    safe = AwardFactory()
    ProcedureLinkFactory.create_batch(THRESHOLD, municipality=safe.municipality)
    at_risk = AwardFactory()
    ProcedureLinkFactory.create_batch(THRESHOLD - 1, municipality=at_risk.municipality)
    revoked = AwardFactory(revoked_at=timezone.now(), revocation_reason="Grund")
    changelist = reverse("admin:awards_award_changelist")

    risky = admin_client.get(changelist, {"at_risk": "1"})
    fine = admin_client.get(changelist, {"at_risk": "0"})

    assert listed(risky) == [at_risk]
    assert set(listed(fine)) == {safe}
    assert revoked not in listed(fine)
    html = admin_client.get(changelist).content.decode()
    assertInHTML(f'<td class="field-live_progress">{THRESHOLD - 1} von {THRESHOLD}</td>', html)
