"""The reviewer's decision: what speaks against an approval, the four-eyes rule, internal
notes, and the mail a clerk gets, previewed before it goes.

The finding: an application whose 59 links all failed the link check, with one spot check
"nicht erreichbar" and three unanswered, was approved with one click and no warning.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from awards import services
from awards.approval import approval_concerns
from awards.constants import Status, Verdict
from awards.models import Application, ApplicationNote, Award, EvidenceItem, SpotCheck
from awards.review import VerdictChange, draw_spot_checks, record_verdicts
from digitalesamt.accounts.roles import REVIEWER_GROUP
from digitalesamt.lib import linkcheck
from municipalities.constants import LinkCheckResult, PageKind, Scope
from municipalities.models import ProcedureLink, SourceRecord, SourceSync
from tests.conftest import logged_in, ministry_user
from tests.factories import ProcedureLinkFactory
from tests.helpers import assert_csp_clean, count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

WHY = "Die Links sind hinter einer Firewall; per Telefon mit der Kommune geprüft."


def page_url(application: Application) -> str:
    return reverse("admin:awards_application_change", args=[application.pk])


def action_url(application: Application, name: str) -> str:
    return reverse(f"admin:awards_application_{name}", args=[application.pk])


def main_text(response) -> str:
    """The admin page's content (below the header) with whitespace collapsed."""
    return " ".join(response.content.decode().split('id="content"', 1)[1].split())


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def items(application: Application):
    return EvidenceItem.objects.filter(submission__application=application)


def in_review(kommune, clerk, reviewer, links: int = 50) -> Application:
    """Submitted with `links` links and taken up by `reviewer`; the link check has not run."""
    ProcedureLinkFactory.create_batch(links, municipality=kommune)
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk)
    services.start_review(application=application, reviewer=reviewer)
    application.refresh_from_db()
    return application


def check_links(application: Application, result: str = LinkCheckResult.OK) -> None:
    """As if the link check had run and found every page an online form."""
    items(application).update(
        check_result=result, checked_at=timezone.now(), page_kind=PageKind.FORM
    )


def judge(application: Application, reviewer, *verdicts: str) -> list[SpotCheck]:
    """Draw one link per verdict and record it; "" leaves that one open."""
    checks = draw_spot_checks(application=application, count=len(verdicts), reviewer=reviewer)
    changes = [
        VerdictChange(spot_check_id=check.pk, verdict=verdict, note="")
        for check, verdict in zip(checks, verdicts, strict=True)
        if verdict
    ]
    if changes:
        record_verdicts(application=application, changes=changes, reviewer=reviewer)
    return checks


@pytest.fixture
def clean(kommune, clerk, reviewer) -> Application:
    """Nothing speaks against it: all links reachable forms, the sample judged in order."""
    application = in_review(kommune, clerk, reviewer)
    check_links(application)
    judge(application, reviewer, Verdict.OK, Verdict.OK)
    return application


@pytest.fixture
def finding(kommune, clerk, reviewer) -> Application:
    """The finding's application: 59 links, all unreachable; one spot check broken, three open."""
    application = in_review(kommune, clerk, reviewer, links=59)
    defective = list(linkcheck.DEFECTIVE)
    for n, pk in enumerate(items(application).values_list("pk", flat=True)):
        EvidenceItem.objects.filter(pk=pk).update(
            check_result=defective[n % len(defective)], checked_at=timezone.now()
        )
    judge(application, reviewer, Verdict.BROKEN, "", "", "")
    return application


@pytest.fixture
def second_reviewer(roles):
    return ministry_user("zweitpruefer", "zweitpruefer@stmd.example", REVIEWER_GROUP)


def codes(application: Application) -> list[str]:
    return [concern.code for concern in approval_concerns(application)]


# The finding ------------------------------------------------------------------------------


