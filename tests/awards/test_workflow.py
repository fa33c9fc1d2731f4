import datetime

import pytest
from django.db import IntegrityError, transaction

from awards import services
from awards.constants import Status
from awards.models import Application, ApplicationEvent, Award, AwardSequence
from awards.services import TransitionError
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory, ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

# The link check does not run here and nothing is drawn: approving needs a justification.
JUSTIFICATION = "Linkprüfung und Stichprobe per Telefon mit der Kommune geklärt."


@pytest.fixture
def qualified(kommune):
    links = ProcedureLinkFactory.create_batch(50, municipality=kommune)
    links[0].services.set(ServiceFactory.create_batch(2))
    return kommune


def submitted(kommune, clerk, capture=None) -> Application:
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk)
    application.refresh_from_db()
    return application


def in_review(kommune, clerk, reviewer) -> Application:
    application = submitted(kommune, clerk)
    return services.start_review(application=application, reviewer=reviewer)


def last_event(application: Application) -> ApplicationEvent:
    return application.events.order_by("-pk").first()


# Creating and submitting


def test_create_application_starts_a_draft_with_its_history_row(kommune, clerk):
    application = services.create_application(municipality=kommune, by=clerk)

    assert application.status == Status.DRAFT
    event = last_event(application)
    assert (event.actor, event.from_status, event.to_status) == (clerk, "", Status.DRAFT)


def test_a_second_open_application_is_refused(kommune, clerk):
    services.create_application(municipality=kommune, by=clerk)

    with pytest.raises(TransitionError, match="offenen Antrag"):
        services.create_application(municipality=kommune, by=clerk)
    assert Application.objects.count() == 1


def test_the_database_holds_one_open_application_per_kommune(kommune, clerk):
    Application.objects.create(municipality=kommune, status=Status.SUBMITTED)

    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(municipality=kommune, status=Status.DRAFT)


def test_a_holder_cannot_apply_again(kommune, clerk):
    AwardFactory(municipality=kommune)

    with pytest.raises(TransitionError, match="bereits"):
        services.create_application(municipality=kommune, by=clerk)


def test_submit_is_refused_below_threshold_saying_how_many_are_missing(kommune, clerk):
    ProcedureLinkFactory.create_batch(47, municipality=kommune)
    ProcedureLinkFactory(municipality=kommune, active=False)
    application = services.create_application(municipality=kommune, by=clerk)

    with pytest.raises(TransitionError, match="Es fehlen noch 3 Online-Verfahren"):
        services.submit_application(application=application, by=clerk)

    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert not application.submissions.exists()


