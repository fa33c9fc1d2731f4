"""`sync_procedures` against a loopback stand-in of the federal dashboard, and the scope rule."""

import gzip
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from digitalesamt.lib import dashboard
from municipalities import sources
from municipalities.confirmation import confirmed_count, confirmed_links, with_confirmed_count
from municipalities.constants import LAND_ARS, Kind, Scope, SourceCoverage
from municipalities.models import (
    CountSnapshot,
    Municipality,
    ProcedureLink,
    SourceRecord,
    SourceSync,
)
from municipalities.sources import SourceSyncer
from municipalities.tasks import sync_source_records
from municipalities.validation import clean_procedure_url
from tests.dashboard_server import record, serve
from tests.factories import MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import count_queries

LAND = "landesweit flächendeckend"


@pytest.fixture
def server(settings, monkeypatch):
    monkeypatch.setattr(dashboard, "sleep", lambda seconds: None)
    for running in serve():
        settings.OZG_DASHBOARD_URL = running.url
        settings.OZG_DASHBOARD_ALLOW_PRIVATE = True
        settings.OZG_DASHBOARD_DELAY = 0
        settings.OZG_DASHBOARD_TIMEOUT = 2
        settings.OZG_DASHBOARD_RETRIES = 1
        yield running


@pytest.fixture
def landkreis(db):
    return MunicipalityFactory(name="Aschaffenburg", kind=Kind.LANDKREIS, ars="096710000000")


@pytest.fixture
def gemeinde(kommune, landkreis):
    kommune.landkreis = landkreis
    kommune.save()
    return kommune


def central(number: int, **fields) -> dict:
    fields.setdefault("art_flaechendeckung", LAND)
    return record(LAND_ARS, number, url=f"https://www.freistaat.example/dienst-{number}", **fields)


def publish(server, gemeinde, landkreis, *, own: int = 3) -> None:
    """The Gemeinde's records and, above it, the Landkreis', the Land's and a Hessian one."""
    server.records[gemeinde.ars] = [record(gemeinde.ars, n) for n in range(own)]
    server.records[landkreis.ars] = [record(landkreis.ars, n) for n in range(2)]
    land = [central(1), central(2), central(3, art_flaechendeckung="bundesweit flächendeckend")]
    server.above[gemeinde.ars] = [*server.records[landkreis.ars], *land, record("064120000000")]
    server.above[landkreis.ars] = land


def sync(*args: str) -> str:
    out = io.StringIO()
    call_command("sync_procedures", *args, stdout=out, stderr=out)
    return out.getvalue()


def keys(queryset) -> set[str]:
    return set(queryset.values_list("url_key", flat=True))


def test_each_record_is_stored_by_the_scope_rule(server, gemeinde, landkreis):
    publish(server, gemeinde, landkreis)

    output = sync("--ars", gemeinde.ars)

    own = SourceRecord.objects.filter(municipality=gemeinde)
    assert keys(own) == {f"dienste.example/{gemeinde.ars}/antrag-{n}" for n in range(3)}
    assert set(own.values_list("ars", flat=True)) == {gemeinde.ars}
    # The Landkreis' records above the Gemeinde are the Landkreis', never the Gemeinde's.
    assert keys(SourceRecord.objects.filter(municipality=landkreis)) == {
        f"dienste.example/{landkreis.ars}/antrag-{n}" for n in range(2)
    }
    # Land-wide records at the Land's ARS are central; a nation-wide one there is not stored.
    central_records = SourceRecord.objects.filter(municipality__isnull=True)
    assert keys(central_records) == {
        "www.freistaat.example/dienst-1",
        "www.freistaat.example/dienst-2",
    }
    assert set(central_records.values_list("coverage", flat=True)) == {SourceCoverage.LAND}
    assert SourceRecord.objects.count() == 3 + 2 + 2  # the Hessian record is left out
    stored = own.get(url_key__endswith="antrag-0")
    assert (stored.online, stored.active, stored.ozg_id) == (True, True, 1000)
    assert stored.leika_name == "Leistung 0"
    assert stored.coverage == SourceCoverage.KOMMUNE
    state = SourceSync.objects.get(municipality=gemeinde)
    assert (state.records, state.error) == (3, "")
    assert state.synced_at is not None
    assert "[1/1] Markt Hösbach (096710000001): 3 Einträge" in output
    assert "Kommunen abgeglichen: 1, Einträge: 3, geändert: 1, fehlgeschlagen: 0" in output
    assert (
        "Zentrale Verfahren des Freistaats: 2; bei übergeordneten Kommunen gespeichert: 2" in output
    )
    assert "1 Einträge anderer Länder, 1 außerhalb des Verzeichnisses" in output


