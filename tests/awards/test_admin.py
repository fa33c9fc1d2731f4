"""The ministry's admin for awards: search, filters and what may not be changed."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from awards.models import Award
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import listed

CHANGELIST = reverse("admin:awards_award_changelist")


def change_url(award: Award) -> str:
    return reverse("admin:awards_award_change", args=[award.pk])


@pytest.fixture
def awards(db):
    nuernberg = AwardFactory(
        number="DA-2021-0001",
        municipality=MunicipalityFactory(ars="095640000000", name="Nürnberg"),
        issued_on=datetime.date(2021, 7, 28),
    )
    iphofen = AwardFactory(
        number="DA-2022-0100",
        municipality=MunicipalityFactory(ars="096755555000", name="Iphofen"),
        issued_on=datetime.date(2022, 7, 14),
    )
    revoked = AwardFactory(
        number="DA-2023-0005",
        municipality=MunicipalityFactory(name="Hösbach"),
        issued_on=datetime.date(2023, 2, 1),
        revoked_at=timezone.now(),
        revocation_reason="Zu wenige Online-Verfahren",
    )
    return {"nuernberg": nuernberg, "iphofen": iphofen, "revoked": revoked}


@pytest.mark.parametrize(
    ("term", "expected"),
    [("DA-2022-0100", "iphofen"), ("2021-0001", "nuernberg"), ("Nürnb", "nuernberg")],
)
def test_search_finds_by_number_and_kommune_name(admin_client, awards, term, expected):
    response = admin_client.get(CHANGELIST, {"q": term})

    assert set(listed(response)) == {awards[expected]}


def test_search_finds_by_ars_prefix(admin_client, awards):
    response = admin_client.get(CHANGELIST, {"q": "09675"})

    assert set(listed(response)) == {awards["iphofen"]}


def test_year_filter_offers_the_award_years_and_filters(admin_client, awards):
    response = admin_client.get(CHANGELIST, {"year": "2022"})

    assert set(listed(response)) == {awards["iphofen"]}
    years = {spec.title: spec for spec in response.context["cl"].filter_specs}["Jahr"]
    assert years.lookup_choices == [("2023", "2023"), ("2022", "2022"), ("2021", "2021")]


def year_choices(admin_client) -> list:
    response = admin_client.get(CHANGELIST)
    return {spec.title: spec for spec in response.context["cl"].filter_specs}["Jahr"].lookup_choices


def test_the_year_filter_leaves_out_a_year_without_awards(admin_client, awards):
    awards["iphofen"].delete()

    assert year_choices(admin_client) == [("2023", "2023"), ("2021", "2021")]


def test_the_year_filter_takes_a_date_far_off_as_well(admin_client, awards):
    AwardFactory(number="DA-1900-0001", issued_on=datetime.date(1900, 1, 1))

    assert year_choices(admin_client) == [
        ("2023", "2023"),
        ("2022", "2022"),
        ("2021", "2021"),
        ("1900", "1900"),
    ]


def test_the_year_filter_is_not_shown_before_the_first_award(admin_client, db):
    response = admin_client.get(CHANGELIST)

    assert "Jahr" not in {spec.title for spec in response.context["cl"].filter_specs}


def test_revoked_filter_splits_valid_and_revoked(admin_client, awards):
    revoked = admin_client.get(CHANGELIST, {"revoked": "1"})
    valid = admin_client.get(CHANGELIST, {"revoked": "0"})

    assert set(listed(revoked)) == {awards["revoked"]}
    assert set(listed(valid)) == {awards["nuernberg"], awards["iphofen"]}


def test_list_shows_the_revoked_flag(admin_client, awards):
    response = admin_client.get(CHANGELIST, {"q": "DA-2023-0005"})

    assert '<td class="field-revoked"><img src="/static/admin/img/icon-yes.svg"' in (
        response.content.decode()
    )


def test_issued_fields_cannot_be_changed(admin_client, awards):
    award = awards["nuernberg"]
    other = MunicipalityFactory()

    response = admin_client.post(
        change_url(award),
        {
            "number": "DA-2021-0999",
            "municipality": other.pk,
            "issued_on": "2020-01-01",
            "procedure_count": "1",
            "revocation_reason": "",
        },
    )

    assert response.status_code == 302
    award.refresh_from_db()
    assert (award.number, award.municipality_id, award.issued_on, award.procedure_count) == (
        "DA-2021-0001",
        awards["nuernberg"].municipality_id,
        datetime.date(2021, 7, 28),
        50,
    )


def test_revocation_fields_cannot_be_set_through_the_change_form(admin_client, awards):
    # Revoking is an action with a required reason (tests/awards/test_review_admin.py).
    award = awards["nuernberg"]

    response = admin_client.post(
        change_url(award),
        {
            "revoked_at_0": "01.03.2024",
            "revoked_at_1": "10:00:00",
            "revocation_reason": "Von Hand",
        },
    )

    assert response.status_code == 302
    award.refresh_from_db()
    assert (award.revoked_at, award.revocation_reason) == (None, "")


def test_only_a_superuser_may_add_an_award(admin_client, administrator_client, db):
    assert admin_client.get(reverse("admin:awards_award_add")).status_code == 200
    assert administrator_client.get(reverse("admin:awards_award_add")).status_code == 403
    assert administrator_client.get(CHANGELIST).status_code == 200


def test_superuser_adds_a_seed_award(admin_client, db):
    kommune = MunicipalityFactory()

    response = admin_client.post(
        reverse("admin:awards_award_add"),
        {
            "number": "DA-2021-0001",
            "municipality": kommune.pk,
            "issued_on": "28.07.2021",
            "procedure_count": "52",
            "revocation_reason": "",
        },
    )

    assert response.status_code == 302
    assert Award.objects.get().municipality == kommune


def test_malformed_award_number_is_refused(admin_client, db):
    response = admin_client.post(
        reverse("admin:awards_award_add"),
        {
            "number": "DA-21-1",
            "municipality": MunicipalityFactory().pk,
            "issued_on": "28.07.2021",
            "procedure_count": "52",
        },
    )

    assert response.status_code == 200
    assert "number" in response.context["adminform"].form.errors
    assert not Award.objects.exists()


def test_awards_cannot_be_deleted(admin_client, administrator_client, awards):
    award = awards["nuernberg"]

    delete_url = reverse("admin:awards_award_delete", args=[award.pk])

    assert admin_client.post(delete_url).status_code == 403
    assert administrator_client.post(delete_url).status_code == 403
    assert Award.objects.filter(pk=award.pk).exists()


def test_municipality_autocomplete_for_awards_finds_by_name(admin_client, awards):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "awards",
            "model_name": "award",
            "field_name": "municipality",
            "term": "Iphof",
        },
    )

    assert [row["id"] for row in response.json()["results"]] == [
        str(awards["iphofen"].municipality_id)
    ]