def test_submit_freezes_the_evidence_and_tells_the_ministry(
    qualified, clerk, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    application = services.create_application(municipality=qualified, by=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.submit_application(application=application, by=clerk, comment="Bitte")

    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert (submission.procedure_count, submission.threshold) == (50, 50)
    assert submission.items.count() == 50
    assert any("|" in item.leika_keys for item in submission.items.all())
    event = last_event(application)
    assert (event.from_status, event.to_status, event.comment) == (
        Status.DRAFT,
        Status.SUBMITTED,
        "Bitte",
    )
    assert [mail.to for mail in mailoutbox] == [["pruefer@stmd.example"]]
    assert "Markt Hösbach" in mailoutbox[0].subject
    assert "Gezählte Online-Verfahren: 50" in mailoutbox[0].body


def test_frozen_evidence_does_not_follow_later_edits(qualified, clerk):
    application = submitted(qualified, clerk)
    link = qualified.procedure_links.first()
    title = link.title

    link.title = "Neu benannt"
    link.save()
    qualified.procedure_links.exclude(pk=link.pk).update(active=False)

    item = application.latest_submission().items.get(url=link.url)
    assert item.title == title
    assert application.latest_submission().items.count() == 50


def test_submitting_twice_is_refused(qualified, clerk):
    application = submitted(qualified, clerk)

    with pytest.raises(TransitionError, match="eingereicht"):
        services.submit_application(application=application, by=clerk)
    assert application.submissions.count() == 1


def test_withdraw_a_submitted_application(qualified, clerk):
    application = submitted(qualified, clerk)

    services.withdraw_application(application=application, by=clerk, comment="Später")

    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    assert last_event(application).to_status == Status.WITHDRAWN
    # A withdrawn application is closed: the Kommune may start again.
    assert services.create_application(municipality=qualified, by=clerk).status == Status.DRAFT


def test_withdraw_is_refused_during_review(qualified, clerk, reviewer):
    application = in_review(qualified, clerk, reviewer)

    with pytest.raises(TransitionError, match="zurückgezogen"):
        services.withdraw_application(application=application, by=clerk)


# Reviewing


def test_start_review_is_only_for_submitted_applications(kommune, clerk, reviewer):
    application = services.create_application(municipality=kommune, by=clerk)

    with pytest.raises(TransitionError):
        services.start_review(application=application, reviewer=reviewer)


def test_request_changes_needs_a_message_and_mails_the_kommune(
    qualified, clerk, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    application = in_review(qualified, clerk, reviewer)
    with pytest.raises(TransitionError, match="nachbessern"):
        services.request_changes(application=application, reviewer=reviewer, message="  ")

    with django_capture_on_commit_callbacks(execute=True):
        services.request_changes(
            application=application, reviewer=reviewer, message="Link 3 ist nur Information."
        )

    application.refresh_from_db()
    assert application.status == Status.CHANGES_REQUESTED
    assert last_event(application).comment == "Link 3 ist nur Information."
    assert [mail.to for mail in mailoutbox] == [["kaemmerei@hoesbach.example"]]
    assert "Link 3 ist nur Information." in mailoutbox[0].body


def test_answer_and_resubmit_after_changes_requested(qualified, clerk, reviewer):
    application = in_review(qualified, clerk, reviewer)
    services.request_changes(application=application, reviewer=reviewer, message="Bitte prüfen")
    ProcedureLinkFactory(municipality=qualified)

    submission = services.submit_application(application=application, by=clerk, comment="Ergänzt")

    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert (submission.number, submission.procedure_count) == (2, 51)
    assert application.submissions.get(number=1).items.count() == 50


def test_reject_needs_a_reason_and_mails_the_kommune(
    qualified, clerk, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    application = in_review(qualified, clerk, reviewer)
    with pytest.raises(TransitionError, match="Grund"):
        services.reject_application(application=application, reviewer=reviewer, reason="")

    with django_capture_on_commit_callbacks(execute=True):
        services.reject_application(
            application=application, reviewer=reviewer, reason="Nur Informationsseiten."
        )

    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert application.decided_at is not None
    assert "Nur Informationsseiten." in mailoutbox[0].body


def test_approve_issues_the_next_number_of_the_year_and_mails_the_kommune(
    qualified, clerk, reviewer, mailoutbox, django_capture_on_commit_callbacks, settings
):
    year = datetime.date.today().year
    AwardFactory(number=f"DA-{year}-0041", issued_on=datetime.date(year, 1, 5))
    application = in_review(qualified, clerk, reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        award = services.approve_application(
            application=application, reviewer=reviewer, justification=JUSTIFICATION
        )

    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert award.number == f"DA-{year}-0042"
    assert (award.municipality, award.procedure_count, award.application) == (
        qualified,
        50,
        application,
    )
    assert last_event(application).to_status == Status.APPROVED
    assert award.number in mailoutbox[0].subject
    assert mailoutbox[0].to == ["kaemmerei@hoesbach.example"]


def test_approving_twice_issues_one_award(qualified, clerk, reviewer):
    application = in_review(qualified, clerk, reviewer)
    services.approve_application(
        application=application, reviewer=reviewer, justification=JUSTIFICATION
    )

    with pytest.raises(TransitionError, match="bewilligt"):
        services.approve_application(
            application=application, reviewer=reviewer, justification=JUSTIFICATION
        )
    assert Award.objects.count() == 1


def test_numbers_count_on_across_applications(clerk, reviewer):
    numbers = []
    for _ in range(3):
        kommune = MunicipalityFactory()
        ProcedureLinkFactory.create_batch(50, municipality=kommune)
        application = services.create_application(municipality=kommune, by=clerk)
        services.submit_application(application=application, by=clerk)
        numbers.append(
            services.approve_application(
                application=application, reviewer=reviewer, justification=JUSTIFICATION
            ).number
        )

    assert [number[-4:] for number in numbers] == ["0001", "0002", "0003"]
    assert AwardSequence.objects.get().last == 3


@pytest.mark.parametrize(
    "transition",
    [
        lambda a, r: services.approve_application(application=a, reviewer=r),
        lambda a, r: services.reject_application(application=a, reviewer=r, reason="x"),
        lambda a, r: services.request_changes(application=a, reviewer=r, message="x"),
    ],
)
def test_decisions_are_refused_on_a_draft(kommune, clerk, reviewer, transition):
    application = services.create_application(municipality=kommune, by=clerk)

    with pytest.raises(TransitionError):
        transition(application, reviewer)
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert application.events.count() == 1


# Revocation and re-check


def test_revoke_needs_a_reason_and_mails_the_kommune(
    qualified, clerk, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    award = AwardFactory(municipality=qualified)
    with pytest.raises(TransitionError, match="Grund"):
        services.revoke_award(award=award, by=reviewer, reason=" ")

    with django_capture_on_commit_callbacks(execute=True):
        services.revoke_award(award=award, by=reviewer, reason="Verfahren offline")

    award.refresh_from_db()
    assert award.is_revoked and award.revoked_by == reviewer
    assert award.revocation_reason == "Verfahren offline"
    assert "Verfahren offline" in mailoutbox[0].body
    with pytest.raises(TransitionError, match="bereits"):
        services.revoke_award(award=award, by=reviewer, reason="nochmal")


def test_holders_below_their_threshold_are_at_risk():
    safe, at_risk = AwardFactory.create_batch(2)
    ProcedureLinkFactory.create_batch(50, municipality=safe.municipality)
    ProcedureLinkFactory.create_batch(49, municipality=at_risk.municipality)

    assert list(Award.objects.holders_at_risk()) == [at_risk]
