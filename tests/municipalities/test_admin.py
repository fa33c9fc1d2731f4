"""The ministry's admin: every page renders, access is guarded, lists are correct and cheap."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML

from awards.models import Application, ReminderOptOut, ThresholdReminder, UndeliveredMail
from digitalesamt.lib.admin import external_link
from municipalities.constants import Kind
from municipalities.models import Municipality, PostalCode, ProcedureLink, Service, Threshold
from tests.factories import (
    AwardFactory,
    MunicipalityFactory,
    ProcedureLinkFactory,
    ServiceFactory,
)
from tests.helpers import assert_csp_clean, listed

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
MUNICIPALITY_CHANGELIST = "admin:municipalities_municipality_changelist"
PROCEDURE_CHANGELIST = "admin:municipalities_procedurelink_changelist"


def admin_url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_task_result() -> None:
    from django_tasks_db.models import DBTaskResult, get_date_max

    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="municipalities.tasks.check_links",
        backend_name="default",
        run_after=get_date_max(),
        exception_class_path="",
        traceback="",
    )


def make_membership() -> None:
    from django.contrib.auth import get_user_model

    from municipalities.models import Membership

    user = get_user_model().objects.create_user(username="sachbearbeiter@kommune.example")
    Membership.objects.create(user=user, municipality=MunicipalityFactory())


def make_login_failure(model_name: str) -> None:
    from django.apps import apps

    model = apps.get_model("axes", model_name)
    fields = {"user_agent": "Firefox", "ip_address": "192.0.2.1", "username": "anna"}
    if model_name == "AccessAttempt":
        fields.update(get_data="", post_data="", failures_since_start=1)
    model.objects.create(**fields, http_accept="text/html", path_info="/konto/anmelden/")


# One way to make an object of each model that needs one beyond `sample_objects`; a model
# registered in the admin without a sample here fails test_change_form_renders_for_superuser.
EXTRA_SAMPLES = {
    "auth.Group": lambda: Group.objects.create(name="Prüfer"),
    "django_tasks_database.DBTaskResult": make_task_result,
    "municipalities.Membership": make_membership,
    "municipalities.PostalCode": lambda: PostalCode.objects.create(
        code="63768", municipality=MunicipalityFactory(name="Hösbach"), place="Hösbach"
    ),
    "awards.Application": lambda: Application.objects.create(municipality=MunicipalityFactory()),
    "axes.AccessAttempt": lambda: make_login_failure("AccessAttempt"),
    "axes.AccessFailureLog": lambda: make_login_failure("AccessFailureLog"),
    "awards.ThresholdReminder": lambda: ThresholdReminder.objects.create(
        municipality=MunicipalityFactory(),
        procedure_count=45,
        threshold=50,
        recipients=["kaemmerei@hoesbach.example"],
        subject="Digitales Amt: Ihrer Kommune fehlen nur noch 5 Online-Verfahren",
        body="Text",
    ),
    "awards.UndeliveredMail": lambda: UndeliveredMail.objects.create(
        recipients=["kaemmerei@hoesbach.example"],
        subject="Antrag eingegangen",
        body="Text",
        last_error="Verbindung abgelehnt",
        attempts=6,
    ),
    "awards.ReminderOptOut": lambda: ReminderOptOut.objects.create(
        address="kaemmerei@hoesbach.example"
    ),
}


@pytest.fixture
def sample_objects(db, admin_user):
    """Create one object of every model the admin shows."""
    link = ProcedureLinkFactory()
    link.services.add(ServiceFactory())
    AwardFactory(municipality=link.municipality)
    registered = {model._meta.label for model in REGISTERED}
    for label, make in EXTRA_SAMPLES.items():
        if label in registered:
            make()


@pytest.fixture
def register(db):
    """A small register: two Bezirke, a Landkreis with a VG and its members, a city."""
    unterfranken = MunicipalityFactory(ars="096000000000", name="Unterfranken", kind=Kind.BEZIRK)
    oberbayern = MunicipalityFactory(ars="091000000000", name="Oberbayern", kind=Kind.BEZIRK)
    kitzingen = MunicipalityFactory(
        ars="096750000000", name="Kitzingen", kind=Kind.LANDKREIS, regierungsbezirk=unterfranken
    )
    iphofen_vg = MunicipalityFactory(
        ars="096755555000",
        name="Iphofen",
        kind=Kind.VG,
        regierungsbezirk=unterfranken,
        landkreis=kitzingen,
    )
    members = [
        MunicipalityFactory(
            ars=ars,
            name=name,
            kind=kind,
            regierungsbezirk=unterfranken,
            landkreis=kitzingen,
            verwaltungsgemeinschaft=iphofen_vg,
            postal_code="97346",
        )
        for ars, name, kind in [
            ("096755555134", "Iphofen", Kind.STADT),
            ("096755555157", "Mainbernheim", Kind.STADT),
            ("096755555170", "Rödelsee", Kind.GEMEINDE),
        ]
    ]
    muenchen = MunicipalityFactory(
        ars="091620000000",
        name="München",
        kind=Kind.KREISFREIE_STADT,
        regierungsbezirk=oberbayern,
        postal_code="80331",
    )
    return {
        "unterfranken": unterfranken,
        "oberbayern": oberbayern,
        "kitzingen": kitzingen,
        "iphofen_vg": iphofen_vg,
        "iphofen": members[0],
        "mainbernheim": members[1],
        "roedelsee": members[2],
        "muenchen": muenchen,
    }


# Every registered model -------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_renders_for_superuser(admin_client, sample_objects, model):
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    assert_csp_clean(response)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_change_form_renders_for_superuser(admin_client, sample_objects, model):
    obj = model._default_manager.first()
    assert obj is not None, f"add a sample {model._meta.label} to EXTRA_SAMPLES"

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200
    assert_csp_clean(response)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_add_form_renders_where_adding_is_allowed(admin_client, admin_user, rf, model):
    request = rf.get("/")
    request.user = admin_user
    may_add = admin.site._registry[model].has_add_permission(request)

    response = admin_client.get(admin_url(model, "add"))

    assert response.status_code == (200 if may_add else 403)
    if may_add:
        assert_csp_clean(response)


def test_admin_index_lists_the_apps(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Kommunen" in response.content.decode()
    assert_csp_clean(response)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_anonymous_user_is_sent_to_login(client, model):
    url = admin_url(model, "changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_logged_in_user_without_staff_status_gets_no_access(client, django_user_model):
    user = django_user_model.objects.create_user(username="buerger", password="x" * 12)
    client.force_login(user)

    response = client.get(reverse(MUNICIPALITY_CHANGELIST))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_user_without_permissions_is_forbidden(client, django_user_model, register):
    user = django_user_model.objects.create_user(
        username="praktikant", password="x" * 12, is_staff=True
    )
    client.force_login(user)

    assert client.get(reverse(MUNICIPALITY_CHANGELIST)).status_code == 403
    assert client.get(reverse(PROCEDURE_CHANGELIST)).status_code == 403


def test_reviewer_with_view_permission_sees_kommunen_but_cannot_edit(reviewer_client, register):
    muenchen = register["muenchen"]

    assert reviewer_client.get(reverse(MUNICIPALITY_CHANGELIST)).status_code == 200
    response = reviewer_client.post(
        admin_url(Municipality, "change", muenchen.pk), {"website": "https://muenchen.example"}
    )

    assert response.status_code == 403
    muenchen.refresh_from_db()
    assert muenchen.website == ""


# Municipality changelist ------------------------------------------------------------------


def test_search_by_ars_prefix_finds_the_landkreis_and_its_kommunen(admin_client, register):
    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"q": "09675"})

    assert set(listed(response)) == {
        register["kitzingen"],
        register["iphofen_vg"],
        register["iphofen"],
        register["mainbernheim"],
        register["roedelsee"],
    }


def test_search_by_full_ars_finds_one_kommune(admin_client, register):
    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"q": "096755555157"})

    assert set(listed(response)) == {register["mainbernheim"]}


def test_search_by_name_finds_the_kommune(admin_client, register):
    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"q": "mainbern"})

    assert set(listed(response)) == {register["mainbernheim"]}


def test_search_by_postal_code_finds_the_kommunen(admin_client, register):
    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"q": "80331"})

    assert set(listed(response)) == {register["muenchen"]}


def test_kind_filter_lists_only_that_kind(admin_client, register):
    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"kind__exact": Kind.BEZIRK})

    assert set(listed(response)) == {register["unterfranken"], register["oberbayern"]}


def test_regierungsbezirk_filter_lists_the_bezirk_and_the_kommunen_in_it(admin_client, register):
    oberbayern = register["oberbayern"]

    response = admin_client.get(
        reverse(MUNICIPALITY_CHANGELIST), {"regierungsbezirk": oberbayern.pk}
    )

    assert set(listed(response)) == {oberbayern, register["muenchen"]}


def test_landkreis_filter_lists_the_landkreis_and_the_kommunen_in_it(admin_client, register):
    response = admin_client.get(
        reverse(MUNICIPALITY_CHANGELIST), {"landkreis": register["kitzingen"].pk}
    )

    assert set(listed(response)) == {
        register["kitzingen"],
        register["iphofen_vg"],
        register["iphofen"],
        register["mainbernheim"],
        register["roedelsee"],
    }


def test_region_filters_offer_only_bezirke_and_landkreise_by_name(admin_client, register):
    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST))

    filters = {spec.title: spec for spec in response.context["cl"].filter_specs}
    assert filters["Regierungsbezirk"].lookup_choices == [
        (str(register["oberbayern"].pk), "Oberbayern"),
        (str(register["unterfranken"].pk), "Unterfranken"),
    ]
    assert filters["Landkreis"].lookup_choices == [(str(register["kitzingen"].pk), "Kitzingen")]


def test_malformed_filter_value_is_refused_without_error(admin_client, register):
    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"landkreis": "abc"})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_threshold_filter_splits_by_live_count(admin_client, register):
    unterfranken = register["unterfranken"]
    ProcedureLinkFactory.create_batch(30, municipality=unterfranken)
    ProcedureLinkFactory.create_batch(49, municipality=register["muenchen"])

    reached = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"threshold_reached": "1"})
    missed = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"threshold_reached": "0"})

    assert set(listed(reached)) == {unterfranken}
    assert register["muenchen"] in listed(missed)
    assert unterfranken not in listed(missed)


def test_filters_with_facet_counts_render(admin_client, register):
    ProcedureLinkFactory.create_batch(2, municipality=register["iphofen"])

    response = admin_client.get(
        reverse(MUNICIPALITY_CHANGELIST),
        {"_facets": "1", "landkreis": register["kitzingen"].pk, "threshold_reached": "0"},
    )

    assert response.status_code == 200
    assert "Unterfranken (5)" in response.content.decode()


def test_count_column_shows_active_links_only_and_links_to_them(admin_client, register):
    iphofen = register["iphofen"]
    ProcedureLinkFactory.create_batch(2, municipality=iphofen)
    ProcedureLinkFactory(municipality=iphofen, active=False)

    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"q": iphofen.ars})

    link = reverse(PROCEDURE_CHANGELIST) + f"?municipality={iphofen.pk}"
    assertContains(
        response,
        f'<td class="field-procedure_count_display"><a href="{link}">2</a></td>',
        html=True,
    )
    assertContains(response, '<td class="field-threshold_display">50</td>', html=True)


def test_threshold_column_shows_30_for_a_bezirk(admin_client, register):
    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"kind__exact": Kind.BEZIRK})

    assertContains(response, '<td class="field-threshold_display">30</td>', count=2, html=True)


def test_threshold_column_follows_the_ministrys_change(admin_client, register):
    Threshold.objects.filter(kind=Kind.BEZIRK).update(minimum=25)

    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"kind__exact": Kind.BEZIRK})

    assertContains(response, '<td class="field-threshold_display">25</td>', count=2, html=True)


def column(client: Client, name: str) -> int:
    """Return the index the changelist's "o" parameter uses for a list_display column."""
    return client.get(reverse(MUNICIPALITY_CHANGELIST)).context["cl"].list_display.index(name)


