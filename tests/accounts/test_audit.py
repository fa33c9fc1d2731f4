"""The audit trail: every change staff make in the admin, with who, when and what, for admins."""

import datetime
from html.parser import HTMLParser
from io import StringIO

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from awards.models import Award
from digitalesamt.accounts import audit
from digitalesamt.accounts.models import AuditEntry
from digitalesamt.accounts.roles import ADMIN_GROUP, REVIEWER_GROUP
from municipalities.constants import Kind
from municipalities.models import Municipality, Threshold
from tests.factories import AwardFactory, MunicipalityFactory, ServiceFactory
from tests.helpers import count_queries

CHANGELIST = reverse("admin:accounts_auditentry_changelist")


class FormData(HTMLParser):
    """The values a browser would send for the admin's change form, read from its HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.inside_form = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form" and attributes.get("method", "").lower() == "post":
            self.inside_form = True
        if not self.inside_form or name is None and tag != "option":
            return
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in {"submit", "button", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            default = "on" if kind in {"checkbox", "radio"} else ""
            self.data.setdefault(name, []).append(attributes.get("value", default))
        elif tag == "select":
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in attributes:
            self.data[self.select].append(attributes.get("value", ""))
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside_form = False

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea][0] += data


class PageText(HTMLParser):
    """The words of a page's content block, as a reader sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.depth = 0
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in {"script", "style"}:
            self.skip += 1
        if self.depth or ("id", "content") in attrs:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.skip -= 1
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.words += data.split()


def main_text(response) -> str:
    parser = PageText()
    parser.feed(response.content.decode())
    return " ".join(parser.words)


def change_form_data(client, url: str, **changes) -> dict:
    parser = FormData()
    parser.feed(client.get(url).content.decode())
    data = {
        name: values
        for name, values in parser.data.items()
        if values and "__prefix__" not in name and name != "csrfmiddlewaretoken"
    }
    data.update(changes)
    return data


def entries_for(obj, action=LogEntry.Action.UPDATE) -> list[LogEntry]:
    """The object's entries of one kind (the fixtures' creation is recorded too)."""
    entries = LogEntry.objects.get_for_object(obj).filter(action=action)
    return list(entries.order_by("timestamp", "pk"))


def lines(entry: LogEntry) -> list[str]:
    return [
        f"{change.label}: {change.new}"
        if change.old is None
        else f"{change.label}: {change.old} → {change.new}"
        for change in audit.changes(entry)
    ]


# What is recorded -------------------------------------------------------------------------


def test_threshold_change_in_the_admin_names_the_administrator_and_the_values(
    administrator_client, administrator
):
    threshold = Threshold.objects.get(kind=Kind.BEZIRK)
    before = timezone.now()

    response = administrator_client.post(
        reverse("admin:municipalities_threshold_change", args=[threshold.pk]), {"minimum": "25"}
    )

    assert response.status_code == 302
    [entry] = entries_for(threshold)
    assert entry.actor == administrator
    assert entry.action == LogEntry.Action.UPDATE
    assert before <= entry.timestamp <= timezone.now()
    assert lines(entry) == ["Mindestzahl an Online-Verfahren: 30 → 25"]


def test_kommune_change_in_the_admin_is_recorded(administrator_client, administrator, kommune):
    url = reverse("admin:municipalities_municipality_change", args=[kommune.pk])
    data = change_form_data(administrator_client, url, website="https://www.hoesbach.de/")

    response = administrator_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    [entry] = entries_for(kommune)
    assert entry.actor == administrator
    assert lines(entry) == ["Website: (leer) → https://www.hoesbach.de/"]


