import datetime
import gzip
import json
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from awards import demo, demo_source
from awards.models import Application, Award
from municipalities.constants import LAND_ARS, Kind, SourceCoverage
from municipalities.models import (
    CountSnapshot,
    Membership,
    Municipality,
    ProcedureLink,
    SourceRecord,
    SourceSync,
)
from tests.helpers import rolled_back_at_the_end


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """Seed once for the module, in a transaction the tests roll back to and that ends undone."""
    with django_db_blocker.unblock(), rolled_back_at_the_end():
        # The submissions' mails and link checks run as after the seed's commit.
        with override_settings(DEBUG=True), TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield


@pytest.fixture
def awards_in_order(demo_data, db):
    return list(Award.objects.select_related("municipality").order_by("issued_on", "number"))


def test_seed_demo_refuses_to_run_with_debug_off(db):
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")

    assert not Award.objects.exists()


def test_first_seven_awards_of_28_july_2021(awards_in_order):
    first = awards_in_order[:7]

    assert [award.number for award in first] == [f"DA-2021-000{n}" for n in range(1, 8)]
    assert {award.issued_on for award in first} == {datetime.date(2021, 7, 28)}
    assert [award.municipality.ars for award in first] == demo.FIRST_SEVEN
    assert first[0].municipality.name == "Nürnberg"


def test_milestones_of_the_published_history(awards_in_order):
    hundredth, two_hundredth = awards_in_order[99], awards_in_order[199]
    bezirke = [award for award in awards_in_order if award.municipality.kind == Kind.BEZIRK]

    assert hundredth.municipality.ars == demo.VG_IPHOFEN
    assert (hundredth.issued_on.year, hundredth.issued_on.month) == (2022, 7)
    assert two_hundredth.municipality.title == "Markt Hösbach"
    assert (two_hundredth.issued_on.year, two_hundredth.issued_on.month) == (2023, 2)
    assert bezirke[0].municipality.ars == demo.BEZIRK_UNTERFRANKEN
    assert bezirke[0].issued_on == datetime.date(2023, 4, 19)
    assert sum(award.issued_on.year <= 2023 for award in awards_in_order) == 400


def test_numbers_run_without_gaps_within_each_year_in_date_order(awards_in_order):
    by_year: dict[int, list[int]] = {}
    for award in awards_in_order:
        year, sequence = award.number.split("-")[1:]
        assert int(year) == award.issued_on.year
        by_year.setdefault(int(year), []).append(int(sequence))

    for sequences in by_year.values():
        assert sequences == list(range(1, len(sequences) + 1))


def test_top_counts_and_a_believable_spread(awards_in_order):
    at_award = {award.municipality.ars: award.procedure_count for award in awards_in_order}
    counts = sorted(at_award.values())

    assert at_award[demo.ERLANGEN] == 339 == counts[-1]
    assert at_award[demo.NUERNBERG] == 290
    assert at_award[demo.LANDKREIS_REGENSBURG] == 242
    assert at_award[demo.MUENCHEN] == 236
    ordinary = [a.procedure_count for a in awards_in_order if a.municipality.kind != Kind.BEZIRK]
    assert min(ordinary) >= 50
    assert sum(50 <= count <= 340 for count in ordinary) == len(ordinary)


def test_live_counts_follow_the_counting_rule_and_some_kommunen_are_just_below(demo_data, db):
    live = {m.ars: m for m in Municipality.objects.with_progress().filter(procedure_count__gt=0)}
    holders = set(Award.objects.values_list("municipality__ars", flat=True))
    near = [m for ars, m in live.items() if ars not in holders and 40 <= m.procedure_count < 50]

    assert live[demo.ERLANGEN].procedure_count == 339
    assert len(near) == demo.NEAR_THRESHOLD
    at_risk = [ars for ars in holders if live[ars].procedure_count < live[ars].threshold]
    assert len(at_risk) == demo.AT_RISK


def test_procedures_mix_kommunal_and_zentral_on_example_hosts(demo_data, db):
    scopes = Counter(ProcedureLink.objects.values_list("scope", flat=True))
    hosts = {
        url.split("/")[2] for url in ProcedureLink.objects.values_list("url", flat=True)[:5000]
    }

    assert scopes["kommunal"] > 0.3 * sum(scopes.values())
    assert scopes["zentral"] > 0.2 * sum(scopes.values())
    assert all(host.endswith(".example") for host in hosts)
    assert ProcedureLink.services.through.objects.count() > ProcedureLink.objects.count()


def test_demo_logins_reviewer_and_one_clerk_per_kommune(demo_data, db):
    reviewer = authenticate(username="pruefer", password=demo.DEMO_PASSWORD)
    clerk = authenticate(username="nuernberg", password=demo.DEMO_PASSWORD)

    assert reviewer is not None and reviewer.is_staff and not reviewer.is_superuser
    assert clerk is not None and not clerk.is_staff
    assert clerk.membership.municipality.ars == demo.NUERNBERG
    demo_kommunen = Municipality.objects.filter(procedure_links__isnull=False).distinct().count()
    assert Membership.objects.count() == demo_kommunen
    assert authenticate(username="vg-iphofen", password=demo.DEMO_PASSWORD) is not None