def test_count_column_sorts_by_live_count(admin_client, register):
    ProcedureLinkFactory.create_batch(3, municipality=register["roedelsee"])
    ProcedureLinkFactory.create_batch(1, municipality=register["iphofen"])
    ProcedureLinkFactory.create_batch(5, municipality=register["roedelsee"], active=False)
    index = column(admin_client, "procedure_count_display")

    response = admin_client.get(reverse(MUNICIPALITY_CHANGELIST), {"o": f"-{index}"})

    ranking = list(response.context["cl"].result_list)
    assert ranking[:2] == [register["roedelsee"], register["iphofen"]]
    assert [m.procedure_count for m in ranking[:3]] == [3, 1, 0]


def build_kommunen(count: int) -> None:
    """Create Kommunen in a Landkreis, each with two links that serve one service."""
    service = ServiceFactory()
    bezirk = MunicipalityFactory(kind=Kind.BEZIRK)
    landkreis = MunicipalityFactory(kind=Kind.LANDKREIS, regierungsbezirk=bezirk)
    vg = MunicipalityFactory(kind=Kind.VG, regierungsbezirk=bezirk, landkreis=landkreis)
    for _ in range(count):
        kommune = MunicipalityFactory(
            regierungsbezirk=bezirk, landkreis=landkreis, verwaltungsgemeinschaft=vg
        )
        for link in ProcedureLinkFactory.create_batch(2, municipality=kommune):
            link.services.add(service)