def test_the_findings_application_is_not_approved_with_one_click(
    reviewer_client, finding, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(action_url(finding, "approve"))

    assert response.status_code == 200
    page = main_text(response)
    assert "59 Links sind laut Linkprüfung nicht erreichbar." in page
    assert "3 Links der Stichprobe sind noch nicht bewertet." in page
    assert (
        "1 Link der Stichprobe ist als „kein Online-Verfahren“ oder „nicht erreichbar“ bewertet."
        in page
    )
    assert "Schreiben Sie eine Begründung: Oben steht, was gegen die Bewilligung spricht." in page
    finding.refresh_from_db()
    assert finding.status == Status.IN_REVIEW
    assert not Award.objects.exists()
    assert mailoutbox == []


def test_the_findings_application_is_refused_by_the_service_naming_every_concern(finding, reviewer):
    with pytest.raises(services.TransitionError) as refusal:
        services.approve_application(application=finding, reviewer=reviewer)

    assert str(refusal.value) == (
        "Bewilligen geht nur mit einer Begründung, denn dagegen spricht: "
        "59 Links sind laut Linkprüfung nicht erreichbar. "
        "3 Links der Stichprobe sind noch nicht bewertet. "
        "1 Link der Stichprobe ist als „kein Online-Verfahren“ oder „nicht erreichbar“ bewertet."
    )
    assert not Award.objects.exists()
    assert finding.events.filter(to_status=Status.APPROVED).count() == 0


# Each concern -----------------------------------------------------------------------------


def unfinished(application, reviewer):
    items(application).filter(pk=items(application).first().pk).update(
        check_result="", checked_at=None
    )


def refused(application, reviewer):
    items(application).filter(pk=items(application).first().pk).update(
        check_result=LinkCheckResult.REFUSED
    )


def broken(application, reviewer):
    items(application).filter(pk=items(application).first().pk).update(
        check_result=LinkCheckResult.TIMEOUT
    )


def information(application, reviewer):
    items(application).filter(pk=items(application).first().pk).update(
        page_kind=PageKind.INFORMATION
    )


def open_spot_check(application, reviewer):
    judge(application, reviewer, "")


def negative_spot_check(application, reviewer):
    judge(application, reviewer, Verdict.NOT_ONLINE)


def none_drawn(application, reviewer):
    SpotCheck.objects.filter(item__submission__application=application).delete()


def below_threshold(application, reviewer):
    # Deactivated since submission: also a difference from the frozen list.
    ProcedureLink.objects.filter(
        pk__in=application.municipality.procedure_links.values("pk")[:1]
    ).update(active=False)


def source_unconfirmed(application, reviewer, known: int = 49):
    """Synced with the federal source, which knows `known` of the 50 links."""
    municipality = application.municipality
    now = timezone.now()
    SourceSync.objects.create(municipality=municipality, synced_at=now, attempted_at=now)
    SourceRecord.objects.bulk_create(
        SourceRecord(
            municipality=municipality,
            ars=municipality.ars,
            leika_key="99000000000001",
            url=url,
            url_key=key,
            online=True,
            fetched_at=now,
        )
        for url, key in municipality.procedure_links.values_list("url", "url_key")[:known]
    )


def added_since(application, reviewer):
    ProcedureLinkFactory(municipality=application.municipality)


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (broken, "link_broken", "1 Link ist laut Linkprüfung nicht erreichbar."),
        (
            refused,
            "link_refused",
            "1 Link wurde nicht geprüft, weil seine Adresse nicht erlaubt ist.",
        ),
        (
            unfinished,
            "link_check_unfinished",
            "Die Linkprüfung ist nicht abgeschlossen: 1 Link ist noch nicht geprüft.",
        ),
        (
            information,
            "information_pages",
            "1 Link führt laut Linkprüfung auf eine Informationsseite, nicht auf ein "
            "Online-Verfahren.",
        ),
        (none_drawn, "spot_checks_none", "Es ist keine Stichprobe gezogen."),
        (open_spot_check, "spot_checks_open", "1 Link der Stichprobe ist noch nicht bewertet."),
        (
            negative_spot_check,
            "spot_checks_negative",
            "1 Link der Stichprobe ist als „kein Online-Verfahren“ oder „nicht erreichbar“ "
            "bewertet.",
        ),
        (
            below_threshold,
            "below_threshold",
            "Jetzt fehlt 1 Online-Verfahren: aktiv gezählt sind 49, nötig sind 50.",
        ),
        (
            source_unconfirmed,
            "source_unconfirmed",
            "In den Bundesdaten sind nur 49 der 50 eingereichten Links bestätigt; nötig sind 50.",
        ),
        (
            added_since,
            "differences",
            "Die Liste der Online-Verfahren weicht von der Einreichung ab: 1 neu, 0 entfernt, "
            "0 geändert.",
        ),
    ],
)
def test_each_concern_needs_a_justification_by_the_service_and_the_page(
    clean, reviewer, reviewer_client, make, code, message
):
    assert codes(clean) == []
    make(clean, reviewer)
    assert code in codes(clean)

    with pytest.raises(services.TransitionError, match="Bewilligen geht nur mit einer Begründung"):
        services.approve_application(application=clean, reviewer=reviewer, justification="  ")
    page = reviewer_client.get(action_url(clean, "approve"))
    posted = reviewer_client.post(action_url(clean, "approve"), {"justification": ""})

    assert message in main_text(page)
    assert "Begründung (nötig, weil etwas dagegen spricht)" in main_text(page)
    assert posted.status_code == 200
    assert message in main_text(posted)
    assert not Award.objects.exists()
    clean.refresh_from_db()
    assert clean.status == Status.IN_REVIEW


