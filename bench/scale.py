"""Every page of issue 15 at full size, on SQLite and PostgreSQL: requests/s as ratios to /health/.

    .venv/bin/python bench/scale.py [--databases sqlite,postgresql] [--links 500000]
        [--busiest 5000] [--duration 5] [--runs 3] [--connections 20] [--threads 2]
        [--keep DIR | --reuse DIR] [--no-queries] [--only TEXT]

For each database it builds the full-size set with bench/fullsize.py (the project's commands:
migrate, the register, the LeiKa catalogue, the roles; then every Kommune holding an award and
--links procedure links, --busiest of them at Nürnberg), on SQLite in a file and on PostgreSQL
in a cluster of its own that it starts on a free loopback port (Debian's
/usr/lib/postgresql/*/bin, as the user postgres) and removes at the end. It adds a reviewer
with a second factor (a TOTP app whose key only the script knows) and a clerk of the busiest
Kommune, times bench/queries.py's in-process rows (the counting rule for every Kommune, the
statistics' figures, the admin changelists, the portal's list: milliseconds, no HTTP), then
serves the set with gunicorn (deploy/gunicorn.conf.py, 2 sync workers, production settings:
DEBUG off, plain http on loopback, the immediate task backend so that a document renders on
its first request) and runs wrk (--connections, --duration seconds; a slow page longer: two
rounds of the queue of 20 connections on 2 workers, at most 60 s, so that it is answered at all)
against each row below, --runs times, each run right after a run of /health/ (the bare view: the
machine's load is the same for both), once the workers have answered what the previous run left
in their queue. Pages for everybody are asked for with `Accept-Encoding: gzip` as browsers do,
`/` also without; `/?fbclid=` sends a new random value on every request (a wrk Lua script).
The reviewer logs in through the login form and the second step, the clerk through the login
form; the admin and portal rows send their session cookie. Before measuring, every row is
fetched (the caches filled, the plaque rendered: the bench waits until it is a PDF) with and
without gzip for the bytes sent.

Rows: `/` (plain, gzip), a random `fbclid`, a search by a Kommune's name and by a postal code,
`/karte/`, `/statistik/`, the feed, the open data (JSON, CSV), a Kommune page (a Kommune with
an ordinary number of links, and the busiest), the verification page, the cached plaque, a
static file through WhiteNoise, the admin changelists of applications, awards, Kommunen and
procedure links (the reviewer), the portal's procedure list of the busiest Kommune (its clerk).

It prints a table per database, then both side by side as Markdown for the README. Everything
listens on 127.0.0.1 only; the servers and the cluster are stopped and the temporary folder is
removed at the end, also on an error or Ctrl-C. --keep DIR keeps the built databases in DIR (a
folder the user postgres can reach, e.g. under /var/tmp); --reuse DIR measures them again
without building (after `migrate`: new migrations of the code under test are applied). Building
500,000 links takes 5-6 minutes on SQLite and 10-12 on PostgreSQL on a loaded 2-core machine;
the measuring about 10 minutes per database with the defaults. A quick run:
`--links 20000 --duration 2 --runs 1`.
"""

import argparse
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from _cluster import kill_hard, server_admin
from _http import PASSWORD, Session, free_port
from _scale import (
    WRK,
    Postgres,
    Row,
    lua_script,
    markdown,
    parse_queries,
    print_http_table,
    ratio,
    wrk,
)
from django_otp.oath import totp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

from bench import fullsize  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
SECRET_KEY = "scale-bench-only-" + "x" * 50
TOTP_KEY = secrets.token_hex(20)  # the reviewer's app, known to the script only
DATABASES = ("sqlite", "postgresql")
WORKERS = 2
META = "scale.json"

BUILD = """
import dataclasses, json, sys
from bench import fullsize
workdir = fullsize.configure(sys.argv[1])
fullsize.prepare()
data = fullsize.build(links=int(sys.argv[2]), busiest=int(sys.argv[3]))
workdir.rmdir()
print(json.dumps(dataclasses.asdict(data)))
"""

