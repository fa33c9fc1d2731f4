"""Load a saved dump of the federal dashboard's pages into source records (the smallest loader).

A dump is what `GET v1/data/{ars}` answers, saved: one Spring page (`content`, `totalPages`,
`number`, `last` …) or a JSON list of such pages, as plain JSON or gzipped (`.gz`). Every
record is stored as a `SourceRecord` by its `ars`: the Kommune's own, or a central one at
LAND_ARS; records of other Länder and of ARS the register does not know are skipped. Each
Kommune whose ARS the dump holds is marked synced, its records replaced, all in one
transaction.

The demo loads its dump through this. `sync_procedures --file` does the same for the ministry,
with the client's checks of a page; the two are meant to become one.
"""

import datetime
import gzip
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from .constants import LAND_ARS, SourceCoverage
from .models import Municipality, SourceRecord, SourceSync
from .validation import count_key

BAVARIA = "09"
COVERAGE = {str(label): value for value, label in SourceCoverage.choices}


class SourceDumpError(ValueError):
    """The file is not a dump of the dashboard's pages."""


@dataclass(frozen=True)
class DumpSummary:
    kommunen: int
    records: int
    central: int
    skipped: int


def read_pages(path: Path) -> list[dict]:
    """Return the pages of a dump file (plain or gzipped JSON)."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceDumpError(f"not JSON: {error}") from None
    pages = data if isinstance(data, list) else [data]
    if not all(isinstance(page, dict) and isinstance(page.get("content"), list) for page in pages):
        raise SourceDumpError("every page needs a list `content`")
    return pages


def _record(row: dict, municipality: Municipality | None, fetched_at: datetime.datetime):
    url = str(row["url"]).strip()
    ozg_id = row.get("ozgid")
    return SourceRecord(
        municipality=municipality,
        ars=row["ars"],
        leika_key=str(row["leika_key"]),
        leika_name=str(row.get("leika_name") or "")[:500],
        ozg_id=int(ozg_id) if isinstance(ozg_id, int) or str(ozg_id or "").isdigit() else None,
        ozg_name=str(row.get("ozg_bezeichnung") or "")[:500],
        url=url,
        url_key=count_key(url),
        online=row.get("online_status") == "ok",
        active=row.get("aktiv", "ja") == "ja",
        coverage=COVERAGE.get(row.get("art_flaechendeckung", ""), ""),
        fetched_at=fetched_at,
    )


@transaction.atomic
def load_source_dump(path: Path, *, now: datetime.datetime | None = None) -> DumpSummary:
    """Store the dump's records, replacing those of the Kommunen (and the Land) it holds."""
    now = now or timezone.now()
    by_ars = Municipality.objects.in_bulk(field_name="ars")
    per_kommune: dict[int, dict[tuple[str, str], SourceRecord]] = defaultdict(dict)
    central: dict[tuple[str, str], SourceRecord] = {}
    skipped = 0
    for page in read_pages(path):
        for row in page["content"]:
            ars = str(row.get("ars", ""))
            if row.get("ars_federal_state", ars[:2]) != BAVARIA or not row.get("url"):
                skipped += 1
                continue
            if ars == LAND_ARS:
                record = _record(row, None, now)
                central[(record.url_key, record.leika_key)] = record
            elif ars in by_ars:
                record = _record(row, by_ars[ars], now)
                per_kommune[by_ars[ars].pk][(record.url_key, record.leika_key)] = record
            else:
                skipped += 1
    if central:
        SourceRecord.objects.filter(municipality__isnull=True).delete()
        SourceRecord.objects.bulk_create(central.values(), batch_size=1000)
    SourceRecord.objects.filter(municipality__in=list(per_kommune)).delete()
    SourceRecord.objects.bulk_create(
        [record for records in per_kommune.values() for record in records.values()],
        batch_size=1000,
    )
    SourceSync.objects.bulk_create(
        [
            SourceSync(
                municipality_id=pk,
                synced_at=now,
                attempted_at=now,
                records=len(records),
                error="",
            )
            for pk, records in per_kommune.items()
        ],
        update_conflicts=True,
        unique_fields=["municipality"],
        update_fields=["synced_at", "attempted_at", "records", "error"],
    )
    return DumpSummary(
        kommunen=len(per_kommune),
        records=sum(len(records) for records in per_kommune.values()),
        central=len(central),
        skipped=skipped,
    )