def test_a_justification_goes_into_the_history_and_the_awards_record(
    finding, reviewer, reviewer_client, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            action_url(finding, "approve"), {"justification": f"  {WHY}\n"}
        )

    award = Award.objects.get()
    assert response.status_code == 302
    assert flash(response) == [
        f"Der Antrag ist bewilligt. Nummer der Auszeichnung: {award.number}. "
        "Die Kommune wird per E-Mail benachrichtigt."
    ]
    assert award.approval_justification == WHY
    event = finding.events.get(to_status=Status.APPROVED)
    assert (event.actor, event.comment) == (reviewer, WHY)
    award_page = admin_client.get(reverse("admin:awards_award_change", args=[award.pk]))
    assert "Begründung der Bewilligung" in main_text(award_page)
    assert WHY in main_text(award_page)


def test_a_justification_longer_than_2000_characters_is_refused(finding, reviewer_client):
    response = reviewer_client.post(action_url(finding, "approve"), {"justification": "x" * 2001})

    assert response.status_code == 200
    assert "Die Begründung darf höchstens 2000 Zeichen lang sein (jetzt 2001)." in main_text(
        response
    )
    assert not Award.objects.exists()


def test_without_concerns_approval_needs_no_justification(
    clean, reviewer_client, mailoutbox, django_capture_on_commit_callbacks
):
    page = reviewer_client.get(action_url(clean, "approve"))
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(action_url(clean, "approve"), {"justification": ""})

    assert "Nichts spricht dagegen" in main_text(page)
    assert "Begründung (freiwillig)" in main_text(page)
    assert response.status_code == 302
    award = Award.objects.get()
    assert award.approval_justification == ""
    assert clean.events.get(to_status=Status.APPROVED).comment == ""
    assert len(mailoutbox) == 1


def test_the_service_approves_without_justification_when_nothing_speaks_against(clean, reviewer):
    award = services.approve_application(application=clean, reviewer=reviewer)

    assert award.application == clean


def test_a_double_post_refused_without_justification_stays_refused(finding, reviewer_client):
    first = reviewer_client.post(action_url(finding, "approve"), {"justification": ""})
    second = reviewer_client.post(action_url(finding, "approve"), {"justification": ""})

    assert (first.status_code, second.status_code) == (200, 200)
    assert not Award.objects.exists()


def test_a_double_post_with_justification_issues_one_award(finding, reviewer_client):
    first = reviewer_client.post(action_url(finding, "approve"), {"justification": WHY})
    reviewer_client.get(first.url)  # the first one's message shown
    second = reviewer_client.post(action_url(finding, "approve"), {"justification": WHY})

    assert (first.status_code, second.status_code) == (302, 302)
    assert flash(second) == [
        "Nur ein Antrag in Prüfung kann bewilligt werden (jetzt: „bewilligt“)."
    ]
    assert Award.objects.count() == 1
    assert finding.events.filter(to_status=Status.APPROVED).count() == 1