def test_seed_demo_refuses_a_database_with_awards_and_if_empty_skips(demo_data, db):
    with override_settings(DEBUG=True), pytest.raises(CommandError, match="Auszeichnungen"):
        call_command("seed_demo")
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--if-empty", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Award.objects.count() == 450


def test_demo_staff_have_the_demo_app_and_every_start_prints_its_key(demo_data, db):
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--if-empty", stdout=out)

    for username, group in (
        (demo.REVIEWER_USERNAME, "Prüfung"),
        (demo.ADMIN_USERNAME, "Administration"),
    ):
        user = get_user_model().objects.get(username=username)
        assert user.is_staff and user.groups.filter(name=group).exists()
        (device,) = TOTPDevice.objects.filter(user=user)
        assert device.key == demo.DEMO_TOTP_KEY and device.confirmed
    printed = out.getvalue()
    assert "pruefer (Prüfung), verwaltung (Administration)" in printed
    assert "IRUWO2LUMFWGK4ZNIFWXILKEMVWW6IJS" in printed
    assert (
        "otpauth://totp/Digitales%20Amt%3Apruefer?secret=IRUWO2LUMFWGK4ZNIFWXILKEMVWW6IJS"
        in printed
    )


PAGE_KEYS = {
    "content",
    "totalPages",
    "totalElements",
    "number",
    "size",
    "numberOfElements",
    "first",
    "last",
    "empty",
}
RECORD_KEYS = {
    "leika_key",
    "leika_name",
    "leika_bezeichnung",
    "ars",
    "ars_name",
    "ars_federal_state",
    "bundesland",
    "ozgid",
    "ozg_bezeichnung",
    "url",
    "online_status",
    "aktiv",
    "art_flaechendeckung",
}


def test_the_shipped_source_dump_is_what_the_demo_data_generate(demo_data, db):
    built = demo_source.build_source_dump()

    assert built == demo_source.build_source_dump()  # deterministic
    assert built == demo_source.DEMO_SOURCE_DUMP.read_bytes()  # and up to date
    assert len(built) < 300_000  # small enough to ship


def test_the_source_dump_is_in_the_apis_documented_page_format(demo_data, db):
    pages = json.loads(gzip.decompress(demo_source.DEMO_SOURCE_DUMP.read_bytes()))
    records = [record for page in pages for record in page["content"]]

    for page in pages:
        assert set(page) == PAGE_KEYS
        assert page["numberOfElements"] == len(page["content"]) <= page["size"] == 100
        assert page["first"] == (page["number"] == 0)
        assert page["last"] == (page["number"] == page["totalPages"] - 1)
    assert all(set(record) == RECORD_KEYS for record in records)
    assert {record["ars_federal_state"] for record in records} == {"09"}
    assert {record["bundesland"] for record in records} == {"Bayern"}
    assert {record["online_status"] for record in records} == {"ok", "nicht ok"}
    assert all(len(record["leika_key"]) == 14 for record in records)
    central = [record for record in records if record["ars"] == LAND_ARS]
    assert central and {r["art_flaechendeckung"] for r in central} == {"landesweit flächendeckend"}
    assert {record["ars"] for record in records} - {LAND_ARS} == {
        m.ars for m in demo_source.dump_kommunen()
    }


def test_seed_demo_loads_the_source_dump_and_a_count_history(demo_data, db):
    synced = set(SourceSync.objects.values_list("municipality__ars", flat=True))
    today = CountSnapshot.objects.order_by("-day").values_list("day", flat=True).first()
    counts = {
        ars: (own, confirmed)
        for ars, own, confirmed in CountSnapshot.objects.filter(day=today).values_list(
            "municipality__ars", "own_count", "confirmed_count"
        )
    }

    assert {demo.NUERNBERG, demo.MARKT_HOESBACH, demo.ERLANGEN} <= synced
    queued = set(Application.objects.values_list("municipality__ars", flat=True))
    assert queued and queued <= synced  # the reviewer's desk has a second witness
    assert SourceRecord.objects.filter(
        municipality__isnull=True, coverage=SourceCoverage.LAND
    ).exists()
    own, confirmed = counts[demo.NUERNBERG]
    assert own == 290 and 0.6 * own < confirmed < own  # confirmed and unconfirmed links
    assert len(counts) == Municipality.objects.count()  # every Kommune recounted today
    unsynced = [ars for ars, (own, _c) in counts.items() if own and ars not in synced]
    assert unsynced and all(counts[ars][1] is None for ars in unsynced)
    months = CountSnapshot.objects.filter(municipality__ars=demo.MARKT_HOESBACH).order_by("day")
    assert months.first().day < datetime.date(2023, 2, 1)  # back before its award
    assert months.filter(confirmed_count__isnull=False).count() > 6