def test_groups_of_a_user_changed_in_the_admin_are_recorded(
    administrator_client, administrator, reviewer
):
    url = reverse("admin:auth_user_change", args=[reviewer.pk])
    admins = Group.objects.get(name=ADMIN_GROUP)
    data = change_form_data(administrator_client, url, groups=[str(admins.pk)])
    LogEntry.objects.all().delete()

    response = administrator_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(reviewer.groups.values_list("name", flat=True)) == [ADMIN_GROUP]
    recorded = {line for entry in entries_for(reviewer) for line in lines(entry)}
    assert recorded == {
        f"Gruppen: entfernt: {REVIEWER_GROUP}",
        f"Gruppen: hinzugefügt: {ADMIN_GROUP}",
    }
    assert {entry.actor for entry in entries_for(reviewer)} == {administrator}


def test_user_record_has_no_password_hash_and_no_login_noise(administrator_client, clerk):
    LogEntry.objects.all().delete()
    clerk.set_password("ein-ganz-neues-Passwort-2026")
    clerk.save()
    administrator_client.force_login(clerk)  # sets last_login
    clerk.first_name = "Kira"
    clerk.save()

    [entry] = entries_for(clerk)
    assert lines(entry) == ["Vorname: Kim → Kira"]
    assert "pbkdf2" not in str(LogEntry.objects.values_list("changes", flat=True)[::1])


def test_membership_moved_in_the_admin_is_recorded(
    administrator_client, administrator, clerk, kommune, other_kommune
):
    membership = clerk.membership
    url = reverse("admin:municipalities_membership_change", args=[membership.pk])

    response = administrator_client.post(url, {"user": clerk.pk, "municipality": other_kommune.pk})

    assert response.status_code == 302, response.context["adminform"].form.errors
    [entry] = entries_for(membership)
    assert entry.actor == administrator
    assert lines(entry) == [f"Kommune: {kommune} → {other_kommune}"]


def test_revocation_in_the_admin_is_recorded_with_its_reason(
    administrator_client, administrator, kommune
):
    award = AwardFactory(municipality=kommune)

    administrator_client.post(
        reverse("admin:awards_award_revoke", args=[award.pk]),
        {"reason": "Nur noch 30 Online-Verfahren."},
    )

    award.refresh_from_db()
    [entry] = entries_for(award)
    assert entry.actor == administrator
    shown = lines(entry)
    assert "Grund des Widerrufs: (leer) → Nur noch 30 Online-Verfahren." in shown
    assert f"widerrufen von: (leer) → {administrator}" in shown
    assert any(line.startswith("widerrufen am: (leer) → ") for line in shown)


def test_a_change_by_a_command_has_no_actor(db):
    call_command("setup_roles", stdout=StringIO())

    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Group))
    assert entries.exists()
    assert {entry.actor for entry in entries} == {None}


def test_register_import_writes_no_entries(db):
    """2,445 Kommunen go in by bulk inserts and updates: not one entry, and no slower."""
    call_command("import_municipalities", stdout=StringIO())
    Municipality.objects.filter(kind=Kind.GEMEINDE).update(population=1)

    call_command("import_municipalities", stdout=StringIO())

    assert Municipality.objects.count() == 2445
    assert not LogEntry.objects.exists()


def test_procedure_links_are_not_recorded(clerk_client, kommune):
    service = ServiceFactory()
    LogEntry.objects.all().delete()

    clerk_client.post(
        reverse("portal:procedure_create"),
        {
            "title": "Hundesteuer",
            "url": "https://amt.example/hund",
            "scope": "kommunal",
            "leika_keys": service.leika_key,
        },
    )

    assert kommune.procedure_links.exists()
    assert not LogEntry.objects.exists()


def test_a_request_that_changes_nothing_loads_no_user_for_the_trail(clerk_client):
    """auditlog's own middleware loads the session and the user on every request (2 queries)."""
    with count_queries() as queries:
        response = clerk_client.get("/health/")

    assert response.status_code == 200
    assert queries.own == []


# Who reads it -----------------------------------------------------------------------------


@pytest.fixture
def entries(administrator, kommune):
    """A threshold, a Kommune and an award changed by the administrator, and one by a command."""
    with set_actor(administrator):
        threshold = Threshold.objects.get(kind=Kind.BEZIRK)
        threshold.minimum = 25
        threshold.save()
        kommune.website = "https://www.hoesbach.de/"
        kommune.save()
    AwardFactory(municipality=kommune, number="DA-2021-0200")
    return LogEntry.objects.all()


