import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from municipalities.constants import Kind
from municipalities.models import Municipality, Threshold
from tests.factories import MunicipalityFactory, ProcedureLinkFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def counted(municipality: Municipality) -> int:
    return Municipality.objects.with_procedure_count().get(pk=municipality.pk).procedure_count


def test_active_links_are_counted(kommune):
    ProcedureLinkFactory.create_batch(3, municipality=kommune)

    assert counted(kommune) == 3
    assert kommune.progress().count == 3


def test_inactive_links_are_not_counted(kommune):
    ProcedureLinkFactory.create_batch(2, municipality=kommune)
    ProcedureLinkFactory(municipality=kommune, active=False)

    assert counted(kommune) == 2
    assert kommune.progress().count == 2


def test_a_procedure_linked_under_several_services_counts_once(kommune):
    link = ProcedureLinkFactory(municipality=kommune)
    link.services.set(ServiceFactory.create_batch(3))

    assert counted(kommune) == 1


def test_the_same_url_counts_once_whatever_its_spelling(kommune):
    link = ProcedureLinkFactory.build(municipality=kommune, url="HTTPS://Amt.Example/antrag#oben")
    link.full_clean()
    link.save()
    duplicate = ProcedureLinkFactory.build(municipality=kommune, url="https://amt.example/antrag")
    duplicate.full_clean(validate_constraints=False)

    assert duplicate.url == link.url
    with pytest.raises(Exception, match="(?i)unique|eindeutig|existiert"):
        duplicate.full_clean()
    assert counted(kommune) == 1


def test_kommunal_and_zentral_procedures_both_count(kommune):
    ProcedureLinkFactory(municipality=kommune, scope="kommunal")
    ProcedureLinkFactory(municipality=kommune, scope="zentral")

    assert counted(kommune) == 2


def test_links_of_other_kommunen_are_not_counted(kommune):
    ProcedureLinkFactory.create_batch(2)

    assert counted(kommune) == 0


def test_the_same_url_in_two_kommunen_counts_for_each():
    first, second = MunicipalityFactory.create_batch(2)
    ProcedureLinkFactory(municipality=first, url="https://freistaat.example/antrag")
    ProcedureLinkFactory(municipality=second, url="https://freistaat.example/antrag")

    assert counted(first) == 1
    assert counted(second) == 1


def test_bezirk_needs_30_and_others_50():
    bezirk = MunicipalityFactory(kind=Kind.BEZIRK)
    gemeinde = MunicipalityFactory(kind=Kind.GEMEINDE)
    ProcedureLinkFactory.create_batch(30, municipality=bezirk)
    ProcedureLinkFactory.create_batch(49, municipality=gemeinde)

    rows = {m.pk: m for m in Municipality.objects.with_progress()}

    assert (rows[bezirk.pk].threshold, rows[gemeinde.pk].threshold) == (30, 50)
    assert list(Municipality.objects.qualifying()) == [bezirk]
    assert bezirk.progress().threshold == 30


def test_threshold_is_data_the_ministry_can_change():
    gemeinde = MunicipalityFactory(kind=Kind.MARKT)
    ProcedureLinkFactory.create_batch(45, municipality=gemeinde)
    assert not Municipality.objects.qualifying().exists()

    Threshold.objects.filter(kind=Kind.MARKT).update(minimum=45)

    assert list(Municipality.objects.qualifying()) == [gemeinde]


def test_counting_every_kommune_costs_the_same_queries_however_many_there_are():
    def queries_for_all() -> int:
        with CaptureQueriesContext(connection) as context:
            rows = list(Municipality.objects.with_progress())
            assert all(row.procedure_count >= 0 for row in rows)
        return len(context)

    for municipality in MunicipalityFactory.create_batch(2):
        ProcedureLinkFactory.create_batch(2, municipality=municipality)
    few = queries_for_all()
    for municipality in MunicipalityFactory.create_batch(30):
        ProcedureLinkFactory.create_batch(3, municipality=municipality)
    many = queries_for_all()

    assert few == many == 1


def test_progress_of_one_kommune_is_the_annotated_counting_rule(kommune):
    ProcedureLinkFactory.create_batch(4, municipality=kommune)
    row = Municipality.objects.with_progress().get(pk=kommune.pk)

    progress = kommune.progress()

    # The annotations no longer shadow methods of the same name.
    assert (row.procedure_count, row.threshold) == (progress.count, progress.threshold) == (4, 50)
    assert (progress.missing, progress.reached) == (46, False)


def test_below_threshold_counts_each_kommune_only_as_deep_as_the_largest_threshold():
    Threshold.objects.update_or_create(kind=Kind.STADT, defaults={"minimum": 55})
    Threshold.objects.update_or_create(kind=Kind.MARKT, defaults={"minimum": 3})
    kommunen = {}
    for name, kind, active, inactive in [
        ("markt below", Kind.MARKT, 2, 4),  # inactive links do not lift it
        ("markt at its threshold", Kind.MARKT, 3, 0),
        ("stadt below", Kind.STADT, 54, 0),  # above the default of 50, below its own 55
        ("stadt past the largest threshold", Kind.STADT, 60, 0),
        ("markt without links", Kind.MARKT, 0, 0),
    ]:
        kommunen[name] = MunicipalityFactory(name=name, kind=kind)
        ProcedureLinkFactory.create_batch(active, municipality=kommunen[name])
        ProcedureLinkFactory.create_batch(inactive, municipality=kommunen[name], active=False)
    reference = Municipality.objects.with_progress().filter(procedure_count__lt=F("threshold"))

    with CaptureQueriesContext(connection) as context:
        below = set(Municipality.objects.below_threshold().values_list("name", flat=True))

    assert below == {"markt below", "stadt below", "markt without links"}
    assert below == set(reference.values_list("name", flat=True))
    assert len(context) == 2  # the largest threshold, then the Kommunen
    assert "LIMIT 55" in context.captured_queries[-1]["sql"]