def count_queries(client: Client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"o": "-procedure_count_display"}, {"threshold_reached": "0", "q": "Muster"}],
    ids=["default", "sorted-by-count", "filtered"],
)
def test_municipality_changelist_costs_the_same_queries_for_5_or_60_kommunen(
    admin_client, db, params
):
    url = reverse(MUNICIPALITY_CHANGELIST)
    if "o" in params:
        params = {"o": f"-{column(admin_client, params['o'].lstrip('-'))}"}
    build_kommunen(5)
    few = count_queries(admin_client, url, params)
    build_kommunen(55)

    many = count_queries(admin_client, url, params)

    assert Municipality.objects.count() > 60
    assert many == few


def test_procedure_changelist_costs_the_same_queries_for_10_or_120_links(admin_client, db):
    url = reverse(PROCEDURE_CHANGELIST)
    build_kommunen(5)
    few = count_queries(admin_client, url)
    build_kommunen(55)

    many = count_queries(admin_client, url)

    assert ProcedureLink.objects.count() == 120
    assert many == few


# Municipality change form -----------------------------------------------------------------


def test_change_form_saves_the_website_but_not_register_fields(admin_client, register):
    muenchen = register["muenchen"]

    response = admin_client.post(
        admin_url(Municipality, "change", muenchen.pk),
        {"website": "https://www.muenchen.de", "name": "Minga", "ars": "091629999999"},
    )

    assert response.status_code == 302
    muenchen.refresh_from_db()
    assert muenchen.website == "https://www.muenchen.de"
    assert (muenchen.name, muenchen.ars) == ("München", "091620000000")


