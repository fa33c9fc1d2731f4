"""The demo's federal data: a saved source dump generated from the demo data, and a count history.

Demo data, not real federal data. `build_source_dump` writes, from a database that `seed_demo`
filled (seed 2021), what the dashboard's API would answer for the demo Kommunen a visitor meets
first (the first holders, the top counts, Markt Hösbach, the applications in the queue, those
ready or close to the threshold): for each most, not all, of its kommunal links and a few
services it has not linked, and the Freistaat's central procedures (at LAND_ARS, "landesweit
flächendeckend") that most of their zentral links point to, plus some nobody links. The
repo ships the result (DEMO_SOURCE_DUMP, `manage.py make_demo_source_dump` writes it again);
`seed_demo` loads it, records today's counts and a monthly history back before each award, so
that the reviewer's desk and the charts show something out of the box.
"""

import datetime
import gzip
import json
import random
from pathlib import Path

from django.db.models import F
from django.utils import timezone

from municipalities.constants import LAND_ARS, Scope, SourceCoverage
from municipalities.history import record_counts
from municipalities.importing.source_files import read_source_file
from municipalities.models import CountSnapshot, Municipality, ProcedureLink, Service
from municipalities.sources import SourceSyncer, SyncSummary

from .demo import (
    BEZIRK_UNTERFRANKEN,
    FIRST_SEVEN,
    MARKT_HOESBACH,
    TOP_COUNTS,
    VG_IPHOFEN,
    DemoPlan,
    slugify_ascii,
)
from .models import Application, Award

DEMO_SOURCE_DUMP = (
    Path(__file__).resolve().parent.parent / "municipalities" / "data" / "demo_source_dump.json.gz"
)
PAGE_SIZE = 100  # the API's default
KNOWN_SHARE = 0.85  # of a Kommune's links, how many the source knows
OFFLINE_SHARE = 0.05  # of the records, how many the source reports "nicht ok"
UNLINKED_PER_KOMMUNE = 4  # services in the source a Kommune has not linked
UNLINKED_CENTRAL = 15  # central procedures nobody in the demo links
NEAR_IN_DUMP = 10  # of the Kommunen close to the threshold, how many the dump holds
HISTORY_SYNCED_MONTHS = 12  # how far back the demo's confirmed counts go
# Every demo Kommune's history starts with the programme, so that a month's mean is over the
# same Kommunen throughout.
HISTORY_START = datetime.date(2021, 7, 1)


def dump_kommunen() -> list[Municipality]:
    """Return the demo Kommunen the dump holds, by ARS (a few queries on the seeded data)."""
    fixed = {*FIRST_SEVEN, *TOP_COUNTS, MARKT_HOESBACH, VG_IPHOFEN, BEZIRK_UNTERFRANKEN}
    counted = Municipality.objects.with_progress().filter(procedure_count__gt=0)
    holders = Award.objects.valid().values("municipality")
    chosen = {m.pk: m for m in counted.filter(ars__in=fixed)}
    chosen |= {m.pk: m for m in counted.filter(pk__in=Application.objects.values("municipality"))}
    chosen |= {
        m.pk: m for m in counted.filter(procedure_count__gte=F("threshold")).exclude(pk__in=holders)
    }
    chosen |= {m.pk: m for m in counted.filter(pk__in=holders, procedure_count__lt=F("threshold"))}
    near = (
        counted.exclude(pk__in=holders)
        .filter(procedure_count__gte=40, procedure_count__lt=F("threshold"))
        .order_by("ars")[:NEAR_IN_DUMP]
    )
    chosen |= {m.pk: m for m in near}
    return sorted(chosen.values(), key=lambda m: m.ars)


def _ozg_id(service: Service) -> int | None:
    return int(service.ozg_id) if service.ozg_id.isdigit() else None


def _record(
    ars: str, ars_name: str, service: Service, url: str, coverage: str, *, online: bool
) -> dict:
    """Return a record as the dashboard's API writes it."""
    return {
        "leika_key": service.leika_key,
        "leika_name": service.name,
        "leika_bezeichnung": service.name,
        "ars": ars,
        "ars_name": ars_name,
        "ars_federal_state": "09",
        "bundesland": "Bayern",
        "ozgid": _ozg_id(service),
        "ozg_bezeichnung": service.ozg_name,
        "url": url,
        "online_status": "ok" if online else "nicht ok",
        "aktiv": "ja",
        "art_flaechendeckung": str(SourceCoverage(coverage).label),
    }


def _pages(records: list[dict]) -> list[dict]:
    """Split one ARS's records into Spring pages of PAGE_SIZE, as the API answers them."""
    chunks = [records[start : start + PAGE_SIZE] for start in range(0, len(records), PAGE_SIZE)]
    chunks = chunks or [[]]
    return [
        {
            "content": chunk,
            "totalPages": len(chunks),
            "totalElements": len(records),
            "number": number,
            "size": PAGE_SIZE,
            "numberOfElements": len(chunk),
            "first": number == 0,
            "last": number == len(chunks) - 1,
            "empty": not chunk,
        }
        for number, chunk in enumerate(chunks)
    ]


def _spelling(url: str, rng: random.Random) -> str:
    """Spell a URL now and then as the source does: http instead of https, a trailing slash."""
    if rng.random() < 0.1:
        return url.replace("https://", "http://", 1) + "/"
    return url