def test_administrator_reads_the_list_in_german(administrator_client, entries):
    response = administrator_client.get(CHANGELIST)

    assert response.status_code == 200
    shown = main_text(response)
    assert "Änderungsprotokoll" in shown
    assert "Mindestzahl an Online-Verfahren: 30 → 25" in shown
    assert "Website: (leer) → https://www.hoesbach.de/" in shown
    assert "verwaltung" in shown
    assert '<td class="field-actor_display">System</td>' in response.content.decode()
    assert "Zeitpunkt" in shown
    assert "Schwellenwert: Bezirk: 25" in shown
    for english in ("log entr", "Resource", "Correlation", "changes:", "create", "update"):
        assert english not in shown
    threshold = Threshold.objects.get(kind=Kind.BEZIRK)
    link = reverse("admin:municipalities_threshold_change", args=[threshold.pk])
    assert f'href="{link}"' in response.content.decode()


def test_administrator_reads_an_entry(administrator_client, entries):
    entry = entries.get(content_type=ContentType.objects.get_for_model(Threshold))

    response = administrator_client.get(
        reverse("admin:accounts_auditentry_change", args=[entry.pk])
    )

    assert response.status_code == 200
    shown = main_text(response)
    assert "Mindestzahl an Online-Verfahren" in shown
    assert "geändert" in shown
    assert "Sichern" not in shown and "Löschen" not in shown
    assert "Bezirk: 25 geändert" in shown
    assert "Updated" not in shown and "Geschichte" not in shown


def test_list_filters_by_model_and_actor_and_searches(administrator_client, administrator, entries):
    threshold_type = ContentType.objects.get_for_model(Threshold)

    by_model = administrator_client.get(CHANGELIST, {"art": threshold_type.pk})
    by_actor = administrator_client.get(CHANGELIST, {"wer": administrator.pk})
    by_system = administrator_client.get(CHANGELIST, {"wer": "system"})
    searched = administrator_client.get(CHANGELIST, {"q": "DA-2021-0200"})
    refused = administrator_client.get(CHANGELIST, {"wer": "abc"})

    def listed(response) -> set[str]:
        return {entry.object_repr for entry in response.context["cl"].result_list}

    assert listed(by_model) == {"Bezirk: 25"}
    assert listed(by_actor) == {"Bezirk: 25", str(Municipality.objects.get())}
    assert "DA-2021-0200" in listed(by_system)
    assert listed(searched) == {"DA-2021-0200"}
    assert refused.status_code == 302  # the admin's "?e=1", not a 500


def test_reviewer_cannot_read_the_trail(reviewer_client, entries):
    entry = entries.first()

    assert reviewer_client.get(CHANGELIST).status_code == 403
    assert (
        reviewer_client.get(
            reverse("admin:accounts_auditentry_change", args=[entry.pk])
        ).status_code
        == 403
    )
    assert "Änderungsprotokoll" not in reviewer_client.get(reverse("admin:index")).content.decode()


def test_clerk_cannot_read_the_trail(clerk_client, entries):
    assert clerk_client.get(CHANGELIST).status_code == 302  # to the admin's login