def test_only_links_the_source_knows_in_their_scope_are_confirmed(server, gemeinde, landkreis):
    publish(server, gemeinde, landkreis)
    sync("--ars", gemeinde.ars)
    link = ProcedureLinkFactory
    # Own, in another spelling: stored canonical, as every form and import does.
    spelt = clean_procedure_url(f"http://Dienste.example:80/{gemeinde.ars}/antrag-0/")
    link(municipality=gemeinde, url=spelt)
    link(municipality=gemeinde, url=f"https://dienste.example/{gemeinde.ars}/antrag-1")  # own
    link(
        municipality=gemeinde, url=f"https://dienste.example/{gemeinde.ars}/antrag-2", active=False
    )
    link(municipality=gemeinde, url=f"https://dienste.example/{landkreis.ars}/antrag-0")  # Kreis
    link(municipality=gemeinde, url="https://www.freistaat.example/dienst-1", scope=Scope.ZENTRAL)
    link(municipality=gemeinde, url="https://www.freistaat.example/dienst-2")  # kommunal: no
    link(municipality=gemeinde, url="https://www.freistaat.example/dienst-3", scope=Scope.ZENTRAL)
    link(municipality=gemeinde, url="https://amt.example/unbekannt")

    assert confirmed_count(gemeinde) == 3
    assert keys(confirmed_links(gemeinde)) == {
        f"dienste.example/{gemeinde.ars}/antrag-0",
        f"dienste.example/{gemeinde.ars}/antrag-1",
        "www.freistaat.example/dienst-1",
    }
    # The Landkreis' own link to its record is confirmed for the Landkreis.
    link(municipality=landkreis, url=f"https://dienste.example/{landkreis.ars}/antrag-1")
    with count_queries() as queries:
        counts = dict(
            with_confirmed_count(Municipality.objects.all()).values_list("ars", "confirmed_count")
        )
    assert counts == {gemeinde.ars: 3, landkreis.ars: 1}
    assert len(queries.own) == 1


def test_a_second_sync_replaces_the_records_and_keeps_the_clerks_list(server, gemeinde, landkreis):
    publish(server, gemeinde, landkreis, own=3)
    sync("--ars", gemeinde.ars)
    clerks = ProcedureLinkFactory(municipality=gemeinde, url="https://amt.example/eigenes")
    server.records[gemeinde.ars] = [
        record(gemeinde.ars, 1, online_status="nicht ok"),
        record(gemeinde.ars, 7, aktiv="nein"),
    ]

    output = sync("--ars", gemeinde.ars)

    own = SourceRecord.objects.filter(municipality=gemeinde)
    assert sorted(own.values_list("url_key", "online", "active")) == [
        (f"dienste.example/{gemeinde.ars}/antrag-1", False, True),
        (f"dienste.example/{gemeinde.ars}/antrag-7", True, False),
    ]
    assert SourceRecord.objects.filter(municipality__isnull=True).count() == 2  # no duplicates
    assert "geändert: 1" in output
    assert list(ProcedureLink.objects.filter(municipality=gemeinde)) == [clerks]

    assert "geändert: 0" in sync("--ars", gemeinde.ars)