def test_change_form_links_to_the_kommunes_procedures(admin_client, register):
    iphofen = register["iphofen"]
    ProcedureLinkFactory.create_batch(2, municipality=iphofen)
    ProcedureLinkFactory(municipality=iphofen, active=False)
    ProcedureLinkFactory(municipality=register["roedelsee"])

    response = admin_client.get(admin_url(Municipality, "change", iphofen.pk))

    content = response.content.decode()
    link = reverse(PROCEDURE_CHANGELIST) + f"?municipality={iphofen.pk}"
    assertInHTML(f'<a href="{link}">3 Online-Verfahren anzeigen</a>', content)
    assert "2 gezählt, Schwellenwert 50: nicht erreicht" in content
    assert set(admin_client.get(link).context["cl"].result_list) == set(
        iphofen.procedure_links.all()
    )


def test_change_form_of_a_vg_lists_its_members(admin_client, register):
    response = admin_client.get(admin_url(Municipality, "change", register["iphofen_vg"].pk))

    content = response.content.decode()
    for member in ("iphofen", "mainbernheim", "roedelsee"):
        kommune = register[member]
        assert f'<a href="{admin_url(Municipality, "change", kommune.pk)}">' in content
    assert "Gemeinde Rödelsee" in content


def test_change_form_shows_the_awards(admin_client, register):
    award = AwardFactory(municipality=register["muenchen"], number="DA-2021-0042")

    response = admin_client.get(admin_url(Municipality, "change", register["muenchen"].pk))

    change = admin_url(award._meta.model, "change", award.pk)
    assertContains(response, f'<a href="{change}">DA-2021-0042</a>', html=True)


def test_kommunen_cannot_be_added_or_deleted_in_the_admin(admin_client, register):
    muenchen = register["muenchen"]

    assert admin_client.get(admin_url(Municipality, "add")).status_code == 403
    assert admin_client.post(admin_url(Municipality, "delete", muenchen.pk)).status_code == 403
    assert Municipality.objects.filter(pk=muenchen.pk).exists()


