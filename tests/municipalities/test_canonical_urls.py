"""The same URL, however spelt, counts once: canonical form, counting key, and the migration."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from municipalities.importing.procedures import apply_plan, plan_import
from municipalities.models import Municipality, ProcedureLink
from municipalities.validation import clean_procedure_url, normalize_url, url_key
from tests.factories import MunicipalityFactory, ProcedureLinkFactory, ServiceFactory

CANONICAL = "https://amt.example/antrag"
# The spellings of the issue that raised a count from 290 to 302, and a few more.
SPELLINGS = [
    "http://amt.example/antrag",
    "https://amt.example:443/antrag",
    "http://amt.example:80/antrag",
    "https://amt.example./antrag",
    "https://amt.example/antrag/",
    "https://amt.example/%61ntrag",
    "https://amt.example/%61%6E%74%72%61%67",
    "https://amt.example//antrag",
    "https://amt.example/./antrag",
    "https://amt.example/verfahren/../antrag",
    "HTTPS://AMT.Example/antrag#oben",
    "https://amt.example/antrag?",
]
REFUSED = [
    ("https://kim@amt.example/antrag", "userinfo"),
    ("https://kim:geheim@amt.example/antrag", "userinfo"),
    ("https://amt\u200b.example/antrag", "invisible"),
    ("https://amt\u200c.example/antrag", "invisible"),
    ("https://amt\u2060.example/antrag", "invisible"),
    ("https://amt.example/\u202eantrag", "invisible"),
    ("https://amt.example/an\u0007trag", "invisible"),
    ("https://amt.example/an\u0085trag", "invisible"),
]


def count(municipality: Municipality) -> int:
    """The counting rule's figure; reads no other column (a test at an old migration uses it)."""
    counted = Municipality.objects.with_procedure_count().filter(pk=municipality.pk)
    return counted.values_list("procedure_count", flat=True).get()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_an_address_has_the_key_of_its_canonical_form(spelling):
    assert url_key(clean_procedure_url(spelling)) == url_key(CANONICAL) == "amt.example/antrag"


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("HTTPS://Amt.Example.:443//a/./b/../%61ntrag/#x", "https://amt.example/a/antrag/"),
        ("https://amt.example", "https://amt.example/"),
        ("https://amt.example/a%2fb%7e%3d", "https://amt.example/a%2Fb~%3D"),
        (
            "https://amt.example/anträge?name=Müller|x",
            "https://amt.example/antr%C3%A4ge?name=M%C3%BCller%7Cx",
        ),
        ("https://bürgerservice.example/", "https://xn--brgerservice-dlb.example/"),
        ("https://XN--BRGERSERVICE-DLB.example/", "https://xn--brgerservice-dlb.example/"),
        # IDNA 2008, as browsers: "ß" stays a letter of its own and does not become "ss".
        ("https://straße.example/", "https://xn--strae-oqa.example/"),
        ("https://[2001:DB8::1]:8443/a", "https://[2001:db8::1]:8443/a"),
        ("http://amt.example:8080/a", "http://amt.example:8080/a"),
    ],
)
def test_the_canonical_form_is_stored_as_it_says(spelling, canonical):
    assert clean_procedure_url(spelling) == canonical
    assert normalize_url(canonical) == canonical  # a fixed point: stored links stay as they are


def test_an_idn_and_its_punycode_are_one_procedure():
    assert url_key(clean_procedure_url("https://bürgerservice.example/hund")) == url_key(
        clean_procedure_url("https://xn--brgerservice-dlb.example/hund")
    )


@pytest.mark.parametrize(("url", "code"), REFUSED)
def test_user_names_and_invisible_characters_are_refused_in_german(url, code):
    with pytest.raises(ValidationError) as raised:
        clean_procedure_url(url)

    assert raised.value.code == code
    message = raised.value.messages[0]
    if code == "userinfo":
        assert message == (
            "Die URL enthält einen Benutzernamen oder ein Passwort (vor dem „@“). Bitte geben "
            "Sie die Adresse ohne Anmeldedaten an."
        )
        assert "geheim" not in message
    else:
        hidden = next(char for char in url if not char.isprintable())
        code_point = f"U+{ord(hidden):04X}"
        assert f"enthält ein unsichtbares Zeichen oder Steuerzeichen ({code_point})" in message
        assert f"[{code_point}]" in message  # quoted visibly, not as the character itself
        assert hidden not in message