@pytest.mark.parametrize("persona", ["administrator_client", "admin_client"])
def test_nobody_adds_changes_or_deletes_an_entry(request, persona, entries):
    client = request.getfixturevalue(persona)
    entry = entries.first()
    count = LogEntry.objects.count()

    add = client.get(reverse("admin:accounts_auditentry_add"))
    delete = client.post(
        reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    change = client.post(reverse("admin:accounts_auditentry_change", args=[entry.pk]), {})
    bulk = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert change.status_code == 403
    assert bulk.status_code in (200, 302)
    assert LogEntry.objects.count() == count
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()


def test_the_only_permission_is_to_view(db):
    codenames = set(
        ContentType.objects.get_for_model(
            AuditEntry, for_concrete_model=False
        ).permission_set.values_list("codename", flat=True)
    )

    assert codenames == {"view_auditentry"}


def test_auditlogs_own_admin_is_gone(admin_client, db):
    assert "/admin/auditlog/" not in admin_client.get(reverse("admin:index")).content.decode()


# What the list costs ----------------------------------------------------------------------


def make_entries(count: int, actor) -> None:
    kommunen = [MunicipalityFactory() for _ in range(3)]
    user_type = ContentType.objects.get_for_model(get_user_model())
    kommune_type = ContentType.objects.get_for_model(Municipality)
    award_type = ContentType.objects.get_for_model(Award)
    rows = []
    for index in range(count):
        kommune = kommunen[index % 3]
        kind = index % 3
        rows.append(
            LogEntry(
                content_type=(kommune_type, user_type, award_type)[kind],
                object_pk=str((kommune.pk, actor.pk, index)[kind]),
                object_id=(kommune.pk, actor.pk, index)[kind],
                object_repr=f"Objekt {index}",
                action=LogEntry.Action.UPDATE,
                changes={
                    "regierungsbezirk": [None, "Unterfranken (096000000000)"],
                    "population": [1000, 1001],
                }
                if kind == 0
                else {"groups": {"type": "m2m", "operation": "add", "objects": ["Prüfung"]}},
                actor=actor if index % 2 else None,
            )
        )
    LogEntry.objects.bulk_create(rows)


@pytest.mark.parametrize("params", [{}, {"art": "x"}, {"q": "Objekt"}])
def test_the_list_costs_the_same_for_10_and_500_entries(
    administrator_client, administrator, params
):
    if "art" in params:
        params = {"art": ContentType.objects.get_for_model(Municipality).pk}
    costs = []
    for total in (10, 500):
        LogEntry.objects.all().delete()
        make_entries(total, administrator)
        administrator_client.get(CHANGELIST)  # the process's content-type cache, filled once
        with count_queries() as queries:
            response = administrator_client.get(CHANGELIST, params)
        assert response.status_code == 200
        costs.append(len(queries.own))

    # session, user, the second factor's device, 2 permission checks, the actor filter, the
    # count, the page, and the count of thresholds by which ThresholdAdmin answers the
    # sidebar's "Hinzufügen"
    assert costs == [9, 9]


# Keeping it -------------------------------------------------------------------------------


def test_prune_deletes_only_entries_older_than_the_retention(db, settings, administrator):
    settings.AUDIT_LOG_RETENTION_DAYS = 730
    make_entries(4, administrator)
    old = list(LogEntry.objects.order_by("pk").values_list("pk", flat=True)[:3])
    now = timezone.now()
    LogEntry.objects.filter(pk__in=old[:2]).update(timestamp=now - datetime.timedelta(days=731))
    LogEntry.objects.filter(pk=old[2]).update(timestamp=now - datetime.timedelta(days=729))
    kept = LogEntry.objects.count() - 2
    out = StringIO()

    call_command("prune_audit_log", stdout=out)

    assert LogEntry.objects.count() == kept
    assert not LogEntry.objects.filter(pk__in=old[:2]).exists()
    assert "2 Einträge" in out.getvalue()


def test_privacy_statement_names_the_trail_and_its_period(client, settings):
    settings.AUDIT_LOG_RETENTION_DAYS = 365

    html = client.get(reverse("privacy")).content.decode()

    assert "Änderungsprotokoll" in html
    assert "nach 365 Tagen gelöscht" in html


def test_only_administrators_are_given_the_trail(db):
    call_command("setup_roles", stdout=StringIO())

    def can_read(group: str) -> bool:
        return (
            Group.objects.get(name=group)
            .permissions.filter(content_type__app_label="accounts", codename="view_auditentry")
            .exists()
        )

    assert can_read(ADMIN_GROUP)
    assert not can_read(REVIEWER_GROUP)