# ProcedureLink ----------------------------------------------------------------------------


def test_procedure_list_escapes_title_and_url(admin_client, kommune):
    ProcedureLink.objects.create(
        municipality=kommune,
        title="<script>alert('Titel')</script>",
        url="https://amt.example/antrag?x=<script>alert(1)</script>",
        scope="kommunal",
    )

    response = admin_client.get(reverse(PROCEDURE_CHANGELIST))

    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&#x27;Titel&#x27;)&lt;/script&gt;" in content
    assert (
        '<a href="https://amt.example/antrag?x=&lt;script&gt;alert(1)&lt;/script&gt;" '
        'target="_blank" rel="noopener noreferrer">'
    ) in content


def test_external_link_renders_only_http_and_https_as_links():
    assert external_link("https://amt.example/a?b=1&c=2") == (
        '<a href="https://amt.example/a?b=1&amp;c=2" target="_blank" '
        'rel="noopener noreferrer">https://amt.example/a?b=1&amp;c=2</a>'
    )
    assert external_link("HTTP://amt.example/").startswith('<a href="HTTP://amt.example/"')
    assert external_link("javascript:alert(1)") == "javascript:alert(1)"
    assert "<a" not in external_link("data:text/html,<b>x</b>")


def test_procedure_search_finds_by_title_url_name_and_ars(admin_client, register):
    iphofen = register["iphofen"]
    parking = ProcedureLinkFactory(
        municipality=iphofen, title="Anwohnerparkausweis", url="https://iphofen.example/parken"
    )
    elsewhere = ProcedureLinkFactory(municipality=register["muenchen"], title="Hundesteuer")
    url = reverse(PROCEDURE_CHANGELIST)

    for term in ("anwohnerpark", "iphofen.example", "Iphofen", iphofen.ars):
        assert set(listed(admin_client.get(url, {"q": term}))) == {parking}, term
    assert set(listed(admin_client.get(url, {"q": "Hundesteuer"}))) == {elsewhere}


def test_procedure_filters_by_scope_active_and_check_result(admin_client, kommune):
    central = ProcedureLinkFactory(municipality=kommune, scope="zentral")
    inactive = ProcedureLinkFactory(municipality=kommune, active=False)
    broken = ProcedureLinkFactory(municipality=kommune, check_result="broken")
    url = reverse(PROCEDURE_CHANGELIST)

    assert set(listed(admin_client.get(url, {"scope__exact": "zentral"}))) == {central}
    assert set(listed(admin_client.get(url, {"active__exact": "0"}))) == {inactive}
    assert set(listed(admin_client.get(url, {"check_result": "broken"}))) == {broken}
    assert set(listed(admin_client.get(url, {"check_result": "none"}))) == {central, inactive}


def test_procedure_filter_by_service_lists_each_link_once(admin_client, kommune):
    first, second = ServiceFactory.create_batch(2)
    link = ProcedureLinkFactory(municipality=kommune)
    link.services.add(first, second)
    ProcedureLinkFactory(municipality=kommune)

    response = admin_client.get(reverse(PROCEDURE_CHANGELIST), {"service": first.pk})

    assert list(response.context["cl"].result_list) == [link]


def test_actions_deactivate_and_activate_the_selected_links(admin_client, kommune):
    chosen = ProcedureLinkFactory.create_batch(2, municipality=kommune)
    other = ProcedureLinkFactory(municipality=kommune)
    url = reverse(PROCEDURE_CHANGELIST)
    selected = [link.pk for link in chosen]

    response = admin_client.post(
        url, {"action": "deactivate", "_selected_action": selected}, follow=True
    )

    assert "2 Online-Verfahren deaktiviert." in response.content.decode()
    assert list(ProcedureLink.objects.filter(active=False)) == sorted(
        chosen, key=lambda link: link.title
    )
    admin_client.post(url, {"action": "activate", "_selected_action": selected[:1]})
    assert set(ProcedureLink.objects.filter(active=True)) == {chosen[0], other}