@pytest.mark.django_db
def test_the_database_computes_the_key_the_code_does():
    kommune = MunicipalityFactory()
    urls = [clean_procedure_url(u) for u in [*SPELLINGS[:1], "https://amt.example/a/?x=1/"]]
    urls += [
        "https://amt.example/",
        "https://amt.example/a/b/",
        "https://amt.example/a?b=/?c",
        "http://[2001:db8::1]:8443/a/",
        "https://xn--strae-oqa.example/x",
    ]
    ProcedureLink.objects.bulk_create(
        ProcedureLink(municipality=kommune, title=url, url=url, scope="kommunal") for url in urls
    )

    stored = dict(ProcedureLink.objects.values_list("url", "url_key"))

    assert stored == {url: url_key(url) for url in urls}


@pytest.mark.django_db
def test_http_and_https_of_one_address_cannot_both_be_stored():
    kommune = MunicipalityFactory()
    ProcedureLink.objects.create(
        municipality=kommune, title="A", url="https://amt.example/antrag", scope="kommunal"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureLink.objects.create(
            municipality=kommune, title="B", url="http://amt.example/antrag/", scope="kommunal"
        )


@pytest.mark.django_db
def test_a_file_with_every_spelling_makes_one_procedure_that_counts_once(kommune):
    key = ServiceFactory().leika_key
    entries = [
        {
            "ars": kommune.ars,
            "titel": "Antrag",
            "url": url,
            "zustaendigkeit": "kommunal",
            "leika_schluessel": key,
        }
        for url in SPELLINGS
    ]

    plan = plan_import(json.dumps(entries).encode(), filename="v.json")
    apply_plan(plan)

    assert plan.errors == []
    assert [link.url for link in ProcedureLink.objects.all()] == ["http://amt.example/antrag"]
    assert count(kommune) == 1


@pytest.mark.django_db
def test_a_file_with_another_spelling_changes_the_stored_link(kommune):
    link = ProcedureLinkFactory(municipality=kommune, title="Antrag", url="http://amt.example/a")
    service = ServiceFactory()
    link.services.set([service])
    key = service.leika_key
    text = (
        "ars;titel;url;zustaendigkeit;leika_schluessel\n"
        f"{kommune.ars};Antrag;https://amt.example/a/;kommunal;{key}\n"
    )

    plan = plan_import(text.encode(), filename="v.csv")

    assert plan.new == []
    assert plan.changed[0].changes == {"url": ("http://amt.example/a", "https://amt.example/a/")}


@pytest.mark.django_db
def test_the_portal_form_refuses_another_spelling_of_a_stored_address(clerk_client, kommune):
    ProcedureLinkFactory(municipality=kommune, title="Antrag", url=CANONICAL)
    key = ServiceFactory().leika_key

    response = clerk_client.post(
        reverse("portal:procedure_create"),
        {
            "title": "Noch einmal",
            "url": "http://AMT.example.:80//./%61ntrag/",
            "scope": "kommunal",
            "leika_keys": key,
        },
    )

    assert response.status_code == 200
    assert (
        "Diese URL ist für Ihre Kommune schon eingetragen: „Antrag“." in response.content.decode()
    )
    assert count(kommune) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "code"), REFUSED[:3])
