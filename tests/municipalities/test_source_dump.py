"""The smallest loader of a saved dump of the dashboard's pages (municipalities.source_dump)."""

import gzip
import json

import pytest

from municipalities.constants import LAND_ARS, SourceCoverage
from municipalities.models import SourceRecord, SourceSync
from municipalities.source_dump import SourceDumpError, load_source_dump


def record(ars, url, **fields):
    return {
        "leika_key": "99010001000000",
        "leika_name": "Hundesteuer Anmeldung",
        "ars": ars,
        "ars_federal_state": ars[:2],
        "ozgid": 123,
        "ozg_bezeichnung": "Hundesteuer",
        "url": url,
        "online_status": "ok",
        "aktiv": "ja",
        "art_flaechendeckung": "in mind. einer Kommune verfügbar",
        **fields,
    }


def page(*records, number=0, last=True):
    return {"content": list(records), "number": number, "last": last, "totalPages": 1}


def write(tmp_path, data, *, gzipped=False):
    path = tmp_path / ("dump.json.gz" if gzipped else "dump.json")
    raw = json.dumps(data).encode()
    path.write_bytes(gzip.compress(raw) if gzipped else raw)
    return path


def test_loads_kommunal_and_central_records_and_marks_the_kommune_synced(tmp_path, kommune):
    path = write(
        tmp_path,
        [
            page(record(kommune.ars, "http://hoesbach.example/hund/", online_status="nicht ok")),
            page(
                record(
                    LAND_ARS,
                    "https://freistaat.example/a",
                    art_flaechendeckung="landesweit flächendeckend",
                )
            ),
        ],
        gzipped=True,
    )

    summary = load_source_dump(path)

    own = SourceRecord.objects.get(municipality=kommune)
    assert (own.url_key, own.online, own.ozg_id) == ("hoesbach.example/hund", False, 123)
    central = SourceRecord.objects.get(municipality__isnull=True)
    assert central.coverage == SourceCoverage.LAND
    assert SourceSync.objects.get(municipality=kommune).records == 1
    assert (summary.kommunen, summary.records, summary.central) == (1, 1, 1)


def test_other_laender_and_unknown_ars_are_skipped_and_a_second_load_replaces(tmp_path, kommune):
    first = write(tmp_path, page(record(kommune.ars, "https://hoesbach.example/alt")))
    load_source_dump(first)
    second = write(
        tmp_path,
        page(
            record(kommune.ars, "https://hoesbach.example/neu"),
            record("051110000000", "https://duesseldorf.example/x"),
            record("099999999999", "https://unbekannt.example/y"),
        ),
    )

    summary = load_source_dump(second)

    assert list(SourceRecord.objects.values_list("url", flat=True)) == [
        "https://hoesbach.example/neu"
    ]
    assert summary.skipped == 2


def test_a_file_that_is_no_dump_is_refused(tmp_path, db):
    path = tmp_path / "dump.json"
    path.write_text('{"items": []}')

    with pytest.raises(SourceDumpError):
        load_source_dump(path)
    path.write_text("kein JSON")
    with pytest.raises(SourceDumpError):
        load_source_dump(path)