def test_an_ars_without_records_is_synced_empty(server, gemeinde, landkreis):
    publish(server, gemeinde, landkreis)
    sync("--ars", gemeinde.ars)
    server.records[gemeinde.ars] = []

    output = sync("--ars", gemeinde.ars)

    assert not SourceRecord.objects.filter(municipality=gemeinde).exists()
    assert SourceSync.objects.get(municipality=gemeinde).records == 0
    assert "Markt Hösbach (096710000001): 0 Einträge" in output


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("500", "HTTP 500 vom Dienst"),
        ("timeout", "Zeitüberschreitung nach 0,3 s"),
        ("malformed", "ungültigem JSON"),
        ("html", "nicht mit JSON"),
        ("total-pages", "widersprechen sich"),
        ("oversized", "101 Einträge bei einer Seitengröße von 100"),
    ],
)
def test_a_failing_page_keeps_the_old_records_and_the_run_goes_on(
    server, gemeinde, landkreis, other_kommune, settings, fault, message
):
    settings.OZG_DASHBOARD_TIMEOUT = 0.3
    server.hang = 1
    publish(server, gemeinde, landkreis, own=2)
    server.records[other_kommune.ars] = [record(other_kommune.ars, 0)]
    sync("--ars", gemeinde.ars)
    before = SourceSync.objects.get(municipality=gemeinde)
    old = keys(SourceRecord.objects.filter(municipality=gemeinde))
    # Now 150 records, and page 1 fails: page 0 arrived but must not be stored alone.
    server.records[gemeinde.ars] = [record(gemeinde.ars, n) for n in range(100, 250)]
    server.faults[(gemeinde.ars, 1)] = fault

    failed = "1 Kommune konnte nicht abgeglichen werden; ihre alten Daten bleiben"
    with pytest.raises(CommandError, match=failed):
        sync("--ars", gemeinde.ars, other_kommune.ars)

    assert keys(SourceRecord.objects.filter(municipality=gemeinde)) == old
    state = SourceSync.objects.get(municipality=gemeinde)
    assert message in state.error
    assert state.synced_at == before.synced_at
    assert state.records == 2
    assert state.attempted_at > before.attempted_at
    # The next Kommune is synced all the same.
    assert SourceRecord.objects.filter(municipality=other_kommune).count() == 1


def test_records_without_a_valid_url_or_leika_key_are_skipped_and_counted(
    server, gemeinde, landkreis
):
    server.records[gemeinde.ars] = [
        record(gemeinde.ars, 1),
        record(gemeinde.ars, 2, url="javascript:alert(1)"),
        record(gemeinde.ars, 3, url="https://user:geheim@amt.example/x"),
        record(gemeinde.ars, 4, url=None),
        record(gemeinde.ars, 5, leika_key="123"),
        record(gemeinde.ars, 1),  # the same record twice: stored once
    ]

    output = sync("--ars", gemeinde.ars)

    assert SourceRecord.objects.filter(municipality=gemeinde).count() == 1
    assert "4 ohne gültige URL oder LeiKa-Schlüssel" in output


def test_an_unknown_ars_is_refused(server, db):
    with pytest.raises(CommandError, match="Keine Kommune mit dem Regionalschlüssel 099999999999"):
        sync("--ars", "099999999999")


def test_an_interrupted_run_resumes_with_the_kommunen_not_yet_synced(
    server, gemeinde, landkreis, other_kommune, monkeypatch
):
    publish(server, gemeinde, landkreis)
    server.records[other_kommune.ars] = [record(other_kommune.ars, n) for n in range(2)]
    pages = dashboard.DashboardClient.pages
    fetched: list[str] = []

    def interrupted(self, ars, **kwargs):
        fetched.append(ars)
        if len(fetched) == 2:
            raise KeyboardInterrupt
        return pages(self, ars, **kwargs)

    monkeypatch.setattr(dashboard.DashboardClient, "pages", interrupted)
    with pytest.raises(CommandError, match="Abgebrochen"):
        sync()

    # In ARS order: the Landkreis first, then the Gemeinde (interrupted), then the other one
    # (perhaps fetched ahead, never stored).
    assert fetched[:2] == [landkreis.ars, gemeinde.ars]
    assert list(SourceSync.objects.filter(synced_at__isnull=False)) == [
        SourceSync.objects.get(municipality=landkreis)
    ]
    assert not SourceRecord.objects.filter(municipality=other_kommune).exists()
    assert not SourceRecord.objects.filter(municipality=gemeinde).exists()

    monkeypatch.setattr(dashboard.DashboardClient, "pages", pages)
    server.seen.clear()
    output = sync()

    assert server.requests_for(landkreis.ars) == []  # synced in the run before
    assert "übersprungen: 1 kürzlich abgeglichene Kommunen" in output
    assert "Kommunen abgeglichen: 2" in output
    assert SourceRecord.objects.filter(municipality=gemeinde).count() == 3
    assert SourceRecord.objects.filter(municipality=other_kommune).count() == 2

    # --force syncs them all again.
    assert "Kommunen abgeglichen: 3" in sync("--force")


