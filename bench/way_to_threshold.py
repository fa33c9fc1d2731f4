"""Time the way to the threshold at full size: what peers offer, the dashboard, the ministry's list.

    .venv/bin/python bench/way_to_threshold.py [--links 500000] [--database-url URL]

Builds a fresh database (a temporary SQLite file unless --database-url names another, empty one)
with the shipped register and LeiKa catalogue, writes `--links` procedure links spread over every
Kommune (each serving one or two services, popular ones more often, nine in ten kommunal) and
300 central procedures, then times:

- the aggregate of what Kommunen of each kind offer (`catalogue._count_popular_services`),
  counted once per period for every process;
- the portal's dashboard of a Kommune below its threshold with the figures cached, and its
  queries (the same at any size);
- the ministry's list of Kommunen close to their threshold (`reminders.near_threshold`).

Measured on SQLite (2 shared cores, 1 December 2026), 500,000 links with 662,717 link services:
what Kommunen of each kind offer 2.42 s uncached (2 queries; counted once an hour for every
process), the dashboard 3.2 s for the one visitor who counts them and 0.031 s (11 queries)
for everyone else, the ministry's list 0.26 s (it was 1.7 s with the distinct-URL subquery).
"""

import argparse
import itertools
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fullsize  # noqa: E402

BATCH = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=500_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = fullsize.configure(args.database_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from awards.reminders import near_threshold
    from digitalesamt.lib.cache import memory
    from digitalesamt.portal import catalogue
    from municipalities.constants import LAND_ARS, Kind, Scope, SourceCoverage
    from municipalities.models import (
        Membership,
        Municipality,
        ProcedureLink,
        Service,
        SourceRecord,
    )
    from municipalities.validation import count_key

    fullsize.prepare(roles=False)

    rng = random.Random(500_000)
    kommunen = list(Municipality.objects.values_list("pk", flat=True))
    services = list(Service.objects.values_list("pk", flat=True))
    # Popular services first: a Kommune's links favour the head of the catalogue.
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(services))))
    # Two in five Kommunen have 30 to 59 links (some close to 50, some past it); the others
    # share the rest, so that the total is --links.
    small = {pk: rng.randrange(30, 60) for pk in kommunen if rng.random() < 0.4}
    large = [pk for pk in kommunen if pk not in small]
    rest = max(args.links - sum(small.values()), 0)
    owners = [pk for pk, count in small.items() for _ in range(count)]
    owners += [large[row % len(large)] for row in range(rest)]
    owners = owners[: args.links]
    started = time.perf_counter()
    through = ProcedureLink.services.through
    for start in range(0, len(owners), BATCH):
        rows = range(start, min(start + BATCH, len(owners)))
        links = ProcedureLink.objects.bulk_create(
            ProcedureLink(
                municipality_id=owners[row],
                title=f"Online-Antrag {row}",
                url=f"https://k{owners[row]}.example/verfahren/{row}",
                scope=Scope.KOMMUNAL if rng.random() < 0.9 else Scope.ZENTRAL,
                active=rng.random() < 0.95,
            )
            for row in rows
        )
        through.objects.bulk_create(
            (
                through(procedurelink_id=link.pk, service_id=service)
                for link in links
                for service in set(
                    rng.choices(services, cum_weights=weights, k=rng.choice((1, 1, 2)))
                )
            ),
            batch_size=BATCH,
        )
    now = timezone.now()
    SourceRecord.objects.bulk_create(
        SourceRecord(
            ars=LAND_ARS,
            leika_key=f"99{n:012d}",
            leika_name=f"Zentrale Leistung {n}",
            url=f"https://www.freistaat.bayern/verfahren/{n}",
            url_key=count_key(f"https://www.freistaat.bayern/verfahren/{n}"),
            coverage=SourceCoverage.LAND,
            online=True,
            fetched_at=now,
        )
        for n in range(300)
    )
    print(
        f"data: {len(kommunen):,} Kommunen, {ProcedureLink.objects.count():,} links, "
        f"{through.objects.count():,} link services, in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    runs = []
    for _ in range(3):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            figures = catalogue._count_popular_services()
        runs.append(time.perf_counter() - started)
    print(
        f"{'what Kommunen of each kind offer (uncached)':<52} {statistics.median(runs):8.3f} s"
        f"  ({len(queries)} queries, {sum(map(len, figures['services'].values())):,} rows kept)"
    )

    # A Markt below its threshold, with a clerk.
    market = (
        Municipality.objects.of_kind(Kind.MARKT)
        .with_progress()
        .filter(procedure_count__lt=50)
        .first()
    )
    user = get_user_model().objects.create_user("bench", "bench@example.org", "x")
    Membership.objects.create(user=user, municipality=market)
    client = Client()
    client.force_login(user)
    # Static files as in development: no collectstatic manifest for a throwaway database.
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=plain_static).enable()

    memory.clear()
    started = time.perf_counter()
    assert client.get("/portal/").status_code == 200
    print(f"{'dashboard, figures not yet cached':<52} {time.perf_counter() - started:8.3f} s")
    runs = []
    for _ in range(10):
        memory.clear()  # a fresh process: the figures come from the shared cache
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/portal/")
        runs.append(time.perf_counter() - started)
    assert response.status_code == 200 and "Weg zum Digitalen Amt" in response.content.decode()
    print(
        f"{'dashboard, figures from the shared cache':<52} {statistics.median(runs):8.3f} s"
        f"  ({len(queries)} queries)"
    )

    runs = []
    for _ in range(3):
        started = time.perf_counter()
        near = list(near_threshold().values_list("pk", "missing"))
        runs.append(time.perf_counter() - started)
    print(
        f"{'Kommunen within 10 of their threshold':<52} {statistics.median(runs):8.3f} s"
        f"  ({len(near):,} Kommunen)"
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
