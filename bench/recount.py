"""Time the recount of the count history at full size, and what reads it.

    .venv/bin/python bench/recount.py [--links 500000] [--days 365] [--database-url URL]

Builds a fresh database (a temporary SQLite file unless --database-url names another, empty one):
the shipped register (all 2,445 Kommunen), the given number of active links spread over every
Kommune (a third zentral, from a pool of 1,000 central procedures), source records for four of
five Kommunen (70 % of their kommunal links and 20 more) and 800 of the central procedures,
and `--days` days of history for every Kommune. Then it times `record_counts` of a new day
(inserts) and of the same day again (upserts), the statistics' monthly means and one Kommune's
chart data, with their query counts. Target on SQLite: the recount under 5 s.

Measured on 2 cores shared with other work (load 4-7), 500,000 links, a year of history:
recount 1.9-3.0 s on SQLite, 2.5-3.2 s on PostgreSQL 15 (7 queries either way); monthly means
0.8 s (SQLite) and 0.3 s (PostgreSQL); one Kommune's chart data 3-6 ms.
"""

import argparse
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fullsize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = fullsize.configure(args.database_url, prefix="digitalesamt-bench-recount-")
    print(f"working in {workdir}", flush=True)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from municipalities.constants import LAND_ARS, Scope, SourceCoverage
    from municipalities.history import history_points, monthly_means, record_counts
    from municipalities.models import (
        CountSnapshot,
        Municipality,
        ProcedureLink,
        SourceRecord,
        SourceSync,
    )
    from municipalities.validation import count_key

    fullsize.prepare(services=False, roles=False)

    def timed(label: str, function, runs: int = 1):
        times, result, queries = [], None, 0
        for _ in range(runs):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                result = function()
            times.append(time.perf_counter() - started)
            queries = len(captured)
        median = statistics.median(times)
        print(f"{label:<58} {median:8.3f} s  ({queries} queries)", flush=True)
        return result

    rng = random.Random(500_000)
    kommunen = list(Municipality.objects.order_by("ars").values_list("pk", "ars"))
    central_urls = [f"https://formulare.freistaat.example/leistung/{n}" for n in range(1000)]
    started = time.perf_counter()
    links = []
    for row in range(args.links):
        pk, ars = kommunen[row % len(kommunen)]
        zentral = row % 3 == 0
        url = (
            central_urls[(row // len(kommunen)) % len(central_urls)]
            if zentral
            else f"https://k{ars}.example/verfahren/{row}"
        )
        links.append(
            ProcedureLink(
                municipality_id=pk,
                title=f"Online-Antrag {row}",
                url=url,
                scope=Scope.ZENTRAL if zentral else Scope.KOMMUNAL,
            )
        )
    ProcedureLink.objects.bulk_create(links, batch_size=5000, ignore_conflicts=True)
    del links
    print(
        f"links: {ProcedureLink.objects.count():,} in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    now = timezone.now()
    started = time.perf_counter()
    synced = [pk for index, (pk, _ars) in enumerate(kommunen) if index % 5]
    by_kommune: dict[int, list[str]] = {}
    for pk, url in ProcedureLink.objects.filter(scope=Scope.KOMMUNAL).values_list(
        "municipality", "url"
    ):
        by_kommune.setdefault(pk, []).append(url)
    ars_of = dict(kommunen)
    records = []
    for pk in synced:
        urls = [url for url in by_kommune.get(pk, []) if rng.random() < 0.7]
        urls += [f"https://k{ars_of[pk]}.example/nicht-verlinkt/{n}" for n in range(20)]
        records += [
            SourceRecord(
                municipality_id=pk,
                ars=ars_of[pk],
                leika_key=f"{n:014d}",
                url=url,
                url_key=count_key(url),
                online=True,
                coverage=SourceCoverage.KOMMUNE,
                fetched_at=now,
            )
            for n, url in enumerate(urls)
        ]
    records += [
        SourceRecord(
            municipality=None,
            ars=LAND_ARS,
            leika_key=f"{n:014d}",
            url=url,
            url_key=count_key(url),
            online=True,
            coverage=SourceCoverage.LAND,
            fetched_at=now,
        )
        for n, url in enumerate(central_urls[:800])
    ]
    SourceRecord.objects.bulk_create(records, batch_size=5000)
    SourceSync.objects.bulk_create(
        [SourceSync(municipality_id=pk, synced_at=now, records=1) for pk in synced]
    )
    print(f"source records: {len(records):,} in {time.perf_counter() - started:.0f} s", flush=True)
    del records

    started = time.perf_counter()
    today = timezone.localdate()
    for offset in range(args.days, 0, -30):
        day_rows = [
            CountSnapshot(
                municipality_id=pk,
                day=today - datetime.timedelta(days=offset - shift),
                own_count=rng.randint(0, 300),
                confirmed_count=rng.randint(0, 200),
            )
            for shift in range(min(30, offset))
            for pk, _ars in kommunen
        ]
        CountSnapshot.objects.bulk_create(day_rows, batch_size=5000)
    print(
        f"history: {CountSnapshot.objects.count():,} snapshots ({args.days} days) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    stored = timed("record_counts(today): insert 2,445 rows", record_counts)
    timed("record_counts(today) again: upsert, median of 5", record_counts, runs=5)
    counted = CountSnapshot.objects.filter(day=today)
    confirmed = counted.filter(confirmed_count__isnull=False).count()
    print(f"  {stored:,} Kommunen, {confirmed:,} with a confirmed count")
    timed("statistics: monthly means (median of 3)", lambda: monthly_means(), runs=3)
    busiest = Municipality.objects.get(pk=kommunen[0][0])
    points = timed(
        "one Kommune's chart data (median of 5)", lambda: history_points(busiest), runs=5
    )
    print(f"  {len(points)} points for {args.days + 1} days")


if __name__ == "__main__":
    main()
