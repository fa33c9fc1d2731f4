"""Time the service search over the shipped LeiKa catalogue: the build and a clerk's queries.

    .venv/bin/python bench/service_search.py [--rounds 20]

No database: the index of the shipped catalogue is built in memory, as each process builds it
once from the Service table (municipalities.service_search), then every query below runs
`--rounds` times. Prints the build and each query's median and slowest time. This replaces a
timed test (targets live in benches, not tests): ranking stays in tests/municipalities.

Measured on 2 cores shared with the test suite (load 4), 4,813 services: build 0.72 s; a query
9-66 ms median, 74 ms at the slowest ("Wohnsitz anmelden").
"""

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fullsize  # noqa: E402

# What clerks type: single words, two words, a misspelling, an umlaut written out.
QUERIES = [
    "Hund",
    "Hundesteuer",
    "Wohnsitz anmelden",
    "Bauantrag",
    "Kfz Zulassung",
    "Meldebescheinigung",
    "Fuehrerschein",
    "Gewerbe anmelden",
    "Sperrmüll",
    "Baum fällen",
    "Personalausweiss",
    "Antrag",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    workdir = fullsize.configure(prefix="digitalesamt-bench-search-")
    try:
        from municipalities.importing.catalogue import DEFAULT_CATALOGUE, read_catalogue
        from municipalities.service_search import build_index, search_index

        services, _skipped = read_catalogue(DEFAULT_CATALOGUE)
        rows = sorted(
            (s["leika_key"], s["name"], s["ozg_name"], s["lebenslage"], s["themenfeld"])
            for s in services
        )
        started = time.perf_counter()
        index = build_index(rows)
        print(f"index of {len(rows):,} services built in {time.perf_counter() - started:.2f} s")
        print(f"{'query':<22} {'median ms':>10} {'slowest ms':>11}")
        for query in QUERIES:
            timings = []
            for _round in range(args.rounds):
                started = time.perf_counter()
                search_index(index, query, 20)
                timings.append((time.perf_counter() - started) * 1000)
            print(f"{query:<22} {statistics.median(timings):>10.2f} {max(timings):>11.2f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
