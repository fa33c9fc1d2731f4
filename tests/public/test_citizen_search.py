"""The citizen's search on / finds what people type (issue 13), on the whole real register.

The shipped register (2,445 Kommunen) is imported once for the module with the shipped sample
of postal codes, and every Kommune holds an award: the search-quality table below then asks
for the first hit of each query as a citizen types it, on whatever database the suite runs.
"""

import datetime
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse

from awards.models import Award
from digitalesamt.lib.cache import memory
from municipalities.constants import Kind
from municipalities.importing.postcodes import SAMPLE_POSTCODES, import_postcodes
from municipalities.importing.register import import_register
from municipalities.models import Municipality
from tests.helpers import count_queries, rolled_back_at_the_end

HOME = reverse("awards:home")
FIRST_ROW = re.compile(
    r'public-table__name" scope="row">\s*<a class="kern-link" href="[^"]+">([^<]+)</a>'
)


@pytest.fixture(scope="module")
def full_register(django_db_setup, django_db_blocker):
    """All Kommunen of the shipped register, the postal-code sample, an award for every one."""
    with django_db_blocker.unblock(), rolled_back_at_the_end():
        import_register()
        import_postcodes(SAMPLE_POSTCODES)
        Award.objects.bulk_create(
            Award(
                municipality_id=pk,
                number=f"DA-2021-{position + 1:04d}",
                issued_on=datetime.date(2021, 7, 28),
                procedure_count=50,
            )
            for position, pk in enumerate(
                Municipality.objects.order_by("ars").values_list("pk", flat=True)
            )
        )
        yield


@pytest.fixture
def everyone(full_register, db):
    cache.clear()
    memory.clear()
    yield
    cache.clear()
    memory.clear()


def search(client, term: str) -> str:
    response = client.get(HOME, {"q": term})
    assert response.status_code == 200
    return response.content.decode()


def first_hit(content: str) -> str:
    hits = FIRST_ROW.findall(content)
    assert hits, "no result"
    return unescape(hits[0])


QUALITY = [
    # postal codes: every code of the Kommune (the sample), not only the seat's
    ("80331", "Landeshauptstadt München"),
    ("80333", "Landeshauptstadt München"),
    ("90402", "Stadt Nürnberg"),
    ("90403", "Stadt Nürnberg"),
    ("96450", "Stadt Coburg"),
    # umlauts and ß typed as two letters, and the other way round
    ("Muenchen", "Landeshauptstadt München"),
    ("Wuerzburg", "Stadt Würzburg"),
    ("Hoesbach", "Markt Hösbach"),
    ("Grossostheim", "Markt Großostheim"),
    ("Großostheim", "Markt Großostheim"),
    # case, hyphens and punctuation
    ("MÜNCHEN", "Landeshauptstadt München"),
    ("münchen", "Landeshauptstadt München"),
    ("hösbach", "Markt Hösbach"),
    ("Neunburg vorm Wald", "Stadt Neunburg vorm Wald"),
    ("Neunburg-vorm-Wald", "Stadt Neunburg vorm Wald"),
    ("Aschau i. Chiemgau", "Gemeinde Aschau i.Chiemgau"),
    # one typo in a word of five letters or more: left out, swapped, changed
    ("Muenchn", "Landeshauptstadt München"),
    ("Nürnbreg", "Stadt Nürnberg"),
    ("Bamberk", "Stadt Bamberg"),
    # prefix
    ("Rödent", "Stadt Rödental"),
    # a Kommune's own name first, a title word for the kind
    ("Coburg", "Stadt Coburg"),
    ("Landkreis Coburg", "Landratsamt Coburg"),
    ("Markt Hösbach", "Markt Hösbach"),
    ("Oberfranken", "Bezirk Oberfranken"),
]


@pytest.mark.parametrize(("term", "expected"), QUALITY, ids=[term for term, _ in QUALITY])
def test_search_quality_first_hit(client, everyone, term, expected):
    assert first_hit(search(client, term)) == expected


def test_a_landkreis_named_is_offered_as_its_filter_above_the_results(client, everyone):
    landkreis = Municipality.objects.get(kind=Kind.LANDKREIS, name="Coburg")
    holders = Award.objects.valid().filter(
        municipality__in=Municipality.objects.in_landkreis(landkreis.pk)
    )

    for term in ("Coburg", "Landkreis Coburg"):
        content = search(client, term)

        text = f"{holders.count()} Digitale Ämter im Landkreis Coburg"
        link = f'href="{HOME}?landkreis={landkreis.ars}">{text}</a>'
        assert link in content
        assert content.index(link) < content.index('id="public-results-title"')


def test_a_regierungsbezirk_named_is_offered_as_its_filter(client, everyone):
    bezirk = Municipality.objects.get(kind=Kind.BEZIRK, name="Oberfranken")
    count = (
        Award.objects.valid()
        .filter(municipality__in=Municipality.objects.in_regierungsbezirk(bezirk.pk))
        .count()
    )

    content = search(client, "Oberfranken")

    assert (
        f'href="{HOME}?regierungsbezirk={bezirk.ars}">{count} Digitale Ämter in Oberfranken</a>'
        in content
    )


def test_a_search_at_full_size_reads_a_fixed_number_of_queries(client, everyone):
    for term in ("Muenchen", "80331", "Coburg"):
        cache.clear()
        memory.clear()
        with count_queries() as counted:
            search(client, term)
        # version, search index (names of all Kommunen), areas, count, page, members found,
        # Kommunen without the title, holders in all; a postal code looks up its Kommunen, a
        # Landkreis named counts its holders
        assert len(counted.own) <= 9, (term, counted.own)
