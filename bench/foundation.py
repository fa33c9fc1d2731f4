"""Time the foundation at full size: register import, a 150,000-row procedure import, counting.

    .venv/bin/python bench/foundation.py [--links 150000] [--database-url URL]

Builds a fresh database (a temporary SQLite file unless --database-url names another, empty one),
imports the shipped register and catalogue, writes a procedure file with the given number of
rows spread over every Kommune, imports it, and counts every Kommune's procedures.
Targets on SQLite: register < 10 s, procedures < 60 s, full count < 1 s.
"""

import argparse
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=150_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="digitalesamt-bench-"))
    os.environ.update(
        ENV_FILE=os.devnull,
        SECRET_KEY="bench-only",  # noqa: S106 - a throwaway database
        DEBUG="false",
        DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalesamt.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from municipalities.models import Municipality, ProcedureLink, Service

    quiet = io.StringIO()
    call_command("migrate", verbosity=0)
    call_command("createcachetable")

    def timed(label: str, function) -> float:
        started = time.perf_counter()
        function()
        elapsed = time.perf_counter() - started
        print(f"{label:<48} {elapsed:8.2f} s", flush=True)
        return elapsed

    timed(
        "import_municipalities (shipped register)",
        lambda: call_command("import_municipalities", stdout=quiet),
    )
    timed(
        "import_municipalities again (no changes)",
        lambda: call_command("import_municipalities", stdout=quiet),
    )
    timed(
        "import_services (LeiKa catalogue)", lambda: call_command("import_services", stdout=quiet)
    )

    rng = random.Random(150_000)
    ars_list = list(Municipality.objects.values_list("ars", flat=True))
    keys = list(Service.objects.values_list("leika_key", flat=True))
    procedure_file = workdir / "verfahren.csv"
    with procedure_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["ars", "titel", "url", "zustaendigkeit", "leika_schluessel", "ozg_id", "aktiv"]
        )
        for row in range(args.links):
            ars = ars_list[row % len(ars_list)]
            services = "|".join(rng.sample(keys, rng.choice((1, 1, 1, 2))))
            writer.writerow(
                [
                    ars,
                    f"Online-Antrag {row}",
                    f"https://k{ars}.example/verfahren/{row}",
                    rng.choice(("kommunal", "zentral")),
                    services,
                    "",
                    "ja",
                ]
            )
    print(f"procedure file: {args.links:,} rows, {procedure_file.stat().st_size / 1e6:.1f} MB")

    timed(
        f"import_procedures ({args.links:,} rows)",
        lambda: call_command("import_procedures", str(procedure_file), stdout=quiet, stderr=quiet),
    )
    timed(
        "import_procedures again (no changes)",
        lambda: call_command("import_procedures", str(procedure_file), stdout=quiet, stderr=quiet),
    )
    print(f"links in the database: {ProcedureLink.objects.count():,}")

    runs = []
    for _ in range(5):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            rows = list(
                Municipality.objects.with_progress().values_list(
                    "ars", "procedure_count", "threshold"
                )
            )
        runs.append(time.perf_counter() - started)
    qualifying = sum(1 for _ars, count, threshold in rows if count >= threshold)
    print(
        f"count every Kommune ({len(rows):,}), median of 5 {statistics.median(runs):8.3f} s"
        f"  ({len(queries)} query, {qualifying:,} reach their threshold)"
    )


if __name__ == "__main__":
    main()
