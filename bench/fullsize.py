"""Build the full-size data set: all of Bavaria holding the award, 500,000 procedure links.

    .venv/bin/python bench/fullsize.py [--links 500000] [--busiest 5000] [--database-url URL]

As a module, for the other benches:

    from bench import fullsize
    workdir = fullsize.configure(args.database_url)   # environment + django.setup()
    fullsize.prepare()                                # migrate, cache table, register, LeiKa
    data = fullsize.build()                           # the full-size set (needs prepare())

`configure` points Django at a fresh database (a temporary SQLite file in a new working
directory unless a URL names another, empty one) with production settings. `prepare` runs the
project's own commands: migrate, createcachetable, import_municipalities (the shipped register,
2,445 Kommunen), import_services (the LeiKa catalogue) and setup_roles. `build` writes through
the ORM's bulk paths, in batches:

- procedure links: one Kommune (Nürnberg) with `busiest` links, the rest spread over every other
  Kommune (20 to 380 each before scaling to the total); each a LeiKa service of the catalogue
  with its name as the title (past the catalogue's 4,813 a service again at another office),
  three in ten zentral (the Freistaat's form server), the others on the Kommune's own host;
  one or two services each; 95 % active;
- an approved application with its submission and an award for every Kommune, issued between
  28 July 2021 and October 2026;
- the federal source: four of five Kommunen synced, with records for 70 % of their kommunal
  links and 10 they do not link, and 300 central records.

Measured on 2 cores shared with four other engineers' work (load 5-9, 1 December 2026), 500,000
links: SQLite 5.5 minutes, PostgreSQL 15 11.7 minutes, prepare() included; on an idle machine
a fraction of that.
"""

import argparse
import datetime
import io
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LINKS = 500_000
BUSIEST = 5_000
BUSIEST_ARS = "095640000000"  # Nürnberg
BATCH = 10_000
FIRST_DAY = datetime.date(2021, 7, 28)
LAST_DAY = datetime.date(2026, 10, 30)
CENTRAL_HOST = "formulare.freistaat-bayern.example"


def configure(database_url: str | None = None, prefix: str = "digitalesamt-bench-") -> Path:
    """Set the environment of a throwaway database and start Django; return a new work folder.

    Production settings (DEBUG off) on the given database, or on a SQLite file in the folder.
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        ENV_FILE=os.devnull,
        SECRET_KEY="bench-only",  # noqa: S106 - a throwaway database
        DEBUG="false",
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        REQUEST_LOG="false",  # a line per request would bury the figures
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalesamt.settings")
    import django

    django.setup()
    return workdir


def prepare(*, services: bool = True, roles: bool = True) -> None:
    """Migrate and load the register (and the LeiKa catalogue) with the project's commands."""
    from django.core.management import call_command

    quiet = io.StringIO()
    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    call_command("import_municipalities", stdout=quiet)
    if services:
        call_command("import_services", stdout=quiet)
    if roles:
        call_command("setup_roles", stdout=quiet)


@dataclass
class FullSize:
    kommunen: int
    links: int
    link_services: int
    awards: int
    source_records: int
    busiest_pk: int
    busiest_links: int
    seconds: float


def _slug(name: str) -> str:
    from awards.demo import slugify_ascii

    return slugify_ascii(name) or "kommune"


def _spread(rng: random.Random, owners: list[int], total: int, cap: int) -> dict[int, int]:
    """Share `total` links among `owners`: 20 to 380 each, scaled to the total, at most `cap`."""
    raw = {pk: rng.randint(20, 380) for pk in owners}
    scale = total / max(sum(raw.values()), 1)
    counts = {pk: min(max(round(n * scale), 1), cap) for pk, n in raw.items()}
    # Rounding leaves a few over or under: take them from or give them to the first ones.
    difference = total - sum(counts.values())
    for pk in owners:
        if not difference:
            break
        step = 1 if difference > 0 else -1
        if 1 <= counts[pk] + step <= cap:
            counts[pk] += step
            difference -= step
    return counts