def test_the_ministry_admin_refuses_user_names_and_invisible_characters(admin_client, url, code):
    kommune = MunicipalityFactory()

    response = admin_client.post(
        reverse("admin:municipalities_procedurelink_add"),
        {"municipality": kommune.pk, "title": "Antrag", "url": url, "scope": "kommunal"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["url"]
    with pytest.raises(ValidationError) as raised:
        clean_procedure_url(url)
    assert errors == raised.value.messages
    assert not ProcedureLink.objects.exists()


@pytest.mark.django_db
def test_the_ministry_admin_refuses_another_spelling_of_a_stored_address(admin_client):
    kommune = MunicipalityFactory()
    ProcedureLinkFactory(municipality=kommune, url=CANONICAL)

    response = admin_client.post(
        reverse("admin:municipalities_procedurelink_add"),
        {
            "municipality": kommune.pk,
            "title": "Antrag",
            "url": "http://amt.example/antrag/",
            "scope": "kommunal",
            "active": "on",
        },
    )

    assert response.status_code == 200
    assert (
        "Ein Online-Verfahren mit dieser URL existiert für die Kommune bereits (auch in anderer "
        "Schreibweise, etwa mit http statt https)." in response.content.decode()
    )
    assert ProcedureLink.objects.count() == 1


# The migration that recomputes stored URLs and merges what becomes one procedure ---------------


BEFORE = ("municipalities", "0004_coat_of_arms")
AFTER = ("municipalities", "0006_procedure_link_url_key")


@pytest.fixture
def at_0004(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    yield executor.loader.project_state([BEFORE]).apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_migration_merges_the_spellings_of_one_procedure_and_prints_the_counts(at_0004, capsys):
    apps = at_0004
    Municipality = apps.get_model("municipalities", "Municipality")
    Service = apps.get_model("municipalities", "Service")
    Link = apps.get_model("municipalities", "ProcedureLink")
    hoesbach = Municipality.objects.create(
        ars="096710000001", name="Hösbach", register_name="Hösbach", kind="markt"
    )
    iphofen = Municipality.objects.create(
        ars="096750000002", name="Iphofen", register_name="Iphofen", kind="stadt"
    )
    services = [
        Service.objects.create(leika_key=f"9900100100{n}000", name=str(n)) for n in range(3)
    ]
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)

    def link(municipality, url, *, days: int, active: bool = True, served=()):
        created = Link.objects.create(
            municipality=municipality, title=url, url=url, scope="kommunal", active=active
        )
        Link.objects.filter(pk=created.pk).update(created_at=start + datetime.timedelta(days))
        created.services.set(served)
        return created

    oldest = link(hoesbach, "https://amt.example/antrag", days=1, active=False, served=services[:1])
    link(hoesbach, "http://amt.example/antrag/", days=2, served=services[1:2])
    link(hoesbach, "https://amt.example:443//./%61ntrag", days=3, served=services)
    link(hoesbach, "https://kim@amt.example/antrag", days=4)
    link(hoesbach, "https://amt\u200b.example/antrag", days=5)
    other = link(hoesbach, "https://amt.example/hund#oben", days=6)
    untouched = link(iphofen, "https://amt.example/antrag", days=1)

    MigrationExecutor(connection).migrate([AFTER])

    printed = capsys.readouterr().out
    assert "Kommunen, deren Zahl der Online-Verfahren sich ändert (vorher → nachher):" in printed
    assert "  Hösbach (096710000001): 5 → 2" in printed
    assert "Iphofen" not in printed
    kept = ProcedureLink.objects.filter(municipality_id=hoesbach.pk).order_by("pk")
    assert [(row.pk, row.url, row.active) for row in kept] == [
        (oldest.pk, "https://amt.example/antrag", True),
        (other.pk, "https://amt.example/hund", True),
    ]
    assert {s.pk for s in kept[0].services.all()} == {s.pk for s in services}
    assert ProcedureLink.objects.get(pk=untouched.pk).url == "https://amt.example/antrag"
    assert count(hoesbach) == 2  # the Kommune of the old state: its pk is all count() reads


def test_the_migration_can_be_reversed_and_run_again(at_0004):
    Municipality = at_0004.get_model("municipalities", "Municipality")
    Link = at_0004.get_model("municipalities", "ProcedureLink")
    kommune = Municipality.objects.create(
        ars="096710000001", name="Hösbach", register_name="Hösbach", kind="markt"
    )
    Link.objects.create(
        municipality=kommune, title="A", url="http://AMT.example/a", scope="kommunal"
    )
    MigrationExecutor(connection).migrate([AFTER])

    MigrationExecutor(connection).migrate([BEFORE])
    MigrationExecutor(connection).migrate([AFTER])

    assert list(ProcedureLink.objects.values_list("url", "url_key")) == [
        ("http://amt.example/a", "amt.example/a")
    ]
