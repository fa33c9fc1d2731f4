"""revalidate_awards: recount every holder's live procedures and list those below the threshold."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from awards.models import Award
from municipalities.constants import Kind
from municipalities.models import Threshold
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory


@pytest.fixture(autouse=True)
def thresholds(db):
    Threshold.objects.update_or_create(kind=Kind.STADT, defaults={"minimum": 4})
    Threshold.objects.update_or_create(kind=Kind.BEZIRK, defaults={"minimum": 3})


def holder(name: str, kind: str, number: str, links: int, **award: object) -> Award:
    municipality = MunicipalityFactory(name=name, kind=kind)
    ProcedureLinkFactory.create_batch(links, municipality=municipality)
    return AwardFactory(municipality=municipality, number=number, **award)


def revalidate() -> list[str]:
    out = StringIO()
    call_command("revalidate_awards", stdout=out)
    return out.getvalue().splitlines()


def test_lists_exactly_the_holders_below_their_threshold():
    holder("Straubing", Kind.STADT, "DA-2021-0003", links=4)
    holder("Amberg", Kind.STADT, "DA-2021-0004", links=3)
    holder("Bamberg", Kind.STADT, "DA-2021-0006", links=1)
    holder("Unterfranken", Kind.BEZIRK, "DA-2023-0001", links=3)

    assert revalidate() == [
        "4 Träger geprüft, 2 unter dem Schwellenwert:",
        "  Stadt Amberg (DA-2021-0004): 3 von 4 Online-Verfahren",
        "  Stadt Bamberg (DA-2021-0006): 1 von 4 Online-Verfahren",
        # None was synced with the federal dashboard: the second check names no holder.
        "Laut Bundesdaten: 0 abgeglichen, 0 unter dem Schwellenwert, 4 nicht abgeglichen.",
    ]


def test_counts_a_url_once_and_only_active_links():
    award = holder("Amberg", Kind.STADT, "DA-2021-0004", links=3)
    ProcedureLinkFactory(municipality=award.municipality, active=False)

    assert revalidate()[1:] == [
        "  Stadt Amberg (DA-2021-0004): 3 von 4 Online-Verfahren",
        "Laut Bundesdaten: 0 abgeglichen, 0 unter dem Schwellenwert, 1 nicht abgeglichen.",
    ]


def test_revoked_awards_are_not_checked():
    holder("Straubing", Kind.STADT, "DA-2021-0003", links=4)
    holder(
        "Bamberg",
        Kind.STADT,
        "DA-2021-0006",
        links=0,
        revoked_at=timezone.now(),
        revocation_reason="Zu wenige Online-Verfahren",
    )

    assert revalidate() == [
        "1 Träger geprüft, 0 unter dem Schwellenwert.",
        "Laut Bundesdaten: 0 abgeglichen, 0 unter dem Schwellenwert, 1 nicht abgeglichen.",
    ]


def test_never_revokes_anything():
    at_risk = holder("Bamberg", Kind.STADT, "DA-2021-0006", links=0)

    revalidate()

    at_risk.refresh_from_db()
    assert (at_risk.revoked_at, at_risk.revocation_reason) == (None, "")
    assert list(Award.objects.holders_at_risk()) == [at_risk]


def test_agrees_with_holders_at_risk_and_needs_one_query():
    for index in range(6):
        holder(f"Stadt {index}", Kind.STADT, f"DA-2022-{index + 1:04d}", links=index)

    with CaptureQueriesContext(connection) as queries:
        lines = revalidate()

    assert len(queries) == 1
    listed = [line.split("(")[1].split(")")[0] for line in lines[1:-1]]
    assert listed == sorted(Award.objects.holders_at_risk().values_list("number", flat=True))
    assert lines[0] == "6 Träger geprüft, 4 unter dem Schwellenwert:"