def build(
    *, links: int = LINKS, busiest: int = BUSIEST, sources: bool = True, seed: int = 2445
) -> FullSize:
    """Write the full-size set into a prepared, otherwise empty database (see the docstring)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from awards.constants import Status
    from awards.models import Application, Award, Submission, format_award_number
    from municipalities.constants import LAND_ARS, Scope, SourceCoverage
    from municipalities.models import (
        Municipality,
        ProcedureLink,
        Service,
        SourceRecord,
        SourceSync,
    )
    from municipalities.validation import count_key

    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - repeatable bench data
    kommunen = list(Municipality.objects.order_by("ars").values_list("pk", "ars", "name", "kind"))
    catalogue = list(Service.objects.order_by("leika_key").values_list("pk", "leika_key", "name"))
    by_ars = {ars: pk for pk, ars, _name, _kind in kommunen}
    busiest_pk = by_ars.get(BUSIEST_ARS, kommunen[0][0])
    busiest = min(busiest, links)
    others = [pk for pk, _ars, _name, _kind in kommunen if pk != busiest_pk]
    counts = _spread(rng, others, links - busiest, len(catalogue))
    counts[busiest_pk] = busiest
    hosts = {pk: f"{_slug(name)}-{ars[-7:]}.example" for pk, ars, name, _kind in kommunen}

    through = ProcedureLink.services.through
    through_rows = 0
    kommunal_urls: dict[int, list[str]] = {}
    pending: list[tuple[ProcedureLink, list[int]]] = []

    def flush() -> None:
        nonlocal through_rows
        if not pending:
            return
        created = ProcedureLink.objects.bulk_create([link for link, _served in pending])
        rows = [
            through(procedurelink_id=link.pk, service_id=service)
            for link, (_link, served) in zip(created, pending, strict=True)
            for service in served
        ]
        through.objects.bulk_create(rows, batch_size=BATCH)
        through_rows += len(rows)
        pending.clear()

    with transaction.atomic():
        for pk, _ars, _name, _kind in kommunen:
            # Past the catalogue (4,813 services) a service is offered again by another office.
            wanted = counts[pk]
            picks = rng.sample(catalogue, min(wanted, len(catalogue)))
            picks += rng.choices(catalogue, k=wanted - len(picks))
            for number, (service_pk, key, name) in enumerate(picks):
                central = rng.random() < 0.3 and number < len(catalogue)
                if central:
                    url = f"https://{CENTRAL_HOST}/leistung/{key}"
                else:
                    url = f"https://{hosts[pk]}/buergerservice/{key}"
                    if number >= len(catalogue):
                        url += f"/stelle-{number}"
                    kommunal_urls.setdefault(pk, []).append(url)
                served = [service_pk]
                if rng.random() < 0.2:
                    extra = rng.choice(catalogue)[0]
                    if extra != service_pk:
                        served.append(extra)
                link = ProcedureLink(
                    municipality_id=pk,
                    title=name[:300],
                    url=url,
                    scope=Scope.ZENTRAL if central else Scope.KOMMUNAL,
                    active=rng.random() < 0.95,
                )
                pending.append((link, served))
                if len(pending) >= BATCH:
                    flush()
        flush()

    # Every Kommune holds the award, through an approved application with one submission.
    User = get_user_model()
    reviewer, _created = User.objects.get_or_create(
        username="bench-reviewer", defaults={"email": "pruefer@bench.example"}
    )
    now = timezone.now()
    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + datetime.timedelta(days=rng.randrange(span)) for _ in kommunen)
    order = list(kommunen)
    rng.shuffle(order)
    with transaction.atomic():
        applications = Application.objects.bulk_create(
            [
                Application(municipality_id=pk, status=Status.APPROVED, reviewer=reviewer)
                for pk, _ars, _name, _kind in order
            ],
            batch_size=BATCH,
        )
        Application.objects.filter(pk__in=[a.pk for a in applications]).update(
            submitted_at=now, decided_at=now
        )
        Submission.objects.bulk_create(
            [
                Submission(
                    application=application,
                    number=1,
                    procedure_count=counts[application.municipality_id],
                    threshold=50,
                )
                for application in applications
            ],
            batch_size=BATCH,
        )
        per_year: dict[int, int] = {}
        awards = []
        for application, day in zip(applications, days, strict=True):
            per_year[day.year] = per_year.get(day.year, 0) + 1
            awards.append(
                Award(
                    number=format_award_number(day.year, per_year[day.year]),
                    municipality_id=application.municipality_id,
                    application=application,
                    issued_on=day,
                    procedure_count=counts[application.municipality_id],
                )
            )
        Award.objects.bulk_create(awards, batch_size=BATCH)

    records = 0
    if sources:
        ars_of = {pk: ars for pk, ars, _name, _kind in kommunen}
        synced = [pk for index, (pk, *_rest) in enumerate(kommunen) if index % 5]
        with transaction.atomic():
            batch: list[SourceRecord] = []
            for pk in synced:
                urls = [url for url in kommunal_urls.get(pk, []) if rng.random() < 0.7]
                urls += [f"https://{hosts[pk]}/nicht-verlinkt/{n}" for n in range(10)]
                for n, url in enumerate(urls):
                    batch.append(
                        SourceRecord(
                            municipality_id=pk,
                            ars=ars_of[pk],
                            leika_key=f"99{n:012d}",
                            url=url,
                            url_key=count_key(url),
                            online=True,
                            coverage=SourceCoverage.KOMMUNE,
                            fetched_at=now,
                        )
                    )
                if len(batch) >= BATCH:
                    SourceRecord.objects.bulk_create(batch)
                    records += len(batch)
                    batch = []
            central = [f"https://{CENTRAL_HOST}/leistung/{key}" for _pk, key, _n in catalogue[:300]]
            batch += [
                SourceRecord(
                    ars=LAND_ARS,
                    leika_key=f"99{n:012d}",
                    url=url,
                    url_key=count_key(url),
                    online=True,
                    coverage=SourceCoverage.LAND,
                    fetched_at=now,
                )
                for n, url in enumerate(central)
            ]
            SourceRecord.objects.bulk_create(batch)
            records += len(batch)
            SourceSync.objects.bulk_create(
                [SourceSync(municipality_id=pk, synced_at=now, records=1) for pk in synced],
                batch_size=BATCH,
            )
    _analyze()
    return FullSize(
        kommunen=len(kommunen),
        links=sum(counts.values()),
        link_services=through_rows,
        awards=len(awards),
        source_records=records,
        busiest_pk=busiest_pk,
        busiest_links=busiest,
        seconds=time.perf_counter() - started,
    )


def _analyze() -> None:
    """Give the planner fresh statistics, as autovacuum or a nightly ANALYZE would."""
    from django.db import connection

    with connection.cursor() as cursor:
        # VACUUM also sets PostgreSQL's visibility map, so that index-only scans need no heap.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=LINKS)
    parser.add_argument("--busiest", type=int, default=BUSIEST)
    parser.add_argument("--no-sources", action="store_true")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = configure(args.database_url)
    print(f"database: {os.environ['DATABASE_URL']}", flush=True)
    started = time.perf_counter()
    prepare()
    print(f"prepared in {time.perf_counter() - started:.0f} s", flush=True)
    data = build(links=args.links, busiest=args.busiest, sources=not args.no_sources)
    print(
        f"{data.kommunen:,} Kommunen with an award, {data.links:,} links "
        f"({data.link_services:,} link services; the busiest Kommune {data.busiest_links:,}), "
        f"{data.source_records:,} source records, in {data.seconds:.0f} s",
        flush=True,
    )
    print(f"kept in {workdir}")


if __name__ == "__main__":
    main()