def test_procedure_form_uses_autocomplete_not_long_selects(admin_client, kommune):
    link = ProcedureLinkFactory(municipality=kommune)

    response = admin_client.get(admin_url(ProcedureLink, "change", link.pk))

    form = response.context["adminform"].form
    assert form.fields["municipality"].widget.widget.__class__.__name__ == "AutocompleteSelect"
    assert form.fields["services"].widget.widget.__class__.__name__ == "AutocompleteSelectMultiple"


def test_added_procedure_gets_a_normalized_url(admin_client, kommune):
    service = ServiceFactory()

    response = admin_client.post(
        admin_url(ProcedureLink, "add"),
        {
            "municipality": kommune.pk,
            "title": "Gewerbeanmeldung",
            "url": "HTTPS://Amt.Example/gewerbe#start",
            "scope": "kommunal",
            "services": [service.pk],
            "ozg_id": "",
            "active": "on",
        },
    )

    assert response.status_code == 302
    link = ProcedureLink.objects.get()
    assert link.url == "https://amt.example/gewerbe"
    assert list(link.services.all()) == [service]


def test_municipality_autocomplete_finds_by_ars(admin_client, register):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "municipalities",
            "model_name": "procedurelink",
            "field_name": "municipality",
            "term": "09162",
        },
    )

    assert [row["text"] for row in response.json()["results"]] == ["Stadt München (091620000000)"]


def test_service_autocomplete_finds_by_leika_key(admin_client, db):
    service = ServiceFactory(leika_key="99050012104000", name="Hundesteuer Anmeldung")
    ServiceFactory(leika_key="99108001000000")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "municipalities",
            "model_name": "procedurelink",
            "field_name": "services",
            "term": "990500",
        },
    )

    assert [row["id"] for row in response.json()["results"]] == [str(service.pk)]


# Service and Threshold --------------------------------------------------------------------


def test_service_is_read_only_and_links_to_its_procedures(admin_client, kommune):
    service = ServiceFactory(name="Hundesteuer")
    ProcedureLinkFactory(municipality=kommune).services.add(service)

    response = admin_client.post(admin_url(Service, "change", service.pk), {"name": "Katzensteuer"})

    service.refresh_from_db()
    assert service.name == "Hundesteuer"
    content = admin_client.get(admin_url(Service, "change", service.pk)).content.decode()
    assert f"?service={service.pk}" in content
    assert "1 Online-Verfahren anzeigen" in content
    assert response.status_code == 302
    assert admin_client.post(admin_url(Service, "delete", service.pk)).status_code == 403


def test_ministry_edits_thresholds_in_the_list(admin_client, db):
    thresholds = list(Threshold.objects.order_by("kind"))
    data = {
        "form-TOTAL_FORMS": len(thresholds),
        "form-INITIAL_FORMS": len(thresholds),
        "_save": "Sichern",
    }
    for i, threshold in enumerate(thresholds):
        data[f"form-{i}-id"] = threshold.pk
        data[f"form-{i}-minimum"] = 40 if threshold.kind == Kind.BEZIRK else threshold.minimum

    response = admin_client.post(reverse("admin:municipalities_threshold_changelist"), data)

    assert response.status_code == 302
    assert Threshold.for_kind(Kind.BEZIRK) == 40
    assert Threshold.for_kind(Kind.GEMEINDE) == 50


def test_threshold_of_zero_is_refused(admin_client, db):
    threshold = Threshold.objects.get(kind=Kind.BEZIRK)

    response = admin_client.post(admin_url(Threshold, "change", threshold.pk), {"minimum": "0"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Threshold.for_kind(Kind.BEZIRK) == 30


def test_thresholds_cannot_be_deleted_and_keep_their_kind(admin_client, db):
    threshold = Threshold.objects.get(kind=Kind.BEZIRK)

    admin_client.post(
        admin_url(Threshold, "change", threshold.pk), {"kind": Kind.GEMEINDE, "minimum": "30"}
    )

    assert admin_client.post(admin_url(Threshold, "delete", threshold.pk)).status_code == 403
    threshold.refresh_from_db()
    assert threshold.kind == Kind.BEZIRK


def test_threshold_can_be_added_only_for_a_kind_without_one(admin_client, db):
    Threshold.objects.filter(kind=Kind.VG).delete()

    response = admin_client.get(admin_url(Threshold, "add"))

    assert response.status_code == 200
    choices = [value for value, _ in response.context["adminform"].form.fields["kind"].choices]
    assert choices == ["", Kind.VG]
