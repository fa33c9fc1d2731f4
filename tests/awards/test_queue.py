"""The review queue: what waits by default, columns for 1280 px, assigning, the export."""

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from awards.admin.applications import QueueStatusFilter
from awards.constants import Status
from awards.models import Application, ApplicationEvent
from digitalesamt.accounts.roles import REVIEWER_GROUP
from municipalities.constants import Kind, LinkCheckResult
from tests.factories import MunicipalityFactory
from tests.helpers import PASSWORD, assert_csp_clean, count_queries, listed

from .queue_data import waiting_applications

QUEUE = reverse("admin:awards_application_changelist")
CSV = reverse("admin:awards_application_export", args=["csv"])
XLSX = reverse("admin:awards_application_export", args=["xlsx"])

OK, REDIRECTED, NOT_FOUND, TIMEOUT, REFUSED = (
    LinkCheckResult.OK,
    LinkCheckResult.REDIRECTED,
    LinkCheckResult.NOT_FOUND,
    LinkCheckResult.TIMEOUT,
    LinkCheckResult.REFUSED,
)


def colleague(username: str, first_name: str = "", *, group: str = REVIEWER_GROUP, **flags):
    user = get_user_model().objects.create_user(
        username,
        f"{username}@stmd.example",
        PASSWORD,
        is_staff=flags.pop("is_staff", True),
        first_name=first_name,
        **flags,
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def cell(response, application: Application, column: str) -> str:
    """The text of one cell of the queue, found by the application's link and the column."""
    html = response.content.decode()
    url = reverse("admin:awards_application_change", args=[application.pk])
    row = html[html.index(f'href="{url}') :]
    row = row[: row.index("</tr>")]
    start = row.index(f'class="field-{column}')
    value = row[row.index(">", start) + 1 : row.index("</td>", start)]
    return value


# What the queue shows ----------------------------------------------------------------------


def test_the_queue_shows_what_waits_by_default_with_the_filter_selected(reviewer_client):
    (submitted,) = waiting_applications(1)
    (reviewing,) = waiting_applications(1, status=Status.IN_REVIEW)
    (draft,) = waiting_applications(1, status=Status.DRAFT)
    (approved,) = waiting_applications(1, status=Status.APPROVED)

    response = reviewer_client.get(QUEUE)

    assert response.status_code == 200
    assert set(listed(response)) == {submitted, reviewing}
    status = {spec.title: spec for spec in response.context["cl"].filter_specs}["Status"]
    choices = list(status.choices(response.context["cl"]))
    selected = [choice["display"] for choice in choices if choice["selected"]]
    assert selected == ["zu prüfen (eingereicht oder in Prüfung)"]
    assert choices[0]["display"] == "Alle"
    assert choices[0]["query_string"] == "?status=alle"


def test_alle_is_still_reachable(reviewer_client):
    waiting = waiting_applications(1) + waiting_applications(1, status=Status.DRAFT)

    response = reviewer_client.get(QUEUE, {QueueStatusFilter.parameter_name: "alle"})

    assert set(listed(response)) == set(waiting)


def test_the_open_filter_keeps_what_is_not_decided(reviewer_client):
    (changes,) = waiting_applications(1, status=Status.CHANGES_REQUESTED)
    (submitted,) = waiting_applications(1)
    waiting_applications(1, status=Status.REJECTED)

    response = reviewer_client.get(QUEUE, {"status": "offen"})

    assert set(listed(response)) == {changes, submitted}


def test_an_unknown_status_is_refused_not_a_500(reviewer_client):
    response = reviewer_client.get(QUEUE, {"status": "nichts"})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_the_columns_show_days_link_check_and_who_has_it(reviewer_client, reviewer):
    anna = colleague("anna", "Anna")
    (application,) = waiting_applications(
        1,
        days_ago=12,
        reviewer=anna,
        results=(OK, OK, REDIRECTED, NOT_FOUND, TIMEOUT, REFUSED, ""),
    )

    response = reviewer_client.get(QUEUE)

    assert cell(response, application, "days_waiting") == "12"
    assert cell(response, application, "link_check") == (
        '<span class="queue-nowrap">3 ok</span> · <span class="queue-nowrap">2 defekt</span>'
        ' · <span class="queue-nowrap">2 offen</span>'
    )
    assert cell(response, application, "assigned") == "Anna"
    submitted_on = timezone.localtime(application.submitted_at)
    assert cell(response, application, "submitted_on").startswith(f"{submitted_on.day}. ")
    assert cell(response, application, "evidence") == "7 / 50"
    html = response.content.decode()
    for header in ("eingereicht", "Tage in Prüfung", "Verfahren / Schwelle", "Linkprüfung"):
        assert f">{header}</a>" in html or f">{header}</span>" in html, header
    assert_csp_clean(response)


def test_the_link_check_says_nothing_open_when_all_are_checked(reviewer_client):
    (application,) = waiting_applications(1, results=(OK, NOT_FOUND))

    response = reviewer_client.get(QUEUE)

    assert "offen" not in cell(response, application, "link_check")


def test_a_decided_application_has_no_days_in_review(reviewer_client):
    (approved,) = waiting_applications(1, status=Status.APPROVED)

    response = reviewer_client.get(QUEUE, {"status": "alle"})

    assert cell(response, approved, "days_waiting") == "-"


def test_the_assigned_filter_shows_mine_and_nobodys(reviewer_client, reviewer):
    (mine,) = waiting_applications(1, reviewer=reviewer)
    (nobodys,) = waiting_applications(1)
    waiting_applications(1, reviewer=colleague("anna", "Anna"))

    assert listed(reviewer_client.get(QUEUE, {"zugewiesen": "mir"})) == [mine]
    assert listed(reviewer_client.get(QUEUE, {"zugewiesen": "niemandem"})) == [nobodys]


@pytest.mark.parametrize("user_fixture", ["reviewer_client", "admin_client"])
def test_the_queue_costs_the_same_queries_at_10_and_at_500_applications(
    request, user_fixture, roles
):
    client = request.getfixturevalue(user_fixture)
    bezirk = MunicipalityFactory(kind=Kind.BEZIRK, ars="091000000000", name="Oberbayern")

    def queries() -> list[str]:
        client.get(QUEUE)  # fills the content type cache, as on a running server
        with count_queries() as counted:
            assert client.get(QUEUE).status_code == 200
        return counted.own

    waiting_applications(10, regierungsbezirk=bezirk, reviewer=colleague("anna", "Anna"))
    few = queries()
    waiting_applications(490, regierungsbezirk=bezirk)
    many = queries()

    assert Application.objects.count() == 500
    assert len(many) == len(few)


# Assigning ---------------------------------------------------------------------------------


def act(client, action: str, applications: list[Application], query: str = "", **data):
    return client.post(
        f"{QUEUE}{query}",
        {"action": action, "_selected_action": [a.pk for a in applications], **data},
    )


def test_assign_to_me_makes_me_the_reviewer_and_writes_the_history(reviewer_client, reviewer):
    applications = waiting_applications(2)

    response = act(reviewer_client, "assign_to_me", applications)

    assert response.status_code == 302
    for application in applications:
        application.refresh_from_db()
        assert application.reviewer == reviewer
        assert application.status == Status.SUBMITTED
        event = ApplicationEvent.objects.get(application=application)
        assert (event.actor, event.from_status, event.to_status) == (
            reviewer,
            Status.SUBMITTED,
            Status.SUBMITTED,
        )
        assert event.comment == "zugewiesen an pruefer"
    page = reviewer_client.get(response.url)
    assert "2 Anträge pruefer zugewiesen." in page.content.decode()


def test_assign_to_a_colleague_asks_whom_then_assigns(reviewer_client, reviewer):
    anna = colleague("anna", "Anna", last_name="Berg")
    colleague("weg", "Ehemalig", is_active=False)
    colleague("extern", "Extern", is_staff=False)
    colleague("verwaltung2", "Verwaltung", group="Administration")
    (application,) = waiting_applications(1, status=Status.IN_REVIEW, reviewer=reviewer)

    asked = act(reviewer_client, "assign_to_colleague", [application])

    assert asked.status_code == 200
    offered = [user.username for user in asked.context["form"].fields["reviewer"].queryset]
    assert sorted(offered) == ["anna", "pruefer"]
    assert application.municipality.title in asked.content.decode()

    missing = act(reviewer_client, "assign_to_colleague", [application], reviewer="")
    assert "Bitte wählen Sie, wem Sie die Anträge zuweisen." in missing.content.decode()

    done = act(reviewer_client, "assign_to_colleague", [application], reviewer=anna.pk)

    assert done.status_code == 302
    application.refresh_from_db()
    assert application.reviewer == anna
    event = ApplicationEvent.objects.get(application=application)
    assert event.comment == "zugewiesen an Anna Berg"
    assert event.actor == reviewer


def test_someone_outside_the_group_cannot_be_chosen(reviewer_client, administrator):
    (application,) = waiting_applications(1)

    response = act(reviewer_client, "assign_to_colleague", [application], reviewer=administrator.pk)

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.reviewer is None


def test_a_decided_application_is_not_assigned(reviewer_client, reviewer):
    (approved,) = waiting_applications(1, status=Status.APPROVED)

    response = act(reviewer_client, "assign_to_me", [approved], query="?status=alle")

    approved.refresh_from_db()
    assert approved.reviewer is None
    page = reviewer_client.get(response.url).content.decode()
    assert "Ein Antrag im Status „bewilligt“ kann nicht zugewiesen werden." in page


@pytest.mark.parametrize("action", ["assign_to_me", "assign_to_colleague"])
def test_without_review_permission_assigning_is_refused(client, django_user_model, action):
    reader = django_user_model.objects.create_user("lesen", password=PASSWORD, is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_application"))
    client.force_login(reader)
    (application,) = waiting_applications(1)

    response = act(client, action, [application], reviewer=reader.pk)

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.reviewer is None
    assert not ApplicationEvent.objects.exists()


# Export ------------------------------------------------------------------------------------


def test_the_changelist_links_the_export_with_its_filters(reviewer_client):
    response = reviewer_client.get(QUEUE, {"status": "alle", "q": "Hösb"})

    html = response.content.decode()
    assert f'href="{CSV}?status=alle&amp;q=H%C3%B6sb"' in html
    assert f'href="{XLSX}?status=alle&amp;q=H%C3%B6sb"' in html
    assert "Als CSV exportieren" in html
    assert "Als Excel (XLSX) exportieren" in html


def read_csv(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: German Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_csv_export_keeps_filters_and_search(reviewer_client, reviewer):
    hoesbach = MunicipalityFactory(name="Hösbach", kind=Kind.MARKT, ars="096710000001")
    Application.objects.create(
        municipality=hoesbach,
        status=Status.IN_REVIEW,
        submitted_at=timezone.now(),
        reviewer=reviewer,
    )
    waiting_applications(2)  # waiting, but not found by the search
    waiting_applications(1, status=Status.DRAFT)

    response = reviewer_client.get(CSV, {"q": "Hösb"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="antraege-')
    header, *rows = read_csv(response)
    assert header[:6] == [
        "Kommune",
        "Regionalschlüssel (ARS)",
        "Art",
        "Regierungsbezirk",
        "Status",
        "eingereicht am",
    ]
    assert len(rows) == 1
    assert rows[0][:5] == ["Markt Hösbach", "096710000001", "Markt", "", "in Prüfung"]
    assert rows[0][5] == timezone.localdate().isoformat()
    assert rows[0][header.index("zugewiesen")] == "pruefer"


def test_csv_export_of_the_default_view_has_only_what_waits(reviewer_client):
    waiting_applications(2)
    waiting_applications(3, status=Status.DRAFT)

    _header, *rows = read_csv(reviewer_client.get(CSV))

    assert len(rows) == 2
    _header, *everything = read_csv(reviewer_client.get(CSV, {"status": "alle"}))
    assert len(everything) == 5


def test_xlsx_export_has_real_dates_and_numbers(reviewer_client):
    (application,) = waiting_applications(1, days_ago=5, results=(OK, NOT_FOUND, ""))

    response = reviewer_client.get(XLSX)

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, row = [[cell.value for cell in line] for line in sheet.iter_rows()]
    values = dict(zip(header, row, strict=True))
    assert values["Kommune"] == application.municipality.title
    submitted = timezone.localtime(application.submitted_at).date()
    assert values["eingereicht am"].date() == submitted
    assert isinstance(values["eingereicht am"], datetime.datetime)
    assert values["Tage in Prüfung"] == 5
    assert (values["Links ok"], values["Links defekt"], values["Links offen"]) == (1, 1, 1)


FORMULAS = ['=HYPERLINK("https://evil.example")', "+1", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize("name", FORMULAS)
def test_exports_never_hand_a_spreadsheet_a_formula(reviewer_client, name):
    Application.objects.create(
        municipality=MunicipalityFactory(name=name, kind=Kind.BEZIRK),
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
    )

    _header, row = read_csv(reviewer_client.get(CSV))
    sheet = load_workbook(io.BytesIO(reviewer_client.get(XLSX).content)).active
    bezirk = sheet["D2"]

    # A Bezirk is its own Regierungsbezirk: that cell is its bare name.
    assert row[3] == f"'{name}"
    assert bezirk.value == name
    assert bezirk.data_type == "s"
    assert bezirk.quotePrefix is True


def test_an_export_over_the_limit_is_refused_with_a_way_on(reviewer_client, settings):
    settings.REVIEW_EXPORT_MAX_ROWS = 2
    waiting_applications(3)

    response = reviewer_client.get(CSV, {"status": "alle"}, follow=True)

    assert response.redirect_chain[0][0] == f"{QUEUE}?status=alle"
    assert "Die Liste hat mehr als 2 Anträge." in response.content.decode()


def test_the_export_costs_the_same_queries_at_10_and_at_500(reviewer_client):
    def queries() -> int:
        with count_queries() as counted:
            assert reviewer_client.get(XLSX).status_code == 200
        return len(counted.own)

    waiting_applications(10)
    few = queries()
    waiting_applications(490)
    many = queries()

    assert many == few


def test_staff_without_view_permission_cannot_export(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_user("andere", password=PASSWORD, is_staff=True)
    )

    assert client.get(CSV).status_code == 403
    assert client.get(reverse("admin:awards_application_export", args=["pdf"])).status_code == 403
