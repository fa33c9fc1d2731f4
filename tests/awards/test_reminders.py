"""The ministry's list of Kommunen close to their threshold and the reminder it mails them."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from awards.models import ReminderOptOut, ThresholdReminder
from awards.reminders import preview
from awards.unsubscribe import opt_out, unsubscribe_url
from municipalities.constants import Kind
from municipalities.models import Threshold
from tests.conftest import member_of
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import count_queries, listed, text

pytestmark = pytest.mark.django_db

LIST = reverse("admin:awards_nearthreshold_changelist")


def with_links(count: int, **fields):
    municipality = MunicipalityFactory(**fields)
    ProcedureLinkFactory.create_batch(count, municipality=municipality)
    return municipality


@pytest.fixture
def bezirke():
    return {
        name: MunicipalityFactory(name=name, kind=Kind.BEZIRK, ars=ars)
        for name, ars in (("Unterfranken", "096000000000"), ("Schwaben", "097000000000"))
    }


@pytest.fixture
def near(kommune, clerk, bezirke):
    """Markt Hösbach at 43 of 50, with its clerk and a second one."""
    kommune.regierungsbezirk = bezirke["Unterfranken"]
    kommune.save()
    ProcedureLinkFactory.create_batch(43, municipality=kommune)
    member_of(kommune, "buergerbuero", "buergerbuero@hoesbach.example")
    return kommune


def main_text(response) -> str:
    """The admin page's text with whitespace collapsed."""
    return " ".join(text(response).split())


def remind(client, *municipalities, confirm: bool = False):
    data = {"action": "send_reminders", ACTION_CHECKBOX_NAME: [m.pk for m in municipalities]}
    if confirm:
        data["confirm"] = "yes"
    return client.post(LIST, data)


def test_lists_kommunen_within_ten_of_their_threshold(administrator_client, near, bezirke):
    exactly_ten = with_links(40, regierungsbezirk=bezirke["Schwaben"])
    with_links(39, regierungsbezirk=bezirke["Schwaben"])  # 11 missing
    with_links(50)  # reached
    holder = with_links(45)
    AwardFactory(municipality=holder)
    vg = MunicipalityFactory(kind=Kind.VG)
    AwardFactory(municipality=vg)
    with_links(45, verwaltungsgemeinschaft=vg)  # covered by its VG
    Threshold.objects.update_or_create(kind=Kind.BEZIRK, defaults={"minimum": 30})
    bezirk = bezirke["Unterfranken"]
    ProcedureLinkFactory.create_batch(25, municipality=bezirk)

    response = administrator_client.get(LIST)

    assert response.status_code == 200
    assert {m.pk for m in listed(response)} == {near.pk, exactly_ten.pk, bezirk.pk}
    row = next(m for m in listed(response) if m.pk == near.pk)
    assert (row.procedure_count, row.threshold, row.missing) == (43, 50, 7)
    assert "Kommunen kurz vor dem Schwellenwert" in main_text(response)


def test_filters_by_regierungsbezirk(administrator_client, near, bezirke):
    schwaben = with_links(45, regierungsbezirk=bezirke["Schwaben"])

    response = administrator_client.get(LIST, {"regierungsbezirk": bezirke["Schwaben"].pk})

    assert [m.pk for m in listed(response)] == [schwaben.pk]