USERS = """
import os
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from digitalesamt.accounts.roles import REVIEWER_GROUP
from municipalities.models import Membership, Municipality

env = os.environ
User = get_user_model()
reviewer, _ = User.objects.get_or_create(
    username="scale-reviewer", defaults={"email": "pruefung@scale.example"}
)
reviewer.is_staff = True
reviewer.set_password(env["BENCH_PASSWORD"])
reviewer.save()
reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
TOTPDevice.objects.filter(user=reviewer).delete()
TOTPDevice.objects.create(
    user=reviewer, name="Authenticator-App", confirmed=True, key=env["BENCH_TOTP_KEY"]
)
clerk, _ = User.objects.get_or_create(
    username="scale-clerk", defaults={"email": "kommune@scale.example"}
)
clerk.set_password(env["BENCH_PASSWORD"])
clerk.save()
busiest = Municipality.objects.get(ars=env["BENCH_BUSIEST_ARS"])
Membership.objects.update_or_create(user=clerk, defaults={"municipality": busiest})
"""


def environment(database_url: str, workdir: Path, database: str) -> dict[str, str]:
    """Production settings for plain http on loopback (no TLS in front, so no secure cookies)."""
    return {
        **os.environ,
        "ENV_FILE": os.devnull,
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",  # the shared cache is the database's table
        "MEDIA_ROOT": str(workdir / f"media-{database}"),
        "STATIC_ROOT": str(workdir / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "TASKS_BACKEND": "immediate",  # a document renders on its first request
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": str(WORKERS),
        "BENCH_PASSWORD": PASSWORD,
        "BENCH_TOTP_KEY": TOTP_KEY,
        "BENCH_BUSIEST_ARS": fullsize.BUSIEST_ARS,
    }


def manage(env: dict, *command: str) -> str:
    result = subprocess.run(
        [str(PYTHON), "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {command[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def fetch(url: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str], str]:
    """(status, body as sent, headers, the URL after redirects) of one request; an error
    answer is an answer too."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            return response.status, response.read(), dict(response.headers), response.geturl()
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers), error.geturl()


class Server:
    """gunicorn with the deployment's configuration, 2 sync workers, on a loopback port."""

    def __init__(self, env: dict, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "wb") as output:  # the process keeps its copy
            self.process = subprocess.Popen(
                [str(GUNICORN), "digitalesamt.wsgi", "-c", str(GUNICORN_CONFIG)]
                + ["--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS)]
                + ["--log-level", "warning"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                if fetch(self.base + "/health/", {})[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit("gunicorn did not answer /health/ within 180 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_hard(self.process)


def log_in(base: str) -> dict[str, str]:
    """The clerk's and the reviewer's session cookies, through the login form (and the
    reviewer's second step with a code of the TOTP app); what failed is the value's text."""
    cookies = {}
    clerk = Session(base)
    try:
        clerk.login("/konto/anmelden/", "scale-clerk")
        if "/portal/" not in clerk.url:
            raise SystemExit(f"the clerk's login ended at {clerk.url}")
        cookies["clerk"] = clerk.cookie_header()
    except SystemExit as error:
        cookies["clerk"] = f"error: {error}"
    time.sleep(5.5)  # the login form takes 2 attempts per 5 s from one address
    reviewer = Session(base)
    try:
        reviewer.login("/konto/anmelden/", "scale-reviewer")
        if "/konto/zweiter-faktor/" not in reviewer.url:
            raise SystemExit(f"no second step for the reviewer: {reviewer.url}")
        step = urllib.parse.urlsplit(reviewer.url)
        code = f"{totp(bytes.fromhex(TOTP_KEY)):06d}"
        reviewer.form(step.path + (f"?{step.query}" if step.query else ""), {"code": code})
        if "/admin/" not in reviewer.url:
            raise SystemExit(f"the reviewer's second step ended at {reviewer.url}")
        cookies["reviewer"] = reviewer.cookie_header()
    except SystemExit as error:
        cookies["reviewer"] = f"error: {error}"
    return cookies


def discover(base: str) -> dict[str, str]:
    """What the rows ask for, found through the public pages: an award, a Kommune, its name
    and postal code, a static file."""
    status, body, _headers, _url = fetch(base + "/api/v1/auszeichnungen.json", {})
    if status != 200:
        raise SystemExit(f"the open data JSON answered {status}")
    data = json.loads(body)
    records = next(value for value in data.values() if isinstance(value, list))
    ordinary = [r for r in records if r["ars"] != fullsize.BUSIEST_ARS and r["art"] == "gemeinde"]
    record = (ordinary or records)[len(ordinary or records) // 2]
    found = {"number": record["nummer"], "ars": record["ars"], "name": record["name"].split()[-1]}
    _status, page, _headers, _url = fetch(f"{base}/kommunen/{record['ars']}/", {})
    postcode = re.search(rb"Postleitzahl[^<]*</dt>\s*<dd[^>]*>\s*(\d{5})", page)
    found["postcode"] = postcode[1].decode() if postcode else ""
    _status, home, _headers, _url = fetch(base + "/", {})
    static = re.search(rb'(?:href|src)="(/static/[^"?]+\.(?:css|js))"', home)
    found["static"] = static[1].decode() if static else ""
    return found


def plan(found: dict[str, str], busiest_links: int) -> list[Row]:
    busiest = f"the busiest, {busiest_links:,} links"
    return [
        Row("bare view (`/health/`)", "/health/", gzip=False, bare=True),
        Row("`/` (same URL), plain", "/", gzip=False),
        Row("`/` (same URL)", "/"),
        Row("`/?fbclid=<random>`", "/", random_parameter="fbclid"),
        Row(
            f"`/?q={found['name']}` (a Kommune's name)", f"/?q={urllib.parse.quote(found['name'])}"
        ),
        Row(
            f"`/?q={found['postcode']}` (a postal code)",
            f"/?q={found['postcode']}",
            skipped="" if found["postcode"] else "no postal code on the Kommune page",
        ),
        Row("`/karte/`", "/karte/"),
        Row("`/statistik/`", "/statistik/"),
        Row("`/feeds/auszeichnungen.atom`", "/feeds/auszeichnungen.atom"),
        Row("open data JSON", "/api/v1/auszeichnungen.json"),
        Row("open data CSV", "/api/v1/auszeichnungen.csv"),
        Row("`/kommunen/<ars>/`", f"/kommunen/{found['ars']}/"),
        Row(f"`/kommunen/<ars>/` ({busiest})", f"/kommunen/{fullsize.BUSIEST_ARS}/"),
        Row("`/pruefen/<number>/` HTML", f"/pruefen/{found['number']}/", accept="text/html"),
        Row("cached `schild.pdf`", f"/auszeichnungen/{found['number']}/schild.pdf"),
        Row(
            "a static file through WhiteNoise",
            found["static"],
            skipped="" if found["static"] else "no static file linked from /",
        ),
        Row("admin: applications", "/admin/awards/application/?status=alle", who="reviewer"),
        Row("admin: awards", "/admin/awards/award/", who="reviewer"),
        Row("admin: Kommunen", "/admin/municipalities/municipality/", who="reviewer"),
        Row("admin: procedure links", "/admin/municipalities/procedurelink/", who="reviewer"),
        Row(f"portal: procedure list ({busiest})", "/portal/verfahren/", who="clerk"),
    ]


def headers_of(row: Row, cookies: dict[str, str], gzip: bool | None = None) -> dict[str, str]:
    headers = {}
    if row.gzip if gzip is None else gzip:
        headers["Accept-Encoding"] = "gzip"
    if row.accept:
        headers["Accept"] = row.accept
    if row.who:
        headers["Cookie"] = cookies[row.who]
    return headers


def warm_up(base: str, rows: list[Row], cookies: dict[str, str]) -> None:
    """Fill the caches, render the plaque, and note the bytes sent with and without gzip."""
    for row in rows:
        if row.skipped:
            continue
        if row.who and cookies[row.who].startswith("error"):
            row.skipped = cookies[row.who]
            continue
        path = row.path
        if row.random_parameter:
            path += ("&" if "?" in path else "?") + f"{row.random_parameter}=1"
        deadline = time.monotonic() + 180
        while True:
            status, body, headers, url = fetch(base + path, headers_of(row, cookies, gzip=False))
            pdf = headers.get("Content-Type", "").startswith("application/pdf")
            if not row.path.endswith(".pdf") or pdf or time.monotonic() > deadline:
                break
            time.sleep(1)  # "wird erstellt": the document is being rendered
        if status != 200 or (row.path.endswith(".pdf") and not pdf):
            row.skipped = f"answered {status} {headers.get('Content-Type', '')}"
            continue
        if urllib.parse.urlsplit(url).path != urllib.parse.urlsplit(base + path).path:
            row.skipped = f"redirected to {url}"
            continue
        row.plain_bytes = len(body)
        alone = []
        for _ in range(2):  # each worker once, more or less
            started = time.perf_counter()
            _status, body, headers, _url = fetch(base + path, headers_of(row, cookies, gzip=True))
            alone.append((time.perf_counter() - started) * 1000)
        row.alone_ms = min(alone)
        row.gzip_bytes = len(body) if headers.get("Content-Encoding") == "gzip" else None


def settle(base: str) -> None:
    """Wait until the workers are idle: wrk leaves the requests it did not wait for in
    gunicorn's queue, and the workers answer each of them (to a closed connection) first."""
    deadline = time.monotonic() + 120
    quick = 0
    while quick < 2 and time.monotonic() < deadline:
        started = time.perf_counter()
        fetch(base + "/health/", {})
        # Behind a queue of pages even a fast one waits longer; alone it takes milliseconds,
        # on a loaded machine up to ~0.1 s.
        quick = quick + 1 if time.perf_counter() - started < 0.25 else 0


def measure(base: str, rows: list[Row], cookies: dict, args, scripts: Path) -> None:
    bare = rows[0]
    common = {"duration": args.duration, "connections": args.connections, "threads": args.threads}
    for run in range(1, args.runs + 1):
        for index, row in enumerate(rows):
            if row.bare or row.skipped:
                continue
            script = None
            if row.random_parameter:
                script = scripts / f"row-{index}.lua"
                script.write_text(
                    lua_script(row.path, headers_of(row, cookies), row.random_parameter)
                )
            # 20 connections on 2 workers: a request waits for 10 others. A slow page's run
            # lasts at least two rounds of that queue (at most a minute), so that it is
            # answered at all.
            queue = row.alone_ms / 1000 * args.connections / WORKERS
            duration = max(args.duration, min(60, math.ceil(2 * queue)))
            settle(base)
            before = wrk(base + bare.path, headers={}, **common)
            settle(base)
            result = wrk(
                base + row.path,
                headers=headers_of(row, cookies),
                script=script,
                **{**common, "duration": duration},
            )
            row.runs.append((before, result))
            bare.runs.append((before, before))
            print(
                f"  run {run}/{args.runs} {row.label:<50} {result.rps:8.1f}/s, bare "
                f"{before.rps:7.1f}/s: {ratio(result.rps / before.rps if before.rps else 0)}"
                + (f" ({duration} s)" if duration != args.duration else "")
                + (f", {result.errors} errors" if result.errors else ""),
                flush=True,
            )


def in_process(database_url: str, runs: int) -> dict[str, str]:
    """bench/queries.py on the built set (--reuse): its table printed, its rows returned."""
    result = subprocess.run(
        [str(PYTHON), "bench/queries.py", "--reuse", "--database-url", database_url]
        + ["--runs", str(runs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        print(f"bench/queries.py failed:\n{result.stderr[-3000:]}", flush=True)
    return parse_queries(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default=",".join(DATABASES))
    parser.add_argument("--links", type=int, default=fullsize.LINKS)
    parser.add_argument("--busiest", type=int, default=fullsize.BUSIEST)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    store_options = parser.add_mutually_exclusive_group()
    store_options.add_argument("--keep", type=Path, help="build into DIR and keep it")
    store_options.add_argument("--reuse", type=Path, help="measure the set --keep built in DIR")
    parser.add_argument("--no-queries", action="store_true", help="skip bench/queries.py")
    parser.add_argument("--only", help="measure only the rows whose label contains this")
    args = parser.parse_args()
    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    if not databases or set(databases) - set(DATABASES):
        parser.error(f"--databases: a list of {', '.join(DATABASES)}")
    if not Path(WRK).exists():
        raise SystemExit("wrk is missing: apt-get install wrk")
    meta: dict = {}
    if args.reuse:
        meta = json.loads((args.reuse / META).read_text())
        missing = [name for name in databases if name not in meta]
        if missing:
            raise SystemExit(
                f"{args.reuse} holds no {', '.join(missing)} set: build it with --keep"
            )
    elif args.keep and args.keep.exists() and any(args.keep.iterdir()):
        raise SystemExit(f"--keep {args.keep}: the folder is not empty")
    # SIGTERM (a timeout, a CI runner) stops the servers and removes the folder like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="digitalesamt-scale-"))
    store = args.reuse or args.keep or workdir / "data"
    store.mkdir(parents=True, exist_ok=True)
    for folder in {workdir, store}:
        folder.chmod(0o755)  # the user postgres reaches its cluster inside
    scripts = workdir / "scripts"
    scripts.mkdir()
    results: dict[str, list[Row]] = {}
    timings: dict[str, dict[str, str]] = {}
    server: Server | None = None
    postgres: Postgres | None = None
    try:
        manage(environment("sqlite://:memory:", workdir, "sqlite"), "collectstatic", "--no-input")
        for database in databases:
            print(f"\n== {database}", flush=True)
            if database == "postgresql":
                postgres = Postgres(store / "postgresql", free_port())
                if not args.reuse:
                    postgres.init()
                postgres.start()
                if not args.reuse:
                    with server_admin(postgres.url()) as admin:
                        admin.execute("CREATE DATABASE digitalesamt")
                url = postgres.url()
            else:
                url = f"sqlite:///{store / 'sqlite.sqlite3'}"
            env = environment(url, workdir, database)
            step = time.monotonic()
            if args.reuse:
                manage(env, "migrate")
                manage(env, "createcachetable")
                print(f"reused {store} ({meta[database]['links']:,} links): migrated", flush=True)
            else:
                output = subprocess.run(
                    [str(PYTHON), "-c", BUILD, url, str(args.links), str(args.busiest)],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if output.returncode != 0:
                    raise SystemExit(f"building the set failed:\n{output.stderr[-3000:]}")
                meta[database] = json.loads(output.stdout.strip().splitlines()[-1])
                if args.keep:
                    (store / META).write_text(json.dumps(meta, indent=2))
            data = meta[database]
            print(
                f"{data['kommunen']:,} Kommunen with an award, {data['links']:,} links (the "
                f"busiest {data['busiest_links']:,}): ready in {time.monotonic() - step:.0f} s",
                flush=True,
            )
            manage(env, "shell", "--no-imports", "-c", USERS)
            if not args.no_queries:
                print("in-process (bench/queries.py): median wall clock, CPU, queries", flush=True)
                timings[database] = in_process(url, max(args.runs, 3))
            server = Server(env, workdir / f"gunicorn-{database}.log")
            cookies = log_in(server.base)
            rows = plan(discover(server.base), data["busiest_links"])
            if args.only:
                rows = [row for row in rows if row.bare or args.only in row.label]
            warm_up(server.base, rows, cookies)
            measure(server.base, rows, cookies, args, scripts)
            server.stop()
            server = None
            if postgres is not None:
                postgres.stop()
            results[database] = rows
            print_http_table(database, rows)
    finally:
        if server is not None:
            server.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    data = meta[databases[0]]
    header = (
        f"{data['links']:,} links ({data['busiest_links']:,} at the busiest Kommune), "
        f"{data['kommunen']:,} Kommunen with an award; gunicorn with 2 sync workers, wrk "
        f"{args.connections} connections, {args.runs} runs of {args.duration} s (a slow page "
        "longer), each right after "
        "one of `/health/`; ratio = requests/s ÷ that run's; pages for everybody with "
        "`Accept-Encoding: gzip`."
    )
    print("\n" + markdown(results, timings, header))
    kept = f"; the sets are kept in {args.keep}" if args.keep else ""
    print(f"\ntotal {time.monotonic() - started:.0f} s{kept}")


if __name__ == "__main__":
    main()
