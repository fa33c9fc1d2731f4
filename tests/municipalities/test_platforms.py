"""The online-service platforms the link check knows: data an administrator keeps."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from municipalities.models import OnlineServicePlatform, platform_hosts
from municipalities.validation import clean_host

CHANGELIST = reverse("admin:municipalities_onlineserviceplatform_changelist")
ADD = reverse("admin:municipalities_onlineserviceplatform_add")


def test_the_migration_seeds_the_platforms_bavarian_kommunen_use(db):
    assert platform_hosts() == {
        "buergerserviceportal.de": "Bürgerservice-Portal (AKDB)",
        "buergerservice-portal.de": "Bürgerservice-Portal (AKDB)",
        "id.bayernportal.de": "BayernID",
        "formularserver.bayern.de": "Formularserver des Freistaats Bayern",
    }


def test_only_active_platforms_go_to_the_link_check(db):
    OnlineServicePlatform.objects.filter(host="id.bayernportal.de").update(active=False)

    assert "id.bayernportal.de" not in platform_hosts()


def test_an_administrator_adds_a_platform_by_a_pasted_address(administrator_client):
    response = administrator_client.post(
        ADD,
        {"host": " https://WWW.Formulare.Example./antrag ", "name": "Formulare", "active": "on"},
    )

    assert response.status_code == 302
    assert platform_hosts()["www.formulare.example"] == "Formulare"


@pytest.mark.parametrize("host", ["", "formulare", "formulare example", "-x.example", "a..b"])
def test_an_administrator_is_told_what_a_host_is(administrator_client, host):
    response = administrator_client.post(ADD, {"host": host, "name": "Formulare"})

    assert response.status_code == 200
    assert not OnlineServicePlatform.objects.filter(name="Formulare").exists()
    if host:  # said once, at the field
        assert response.content.decode().count("Geben Sie einen Hostnamen an") == 1


def test_the_same_host_twice_is_refused(administrator_client):
    response = administrator_client.post(
        ADD, {"host": "BuergerServicePortal.de", "name": "Doppelt", "active": "on"}
    )

    assert response.status_code == 200
    assert "existiert bereits" in response.content.decode()


def test_reviewers_see_the_platforms_but_do_not_change_them(reviewer_client):
    assert "BayernID" in reviewer_client.get(CHANGELIST).content.decode()
    assert reviewer_client.get(ADD).status_code == 403


def test_the_database_keeps_hosts_in_lower_case(db):
    with pytest.raises(IntegrityError):
        OnlineServicePlatform.objects.create(host="Portal.Example", name="Portal")


def test_clean_host_gives_the_ascii_host():
    assert clean_host("bürgerbüro.example") == "xn--brgerbro-65af.example"
    with pytest.raises(ValidationError):
        clean_host("https:///antrag")