# The confirmation page --------------------------------------------------------------------


def test_approve_on_the_application_page_opens_the_confirmation(finding, reviewer_client):
    html = reviewer_client.get(page_url(finding)).content.decode()

    assert f'<form method="get" action="{action_url(finding, "approve")}"' in html


def test_the_confirmation_page_links_each_concern_to_its_section_and_changes_nothing(
    finding, reviewer_client
):
    response = reviewer_client.get(action_url(finding, "approve"))

    html = response.content.decode()
    assert response.status_code == 200
    assert_csp_clean(response)
    for anchor, message in [
        ("linkpruefung", "59 Links sind laut Linkprüfung nicht erreichbar."),
        ("stichprobe", "3 Links der Stichprobe sind noch nicht bewertet."),
    ]:
        assert f'<a href="{page_url(finding)}#{anchor}">{message}</a>' in html
    assert 'name="justification"' in html
    finding.refresh_from_db()
    assert finding.status == Status.IN_REVIEW


def test_the_confirmation_of_a_decided_application_sends_back_with_the_reason(
    clean, reviewer, reviewer_client
):
    services.approve_application(application=clean, reviewer=reviewer)

    response = reviewer_client.get(action_url(clean, "approve"))

    assert response.status_code == 302
    assert flash(response) == [
        "Nur ein Antrag in Prüfung kann bewilligt werden (jetzt: „bewilligt“)."
    ]