def test_a_sync_older_than_the_fresh_hours_is_done_again(server, gemeinde, landkreis, settings):
    settings.OZG_SYNC_FRESH_HOURS = 2
    publish(server, gemeinde, landkreis)
    sync()
    SourceSync.objects.filter(municipality=gemeinde).update(
        synced_at=timezone.now() - timedelta(hours=3)
    )

    output = sync()

    assert "Kommunen abgeglichen: 1" in output
    assert "übersprungen: 1 kürzlich abgeglichene" in output


def test_a_complete_run_drops_central_records_the_source_no_longer_has(server, gemeinde, landkreis):
    publish(server, gemeinde, landkreis)
    sync()
    server.above[gemeinde.ars] = [central(1)]
    server.above[landkreis.ars] = [central(1)]

    sync("--force")

    assert keys(SourceRecord.objects.filter(municipality__isnull=True)) == {
        "www.freistaat.example/dienst-1"
    }


def test_a_json_dump_is_read_like_the_api(tmp_path, gemeinde, landkreis, db):
    pages = [
        {"content": [record(gemeinde.ars, 0), record(gemeinde.ars, 1)], "number": 0, "last": False},
        {"content": [central(1), record(landkreis.ars, 0), record("064120000000")], "last": True},
    ]
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps(pages), encoding="utf-8")

    output = sync("--file", str(dump))

    assert SourceRecord.objects.filter(municipality=gemeinde).count() == 2
    assert SourceRecord.objects.filter(municipality=landkreis).count() == 1
    assert SourceRecord.objects.filter(municipality__isnull=True).count() == 1
    assert "Kommunen abgeglichen: 2" in output
    assert "1 Einträge anderer Länder" in output


def test_a_gzipped_dump_is_read_like_a_plain_one(tmp_path, gemeinde, db):
    dump = tmp_path / "dump.json.gz"
    page = {"content": [record(gemeinde.ars, 0), central(1)], "last": True}
    dump.write_bytes(gzip.compress(json.dumps(page).encode()))

    sync("--file", str(dump))

    assert SourceRecord.objects.filter(municipality=gemeinde).count() == 1
    assert SourceRecord.objects.filter(municipality__isnull=True).count() == 1


def test_a_file_beyond_the_limit_is_refused_packed_or_not(tmp_path, gemeinde, settings):
    page = json.dumps({"content": [record(gemeinde.ars, n) for n in range(20)]}).encode()
    settings.OZG_SOURCE_FILE_MAX_BYTES = len(page) - 1
    plain, packed = tmp_path / "dump.json", tmp_path / "dump.json.gz"
    plain.write_bytes(page)
    packed.write_bytes(gzip.compress(page))
    assert packed.stat().st_size < settings.OZG_SOURCE_FILE_MAX_BYTES

    for path in (plain, packed):
        with pytest.raises(CommandError, match="Die Datei ist größer als"):
            sync("--file", str(path))
    assert not SourceRecord.objects.exists()


def test_each_sync_stores_todays_count_of_the_kommunen_it_synced(
    server, tmp_path, gemeinde, landkreis, other_kommune
):
    publish(server, gemeinde, landkreis)
    ProcedureLinkFactory(
        municipality=gemeinde, url=f"https://dienste.example/{gemeinde.ars}/antrag-0"
    )
    ProcedureLinkFactory(municipality=gemeinde, url="https://amt.example/eigenes")

    sync("--ars", gemeinde.ars)

    today = CountSnapshot.objects.get(municipality=gemeinde)
    assert (today.day, today.own_count, today.confirmed_count) == (timezone.localdate(), 2, 1)
    assert not CountSnapshot.objects.filter(municipality=other_kommune).exists()  # not synced
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps([record(other_kommune.ars, 0)]), encoding="utf-8")
    sync("--file", str(dump))
    assert CountSnapshot.objects.get(municipality=other_kommune).confirmed_count == 0


