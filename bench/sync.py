"""Time `sync_procedures` for every Kommune of Bavaria against a local stand-in of the API.

    .venv/bin/python bench/sync.py [--database-url URL] [--delay 0]

Builds a fresh database (a temporary SQLite file unless --database-url names another, empty one),
imports the shipped register (2,445 Kommunen), starts a server on 127.0.0.1 in another process
that answers like the dashboard (100 records per page, `includeAbove`: each Kommune's own records,
its Landkreis' and the Land's central ones; the records drawn deterministically from the ARS),
and times a full sync, then a second one that finds nothing changed.
Target: under 3 minutes on SQLite without the politeness delay (`--delay`, the setting
OZG_DASHBOARD_DELAY, adds its seconds per request on top: 0.5 s × the requests printed).

Measured on 2 cores, nothing else running (6,645 requests, 222,208 records): SQLite 102.9 s for
the first sync and 49.4 s for the unchanged second one; PostgreSQL 15 (fsync on) 97.4 s and
63.4 s.
"""

import argparse
import functools
import io
import json
import multiprocessing
import os
import random
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fullsize  # noqa: E402

LAND_ARS = "090000000000"
CENTRAL = 40
COVERAGE = ["in mind. einer Kommune verfügbar", "kreisweit flächendeckend"]


@functools.cache
def records_of(ars: str) -> list[dict]:
    """The records the stand-in has at one ARS: some 0 to 180, the same on every run."""
    rng = random.Random(ars)
    if ars == LAND_ARS:
        count, coverage = CENTRAL, "landesweit flächendeckend"
    else:
        count, coverage = rng.randint(0, 180), rng.choice(COVERAGE)
    return [
        {
            "leika_key": f"99{rng.randrange(10**12):012d}",
            "leika_name": f"Leistung {number}",
            "leika_bezeichnung": f"Leistung {number}",
            "ars": ars,
            "ars_name": f"Kommune {ars}",
            "ars_federal_state": "09",
            "bundesland": "Bayern",
            "ozgid": 1000 + number,
            "ozg_bezeichnung": f"OZG-Leistung {number}",
            "url": f"https://dienste-{ars}.example/verfahren/{number}",
            "online_status": "ok" if rng.random() < 0.9 else "nicht ok",
            "aktiv": "ja",
            "art_flaechendeckung": coverage,
        }
        for number in range(count)
    ]


def above(ars: str) -> list[str]:
    """The ARS above one: its Landkreis (for a kreisangehörige Gemeinde) and the Land."""
    landkreis = ars[:5] + "0000000"
    return ([landkreis] if ars[5:] != "0000000" and ars[2] != "0" else []) + [LAND_ARS]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        ars = parts.path.rsplit("/", 1)[-1]
        number, size = int(query["page"][0]), int(query["size"][0])
        rows = list(records_of(ars))
        if query.get("includeAbove") == ["true"]:
            for higher in above(ars):
                rows += records_of(higher)
        pages = max(1, -(-len(rows) // size))
        content = rows[number * size : (number + 1) * size]
        body = json.dumps(
            {
                "content": content,
                "totalPages": pages,
                "totalElements": len(rows),
                "number": number,
                "size": size,
                "numberOfElements": len(content),
                "first": number == 0,
                "last": number >= pages - 1,
                "empty": not content,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


def serve(port: multiprocessing.Value) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_port
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--profile", type=int, help="profile a sync of this many Kommunen")
    args = parser.parse_args()

    port = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    server.start()
    while not port.value:
        time.sleep(0.01)

    os.environ.update(
        OZG_DASHBOARD_URL=f"http://127.0.0.1:{port.value}/api/",
        OZG_DASHBOARD_ALLOW_PRIVATE="true",
        OZG_DASHBOARD_DELAY=str(args.delay),
    )
    fullsize.configure(args.database_url)
    from django.core.management import call_command

    from digitalesamt.lib import dashboard
    from municipalities.models import Municipality, SourceRecord

    fullsize.prepare(services=False, roles=False)
    kommunen = Municipality.objects.count()
    print(f"Kommunen in the register: {kommunen}, database: {os.environ['DATABASE_URL']}")

    requests = 0
    original = dashboard.DashboardClient._get

    def counted(self, url):
        nonlocal requests
        requests += 1
        return original(self, url)

    dashboard.DashboardClient._get = counted
    if args.profile:
        import cProfile

        chosen = list(Municipality.objects.order_by("ars").values_list("ars", flat=True))
        cProfile.runctx(
            "call_command('sync_procedures', '--ars', *chosen[: args.profile], verbosity=0)",
            globals(),
            {"call_command": call_command, "chosen": chosen, "args": args},
            sort=os.environ.get("BENCH_SORT", "cumulative"),
        )
        return

    for label, options in (("full sync", []), ("second sync, nothing changed", ["--force"])):
        requests = 0
        out = io.StringIO()
        started = time.perf_counter()
        call_command("sync_procedures", *options, stdout=out)
        elapsed = time.perf_counter() - started
        summary = out.getvalue().strip().splitlines()[-2]
        print(f"{label:<32} {elapsed:8.1f} s  {requests} requests  {summary}", flush=True)
    print(f"source records stored: {SourceRecord.objects.count()}")
    server.terminate()


if __name__ == "__main__":
    main()