def kommune_with_links(count: int, kommune) -> None:
    ProcedureLink.objects.bulk_create(
        ProcedureLink(
            municipality=kommune,
            title=f"Verfahren {n:04d}",
            url=f"https://amt.example/{kommune.pk}/verfahren/{n}",
            scope=Scope.KOMMUNAL,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("links", [50, 2_000])
def test_the_confirmation_page_costs_a_fixed_number_of_queries(
    kommune, clerk, reviewer, reviewer_client, links
):
    kommune_with_links(links, kommune)
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk)
    services.start_review(application=application, reviewer=reviewer)
    judge(application, reviewer, Verdict.OK, "")
    reviewer_client.get(action_url(application, "approve"))  # the session, warmed

    with count_queries() as queries:
        response = reviewer_client.get(action_url(application, "approve"))

    assert response.status_code == 200
    assert f"{links} Links sind noch nicht geprüft." in main_text(response)
    # 17 of the page's own (two of them the federal source: its sync and its records), and
    # the second factor's device of the signed-in reviewer
    assert len(queries.own) == 18, queries.own


def test_the_source_is_no_concern_when_it_confirms_the_threshold_or_was_never_synced(
    clean, reviewer
):
    assert codes(clean) == []  # never synced: the source says nothing yet
    source_unconfirmed(clean, reviewer, known=50)

    assert codes(clean) == []


# The four-eyes rule -----------------------------------------------------------------------


def test_four_eyes_off_the_preparer_approves(clean, reviewer, settings):
    settings.REVIEW_FOUR_EYES = False

    award = services.approve_application(application=clean, reviewer=reviewer)

    assert award.application == clean


def test_four_eyes_on_the_reviewer_who_started_is_refused_everywhere(
    clean, reviewer, reviewer_client, settings
):
    settings.REVIEW_FOUR_EYES = True
    refusal = (
        "Vier-Augen-Prinzip: Sie haben diesen Antrag vorbereitet (Prüfung begonnen oder "
        "Stichprobe bewertet). Bewilligen muss eine zweite Prüferin oder ein zweiter Prüfer."
    )

    with pytest.raises(services.TransitionError) as error:
        services.approve_application(application=clean, reviewer=reviewer, justification=WHY)
    page = reviewer_client.get(page_url(clean)).content.decode()
    confirmation = reviewer_client.get(action_url(clean, "approve"))
    posted = reviewer_client.post(action_url(clean, "approve"), {"justification": WHY})

    assert str(error.value) == refusal
    assert refusal in page
    assert 'disabled aria-describedby="id_four_eyes"' in page
    assert refusal in main_text(confirmation)
    assert 'disabled aria-describedby="id_four_eyes"' in confirmation.content.decode()
    assert posted.status_code == 200
    assert refusal in main_text(posted)
    assert not Award.objects.exists()


def test_four_eyes_on_whoever_judged_a_spot_check_is_refused_too(
    kommune, clerk, reviewer, second_reviewer, settings
):
    settings.REVIEW_FOUR_EYES = True
    application = in_review(kommune, clerk, reviewer)
    check_links(application)
    judge(application, second_reviewer, Verdict.OK)

    for preparer in (reviewer, second_reviewer):
        with pytest.raises(services.TransitionError, match="Vier-Augen-Prinzip"):
            services.approve_application(
                application=application, reviewer=preparer, justification=WHY
            )
    assert not Award.objects.exists()


def test_four_eyes_on_a_second_reviewer_approves_and_sees_the_first_ones_note(
    clean, reviewer, reviewer_client, second_reviewer, settings
):
    settings.REVIEW_FOUR_EYES = True
    reviewer_client.post(
        action_url(clean, "add_note"), {"text": "Stichprobe unauffällig, bitte freigeben."}
    )
    second = logged_in(second_reviewer)

    confirmation = second.get(action_url(clean, "approve"))
    response = second.post(action_url(clean, "approve"), {"justification": ""})

    page = main_text(confirmation)
    assert "Letzte interne Notiz von pruefer am" in page
    assert "Stichprobe unauffällig, bitte freigeben." in page
    assert "disabled" not in confirmation.content.decode()
    assert response.status_code == 302
    award = Award.objects.get()
    assert clean.events.get(to_status=Status.APPROVED).actor == second_reviewer
    assert award.application == clean


# Internal notes ---------------------------------------------------------------------------


def test_internal_notes_appear_in_the_history_in_order_and_never_in_the_portal(
    finding, reviewer, reviewer_client, clerk_client, mailoutbox, django_capture_on_commit_callbacks
):
    response = reviewer_client.post(
        action_url(finding, "add_note"), {"text": "Kämmerer sagt: Server war am Wochenende aus."}
    )
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(
            action_url(finding, "request_changes"),
            {"message": "Bitte prüfen Sie die Links.", "senden": "1"},
        )

    assert flash(response) == ["Die interne Notiz steht im Verlauf."]
    note = ApplicationNote.objects.get()
    assert (note.application, note.author) == (finding, reviewer)
    history = main_text(reviewer_client.get(page_url(finding))).split('id="verlauf"')[1]
    history = history.split("</section>")[0]
    assert "interne Notiz" in history
    assert history.index("Server war am Wochenende aus.") < history.index(
        "Bitte prüfen Sie die Links."
    )
    portal = clerk_client.get(reverse("portal:application"))
    assert portal.status_code == 200
    assert "Bitte prüfen Sie die Links." in portal.content.decode()
    assert "Server war am Wochenende aus." not in portal.content.decode()
    assert "Server war am Wochenende aus." not in mailoutbox[0].body


def test_an_empty_note_is_refused(finding, reviewer_client):
    response = reviewer_client.post(action_url(finding, "add_note"), {"text": "  "})

    assert flash(response) == ["Bitte schreiben Sie die Notiz."]
    assert not ApplicationNote.objects.exists()


def test_clerks_cannot_write_or_read_notes(finding, clerk_client):
    response = clerk_client.post(action_url(finding, "add_note"), {"text": "von außen"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert not ApplicationNote.objects.exists()


# Request changes and reject: the mail first -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "field", "status", "subject"),
    [
        (
            "request_changes",
            "message",
            Status.CHANGES_REQUESTED,
            "Ihr Antrag „Digitales Amt“: bitte nachbessern und erneut einreichen",
        ),
        ("reject", "reason", Status.REJECTED, "Ihr Antrag „Digitales Amt“ wurde abgelehnt"),
    ],
)
def test_the_mail_is_previewed_kept_on_change_and_sent_only_on_confirm(
    finding,
    clerk,
    reviewer_client,
    mailoutbox,
    django_capture_on_commit_callbacks,
    name,
    field,
    status,
    subject,
):
    text = "Link 3 führt auf eine Informationsseite.\nBitte verlinken Sie das Formular."
    with django_capture_on_commit_callbacks(execute=True):
        preview = reviewer_client.post(action_url(finding, name), {field: text})
        back = reviewer_client.post(action_url(finding, name), {field: text, "aendern": "1"})

    assert (preview.status_code, back.status_code) == (200, 200)
    assert mailoutbox == []
    finding.refresh_from_db()
    assert finding.status == Status.IN_REVIEW
    shown = preview.context["body"]
    assert preview.context["subject"] == subject
    assert text in shown
    assert clerk.email in main_text(preview)
    assert_csp_clean(preview)
    assert f"{text}</textarea>" in back.content.decode()
    assert 'name="senden"' not in back.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sent = reviewer_client.post(action_url(finding, name), {field: text, "senden": "1"})

    assert sent.status_code == 302
    finding.refresh_from_db()
    assert finding.status == status
    assert [mail.to for mail in mailoutbox] == [[clerk.email]]
    assert (mailoutbox[0].subject, mailoutbox[0].body) == (subject, shown)


def test_a_second_send_after_the_first_is_refused_and_sends_nothing_more(
    finding, reviewer_client, mailoutbox, django_capture_on_commit_callbacks
):
    data = {"reason": "Nur Informationsseiten.", "senden": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(action_url(finding, "reject"), data, follow=True)
        second = reviewer_client.post(action_url(finding, "reject"), data)

    assert flash(second) == [
        "Nur ein Antrag in Prüfung kann abgelehnt werden (jetzt: „abgelehnt“)."
    ]
    assert len(mailoutbox) == 1


def test_the_clerks_mail_says_what_to_do_where_and_whom_to_ask(
    finding, reviewer, reviewer_client, settings
):
    reviewer.first_name, reviewer.last_name = "Petra", "Prüfer"
    reviewer.save()

    changes = reviewer_client.post(action_url(finding, "request_changes"), {"message": "Link 3."})
    rejection = reviewer_client.post(action_url(finding, "reject"), {"reason": "Link 3."})

    portal = f"{settings.SITE_URL}{reverse('portal:application')}"
    contact = "Haben Sie Fragen? Schreiben Sie an Petra Prüfer im Staatsministerium: "
    body = changes.context["body"]
    assert "den Antrag von Markt Hösbach" in body
    assert "unter „Online-Verfahren“" in body
    assert "„Antwort schreiben und Angaben prüfen“" in body
    assert "„Antworten und erneut einreichen“" in body
    assert portal in body
    assert f"{contact}{reviewer.email}" in body
    body = rejection.context["body"]
    assert "Ihre Liste der Online-Verfahren bleibt im Portal erhalten" in body
    assert "einen neuen Antrag stellen" in body
    assert portal in body
    assert f"{contact}{reviewer.email}" in body


def test_without_the_reviewers_address_the_clerk_is_sent_to_the_ministrys(
    finding, reviewer, reviewer_client, settings
):
    reviewer.email = ""
    reviewer.save()

    preview = reviewer_client.post(action_url(finding, "reject"), {"reason": "Link 3."})

    assert (
        "Haben Sie Fragen? Schreiben Sie an das Staatsministerium: "
        f"{settings.DEFAULT_FROM_EMAIL}" in preview.context["body"]
    )


def test_a_note_longer_than_2000_characters_is_refused(finding, reviewer_client):
    response = reviewer_client.post(action_url(finding, "add_note"), {"text": "x" * 2001})

    assert flash(response) == ["Die Notiz darf höchstens 2000 Zeichen lang sein (jetzt 2001)."]
    assert not ApplicationNote.objects.exists()
