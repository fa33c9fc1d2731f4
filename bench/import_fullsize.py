"""Time `manage.py import_procedures FILE` at full size and print its peak memory.

    .venv/bin/python bench/import_fullsize.py [--links 500000] [--database-url URL] [--runs 1]

Builds a fresh database (a temporary SQLite file unless --database-url names another, empty
one) with the project's own commands (bench/fullsize.py `prepare`), writes a procedure file of
`links` rows spread over every Kommune (one or two LeiKa keys each, as bench/foundation.py
does), then runs the command in a child process, as the ministry would, three times:

1. the file into an empty database (every row new),
2. the same file again (nothing changes),
3. the file with every title changed and every tenth row's services changed.

Each run prints its wall time, the child's CPU time (the database server's is not in it) and
its peak resident memory (`os.wait4`'s `ru_maxrss`); on a loaded machine the CPU time is the
steadier figure. Targets (issue 15): 500,000 rows under 60 s on PostgreSQL, under 300 MB.
"""

import argparse
import csv
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import fullsize  # noqa: E402


def write_file(path: Path, ars_list: list[str], keys: list[str], links: int, *, edit: bool):
    rng = random.Random(links)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            ["ars", "titel", "url", "zustaendigkeit", "leika_schluessel", "ozg_id", "aktiv"]
        )
        for row in range(links):
            ars = ars_list[row % len(ars_list)]
            services = rng.sample(keys, rng.choice((1, 1, 1, 2)))
            if edit and row % 10 == 0:
                services = [rng.choice(keys)]
            writer.writerow(
                [
                    ars,
                    f"Online-Antrag {row}" + (" (neu)" if edit else ""),
                    f"https://k{ars}.example/verfahren/{row}",
                    rng.choice(("kommunal", "zentral")),
                    "|".join(services),
                    "",
                    "ja",
                ]
            )


def run_command(path: Path) -> tuple[float, float, float, str]:
    """Run import_procedures in a child; return (seconds, CPU seconds, peak MB, last line)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "import_procedures", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    lines = output.strip().splitlines() or [""]
    if child.returncode:
        sys.exit(f"import_procedures failed ({child.returncode}):\n{output[-3000:]}")
    # ru_maxrss is in kilobytes on Linux.
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=500_000)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=1, help="repeat the three imports")
    args = parser.parse_args()

    workdir = fullsize.configure(args.database_url, prefix="digitalesamt-import-")
    fullsize.prepare(roles=False)
    from municipalities.models import Municipality, ProcedureLink, Service

    ars_list = list(Municipality.objects.order_by("ars").values_list("ars", flat=True))
    keys = list(Service.objects.order_by("leika_key").values_list("leika_key", flat=True))
    first, edited = workdir / "verfahren.csv", workdir / "verfahren-geaendert.csv"
    write_file(first, ars_list, keys, args.links, edit=False)
    write_file(edited, ars_list, keys, args.links, edit=True)
    print(f"procedure file: {args.links:,} rows, {first.stat().st_size / 1e6:.1f} MB")
    from django.db import connection

    print(f"database: {connection.vendor}")
    for run in range(args.runs):
        if run:
            ProcedureLink.objects.all().delete()
        for label, path in (
            ("all new", first),
            ("again, no changes", first),
            ("titles and services changed", edited),
        ):
            seconds, cpu, peak, last = run_command(path)
            print(
                f"{label:<28} {seconds:7.1f} s (CPU {cpu:6.1f} s)  peak {peak:5.0f} MB  | {last}",
                flush=True,
            )
    print(f"links in the database: {ProcedureLink.objects.count():,}")
    for path in (first, edited):
        path.unlink()


if __name__ == "__main__":
    main()