def build_source_dump() -> bytes:
    """Return the demo's source dump, gzipped JSON: the same bytes for the same demo data."""
    kommunen = dump_kommunen()
    services = list(Service.objects.order_by("leika_key"))
    links = (
        ProcedureLink.objects.active()
        .filter(municipality__in=kommunen)
        .prefetch_related("services")
        .order_by("municipality__ars", "url")
    )
    by_kommune: dict[int, list[ProcedureLink]] = {}
    for link in links:
        by_kommune.setdefault(link.municipality_id, []).append(link)

    central: dict[str, Service] = {}
    pages = []
    for kommune in kommunen:
        rng = random.Random(f"demo-source:{kommune.ars}")  # noqa: S311 - demo data
        records = []
        linked = set()
        for link in by_kommune.get(kommune.pk, []):
            served = sorted(link.services.all(), key=lambda service: service.leika_key)
            if not served:
                continue
            linked.add(served[0].leika_key)
            if link.scope == Scope.ZENTRAL:
                central.setdefault(link.url, served[0])
            elif rng.random() < KNOWN_SHARE:
                records.append(
                    _record(
                        kommune.ars,
                        kommune.register_name,
                        served[0],
                        _spelling(link.url, rng),
                        SourceCoverage.KOMMUNE,
                        online=rng.random() >= OFFLINE_SHARE,
                    )
                )
        host = f"{slugify_ascii(kommune.name)}.example"
        unlinked = [service for service in services if service.leika_key not in linked]
        for service in rng.sample(unlinked, UNLINKED_PER_KOMMUNE):
            url = f"https://{host}/buergerservice/{service.leika_key}"
            records.append(
                _record(
                    kommune.ars,
                    kommune.register_name,
                    service,
                    url,
                    SourceCoverage.KOMMUNE,
                    online=True,
                )
            )
        pages += _pages(records)

    rng = random.Random("demo-source:central")  # noqa: S311 - demo data
    land = []
    for url, service in sorted(central.items()):
        if rng.random() < KNOWN_SHARE:
            land.append(_record(LAND_ARS, "Bayern", service, url, SourceCoverage.LAND, online=True))
    linked_central = {service.leika_key for service in central.values()}
    spare = [service for service in services if service.leika_key not in linked_central]
    for service in rng.sample(spare, UNLINKED_CENTRAL):
        url = f"https://formulare.freistaat-bayern.example/leistung/{service.leika_key}"
        land.append(_record(LAND_ARS, "Bayern", service, url, SourceCoverage.LAND, online=True))
    pages = _pages(land) + pages
    text = json.dumps(pages, ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def _month_starts(first: datetime.date, before: datetime.date) -> list[datetime.date]:
    months, month = [], first.replace(day=1)
    while month < before:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _between(day: datetime.date, points: list[tuple[datetime.date, int]]) -> float:
    """Interpolate a count on `day` between (day, count) points in date order."""
    if day <= points[0][0]:
        return points[0][1]
    for (start, low), (end, high) in zip(points, points[1:], strict=False):
        if start <= day <= end:
            span = max((end - start).days, 1)
            return low + (high - low) * (day - start).days / span
    return points[-1][1]


def seed_history(plan: DemoPlan, *, today: datetime.date) -> int:
    """Store a believable monthly count of every demo Kommune from HISTORY_START on.

    Today's counts must be recorded first: the history runs up to them. Confirmed counts go
    back HISTORY_SYNCED_MONTHS for the Kommunen the source knows, at today's share.
    """
    now = {
        pk: (own, confirmed)
        for pk, own, confirmed in CountSnapshot.objects.filter(
            day=today, municipality__in=list(plan.live_counts)
        ).values_list("municipality", "own_count", "confirmed_count")
    }
    awarded = {m.pk: (day, count) for m, day, count in plan.awards}
    synced_from = (today - datetime.timedelta(days=HISTORY_SYNCED_MONTHS * 31)).replace(day=1)
    rows = []
    for pk, (own, confirmed) in sorted(now.items()):
        rng = random.Random(f"demo-history:{pk}")  # noqa: S311 - demo data
        start = HISTORY_START
        if pk in awarded:
            day, at_award = awarded[pk]
            points = [(start, int(at_award * rng.uniform(0.2, 0.7))), (day, at_award)]
            points.append((today, own))
        else:
            points = [(start, own // rng.randint(3, 8)), (today, own)]
        for month in _month_starts(start, today):
            count = max(0, round(_between(month, points)) + rng.randint(-1, 1))
            share = None
            if confirmed is not None and month >= synced_from and own:
                share = round(count * confirmed / own)
            rows.append(
                CountSnapshot(municipality_id=pk, day=month, own_count=count, confirmed_count=share)
            )
    CountSnapshot.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def load_demo_source(plan: DemoPlan, *, path: Path = DEMO_SOURCE_DUMP) -> SyncSummary:
    """Load the shipped source dump as `sync_procedures --file` does, record today's counts of
    every Kommune and a monthly history before them."""
    summary = SourceSyncer().sync_from_file(read_source_file(path))
    today = timezone.localdate()
    record_counts(today)
    seed_history(plan, today=today)
    return summary