def test_a_single_page_and_only_the_named_kommune_from_a_file(tmp_path, gemeinde, landkreis, db):
    page = {"content": [record(gemeinde.ars, 0), record(landkreis.ars, 0)], "last": True}
    dump = tmp_path / "page.json"
    dump.write_text(json.dumps(page), encoding="utf-8")

    sync("--file", str(dump), "--ars", gemeinde.ars)

    assert SourceSync.objects.get(municipality=gemeinde).records == 1
    assert not SourceSync.objects.filter(municipality=landkreis).exists()
    # Above the named Gemeinde: stored under the Landkreis, which was not synced itself.
    assert SourceRecord.objects.filter(municipality=landkreis).count() == 1


def test_the_apis_csv_download_is_read(tmp_path, gemeinde, db):
    rows = [record(gemeinde.ars, 0), central(1), record(gemeinde.ars, 1, ozgid="")]
    columns = list(rows[0])
    lines = [";".join(columns)] + [";".join(str(row[c]) for c in columns) for row in rows]
    download = tmp_path / "daten.csv"
    download.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))

    sync("--file", str(download))

    own = SourceRecord.objects.filter(municipality=gemeinde).order_by("url_key")
    assert [record.ozg_id for record in own] == [1000, None]
    assert SourceRecord.objects.filter(municipality__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"content": [', "Die JSON-Datei ist fehlerhaft"),
        (b"[1, 2]", "keine Einträge der Bundesdaten"),
        (b"ars;titel\n09;x\n", "fehlen die Spalten leika_key, url"),
        (b"\x1f\x8b\x08\x00kaputt", "gepackte Datei"),
    ],
)
def test_an_unreadable_file_is_refused(tmp_path, db, content, message):
    path = tmp_path / "kaputt.txt"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        sync("--file", str(path))

    assert not SourceRecord.objects.exists()


@pytest.mark.parametrize("size", [5, 60])
def test_storing_a_kommune_takes_the_same_queries_at_any_size(gemeinde, landkreis, size):
    syncer = SourceSyncer()
    fetched = [record(gemeinde.ars, n) for n in range(size)]
    fetched += [central(n) for n in range(size)] + [record(landkreis.ars, n) for n in range(size)]
    syncer.store(gemeinde, fetched[:1])  # the Kommune has records before

    with count_queries() as queries:
        syncer.store(gemeinde, fetched)

    # Stored before: select, delete, insert; central and Landkreis: select, insert each;
    # the SourceSync: one upsert.
    assert len(queries.own) == 8


def test_the_nightly_task_syncs_every_kommune_in_batches(
    server, gemeinde, landkreis, other_kommune, settings
):
    settings.OZG_SYNC_BATCH_SIZE = 1
    publish(server, gemeinde, landkreis)
    server.faults[(other_kommune.ars, 0)] = "500"  # tried once in the night, not for ever

    sync_source_records.enqueue()

    assert SourceSync.objects.filter(synced_at__isnull=False).count() == 2
    assert SourceSync.objects.get(municipality=other_kommune).error != ""
    assert len(server.requests_for(other_kommune.ars)) == 2  # one retry
    assert SourceRecord.objects.filter(municipality=gemeinde).count() == 3


def test_queue_enqueues_the_task(server, gemeinde, landkreis):
    publish(server, gemeinde, landkreis)

    output = sync("--queue")

    assert "Abgleich als Hintergrundaufgabe eingereiht." in output
    assert SourceSync.objects.filter(synced_at__isnull=False).count() == 2  # immediate backend


def test_the_stored_records_are_the_mapped_ones():
    raw = record("096710000001", 4, art_flaechendeckung="kreisweit flächendeckend", aktiv="nein")

    mapped = sources.map_record(raw)

    assert mapped["coverage"] == SourceCoverage.KREIS
    assert mapped["active"] is False
    assert mapped["url"] == "https://dienste.example/096710000001/antrag-4"