def test_the_action_previews_the_german_mail_to_the_clerks_first(
    administrator_client, near, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = remind(administrator_client, near)

    assert response.status_code == 200
    page = main_text(response)
    assert "E-Mail an Markt Hösbach" in page
    assert "buergerbuero@hoesbach.example, kaemmerei@hoesbach.example" in page
    assert "Ihrer Kommune fehlen nur noch 7 Online-Verfahren" in page
    assert "Markt Hösbach verlinkt im BayernPortal derzeit 43 Online-Verfahren" in page
    assert "/portal/verfahren/zentral/" in page
    assert "1 Erinnerung senden" in page
    assert mailoutbox == []
    assert not ThresholdReminder.objects.exists()


def test_sending_queues_the_mail_to_the_clerks_and_records_it(
    administrator_client, administrator, near, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = remind(administrator_client, near, confirm=True)

    assert response.status_code == 302
    # One mail per clerk: each carries that clerk's own link to unsubscribe.
    assert sorted(sent.to for sent in mailoutbox) == [
        ["buergerbuero@hoesbach.example"],
        ["kaemmerei@hoesbach.example"],
    ]
    sent = next(sent for sent in mailoutbox if sent.to == ["kaemmerei@hoesbach.example"])
    assert sent.subject == "Digitales Amt: Ihrer Kommune fehlen nur noch 7 Online-Verfahren"
    assert "es fehlen nur noch 7" in sent.body
    reminder = ThresholdReminder.objects.get()
    assert (reminder.municipality, reminder.sent_by) == (near, administrator)
    assert (reminder.procedure_count, reminder.threshold) == (43, 50)
    assert reminder.recipients == ["buergerbuero@hoesbach.example", "kaemmerei@hoesbach.example"]
    # The text kept is the mail's, with a placeholder where each one's own link went.
    link = unsubscribe_url("kaemmerei@hoesbach.example")
    assert link in sent.body
    assert reminder.body == sent.body.replace(link, "[persönlicher Link zum Abbestellen]")
    entry = LogEntry.objects.get(object_id=str(near.pk))
    assert entry.action_flag == CHANGE
    assert entry.content_type.model == "municipality"
    assert "kaemmerei@hoesbach.example" in entry.get_change_message()
    today = date_format(timezone.localdate(), "j. F Y")
    assert today in main_text(administrator_client.get(LIST))


def test_a_second_reminder_within_90_days_is_refused_in_german(
    administrator_client, administrator, near, mailoutbox, django_capture_on_commit_callbacks
):
    ThresholdReminder.objects.create(
        municipality=near,
        sent_at=timezone.now() - datetime.timedelta(days=89),
        sent_by=administrator,
        procedure_count=40,
        threshold=50,
        recipients=["kaemmerei@hoesbach.example"],
        subject="",
        body="",
    )

    preview = remind(administrator_client, near)
    with django_capture_on_commit_callbacks(execute=True):
        response = remind(administrator_client, near, confirm=True)

    assert "Wird nicht gesendet: diese Kommune wurde vor kurzem erinnert" in main_text(preview)
    assert "Erinnerung senden</button>" not in preview.content.decode()
    assert mailoutbox == []
    assert ThresholdReminder.objects.count() == 1
    message = main_text(administrator_client.get(response.url))
    assert "Markt Hösbach wurde zuletzt vor weniger als 90 Tagen erinnert" in message


def test_after_90_days_the_kommune_may_be_reminded_again(
    administrator_client, administrator, near, mailoutbox, django_capture_on_commit_callbacks
):
    ThresholdReminder.objects.create(
        municipality=near,
        sent_at=timezone.now() - datetime.timedelta(days=91),
        sent_by=administrator,
        procedure_count=40,
        threshold=50,
        recipients=[],
        subject="",
        body="",
    )

    with django_capture_on_commit_callbacks(execute=True):
        remind(administrator_client, near, confirm=True)

    # One mail per clerk (each with its own unsubscribe link).
    assert sorted(sent.to for sent in mailoutbox) == [
        ["buergerbuero@hoesbach.example"],
        ["kaemmerei@hoesbach.example"],
    ]
    assert ThresholdReminder.objects.count() == 2


def test_a_kommune_without_clerks_is_not_reminded(
    administrator_client, bezirke, mailoutbox, django_capture_on_commit_callbacks
):
    lonely = with_links(45, name="Einsam")

    with django_capture_on_commit_callbacks(execute=True):
        response = remind(administrator_client, lonely, confirm=True)

    assert mailoutbox == []
    assert "hat keinen Zugang zum Portal mit E-Mail-Adresse" in main_text(
        administrator_client.get(response.url)
    )


def test_reviewers_see_the_list_but_cannot_send(
    reviewer_client, near, mailoutbox, django_capture_on_commit_callbacks
):
    response = reviewer_client.get(LIST)
    assert response.status_code == 200
    assert "send_reminders" not in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        remind(reviewer_client, near, confirm=True)

    assert mailoutbox == []
    assert not ThresholdReminder.objects.exists()


def test_clerks_cannot_reach_the_list(clerk_client, near):
    assert clerk_client.get(LIST).status_code == 302  # to the admin's login


def test_only_active_links_count_towards_the_list(administrator_client, near):
    ProcedureLinkFactory.create_batch(5, municipality=near, active=False)

    (row,) = listed(administrator_client.get(LIST))

    assert (row.procedure_count, row.missing) == (43, 7)


def test_the_list_costs_the_same_at_two_sizes(administrator_client, near, bezirke):
    def queries() -> int:
        with count_queries() as counted:
            assert administrator_client.get(LIST).status_code == 200
        return len(counted.own)

    small = queries()
    for _n in range(20):
        reminded = with_links(44, regierungsbezirk=bezirke["Schwaben"])
        ThresholdReminder.objects.create(
            municipality=reminded,
            sent_by=None,
            procedure_count=44,
            threshold=50,
            recipients=[],
            subject="",
            body="",
        )

    assert queries() == small


def test_the_preview_shows_who_gets_the_reminder_and_who_unsubscribed(
    administrator_client, near, mailoutbox, django_capture_on_commit_callbacks
):
    opt_out("Kaemmerei@hoesbach.example")

    response = remind(administrator_client, near)
    with django_capture_on_commit_callbacks(execute=True):
        remind(administrator_client, near, confirm=True)

    page = main_text(response)
    assert (
        "<dt>An</dt> <dd><bdi>buergerbuero@hoesbach.example</bdi></dd> "
        "<dt>Abbestellt</dt> <dd><bdi>kaemmerei@hoesbach.example</bdi></dd>"
    ) in page
    assert "[persönlicher Link zum Abbestellen]" in page
    assert "1 Erinnerung senden" in page
    assert [sent.to for sent in mailoutbox] == [["buergerbuero@hoesbach.example"]]
    assert ThresholdReminder.objects.get().recipients == ["buergerbuero@hoesbach.example"]


def test_a_kommune_whose_clerks_all_unsubscribed_is_not_reminded(
    administrator_client, near, mailoutbox, django_capture_on_commit_callbacks
):
    opt_out("kaemmerei@hoesbach.example")
    opt_out("buergerbuero@hoesbach.example")

    preview = remind(administrator_client, near)
    with django_capture_on_commit_callbacks(execute=True):
        response = remind(administrator_client, near, confirm=True)

    assert (
        "Wird nicht gesendet: alle aus der Verwaltung mit Zugang zum Portal haben die "
        "Erinnerungen abbestellt." in main_text(preview)
    )
    assert "Erinnerung senden</button>" not in preview.content.decode()
    assert mailoutbox == []
    assert not ThresholdReminder.objects.exists()
    message = main_text(administrator_client.get(response.url))
    assert (
        "Markt Hösbach wird nicht erinnert: alle aus der Verwaltung mit Zugang zum Portal haben "
        "die Erinnerungen abbestellt (buergerbuero@hoesbach.example, kaemmerei@hoesbach.example)."
    ) in message


def test_the_ministry_sees_who_unsubscribed_and_an_administrator_can_undo_it(
    reviewer_client, administrator_client
):
    opt_out("kaemmerei@hoesbach.example")
    optout = ReminderOptOut.objects.get()
    changelist = reverse("admin:awards_reminderoptout_changelist")
    delete = reverse("admin:awards_reminderoptout_delete", args=[optout.pk])

    listing = reviewer_client.get(changelist)
    assert listing.status_code == 200
    assert "kaemmerei@hoesbach.example" in main_text(listing)
    assert reviewer_client.post(delete, {"post": "yes"}).status_code == 403
    assert administrator_client.get(reverse("admin:awards_reminderoptout_add")).status_code == 403

    administrator_client.post(delete, {"post": "yes"})

    assert not ReminderOptOut.objects.exists()


def test_the_text_kept_is_german_whatever_the_senders_language(near):
    with translation.override("en"):
        mail = preview(near)

    assert "[persönlicher Link zum Abbestellen]" in mail.body
    assert "es fehlen nur noch 7" in mail.body
