"""Serve the app with gunicorn and load the public pages with wrk: requests/s, p99 and ratios.

    .venv/bin/python bench/public.py [--duration 5] [--connections 20] [--runs 3]
                                     [--database-url URL [--reuse]] [--only TEXT]

Builds a fresh database with the demo data (450 holders; a temporary SQLite file unless
--database-url names another, empty one; with --reuse that database as an earlier run left it,
to compare two versions of the code on the same data), starts gunicorn on loopback with
production settings and the deployment's own configuration (`deploy/gunicorn.conf.py`: 2 sync
workers here, warmed up), and runs wrk (Debian package `wrk`) at 20 connections against
`/health/` (a minimal view that returns "ok" through the same middleware) and every public path
below, `--runs` rounds in a row. Each row is measured right after `/health/` (the machine's load
then is the same for both) and prints requests/s, p99 latency and its ratio to that `/health/`
run, per round. A row marked "gzip" sends `Accept-Encoding: gzip` as browsers do; "random" rows
send another value on every request (a wrk Lua script): an ignored `fbclid`, or the same name in
another spelling. Targets: `/` reaches at least half of the minimal view's throughput and its
p99 latency stays under 100 ms.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
GZIP = {"Accept-Encoding": "gzip"}
JSON = {"Accept": "application/json"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lua_rotating(paths: list[str], headers: dict[str, str]) -> str:
    """Return a wrk script that asks for each of `paths` in turn."""
    items = ", ".join(json.dumps(path) for path in paths)
    header_items = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    return (
        f"local paths = {{{items}}}\nlocal headers = {{{header_items}}}\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n"
        "  return wrk.format('GET', paths[(n % #paths) + 1], headers)\nend\n"
    )


def lua_random_parameter(path: str, name: str, headers: dict[str, str]) -> str:
    """Return a wrk script that adds `name=<random>` to `path` on every request."""
    header_items = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    separator = "&" if "?" in path else "?"
    return (
        f"local headers = {{{header_items}}}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        f"  return wrk.format('GET', {json.dumps(path + separator + name + '=')} .. "
        "math.random(1, 2000000000), headers)\nend\n"
    )


def wrk(
    url: str, *, duration: int, connections: int, headers: dict[str, str], script: Path | None
) -> tuple[float, float]:
    """Return requests per second and the p99 latency in milliseconds."""
    command = ["wrk", f"-t{min(connections, 4)}", f"-c{connections}", f"-d{duration}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"{url} answered with errors:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return rps, p99


# The row of a round that every other row is a ratio to.
BARE = "minimal view (/health/)"


def bare_view(results: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """Return the round's bare view: its /health/ runs (one before each row), rps and p99."""
    before = [value for key, value in results.items() if key.startswith("health")]
    return (
        statistics.mean(rps for rps, _p99 in before),
        statistics.median(p99 for _rps, p99 in before),
    )


def fetch(url: str, headers: dict[str, str]) -> tuple[int, str]:
    """Return the bytes sent for `url` and the Content-Encoding (warms the caches, too)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return len(response.read()), response.headers.get("Content-Encoding", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--only", help="run only the rows whose label contains this text (or one of a,b,c)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="serve the database of --database-url as an earlier run left it (no new demo)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="digitalesamt-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "DEBUG": "false",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "TASKS_BACKEND": "immediate",
        "SITE_URL": "https://digitales-amt.bayern.de",
        "EMAIL_URL": "dummymail://",  # seed_demo's applications send mail
        "LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "2",
    }

    def manage(*command: str) -> None:
        subprocess.run(
            [str(PYTHON), "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    started = time.perf_counter()
    if args.reuse and args.database_url:
        manage("collectstatic", "--no-input")
    else:
        manage("migrate")
        manage("createcachetable")
        manage("collectstatic", "--no-input")
        manage("import_municipalities")
        manage("import_services")
        manage("seed_demo", "--force")
    print(f"demo data set ready in {time.perf_counter() - started:.0f} s")

    config = ["-c", str(GUNICORN_CONFIG)] if GUNICORN_CONFIG.is_file() else ["--workers", "2"]
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "digitalesamt.wsgi",
            *config,
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    rounds: list[dict[str, tuple[float, float]]] = []
    sizes: dict[str, tuple[int, str]] = {}
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/api/v1/auszeichnungen.json") as answer:  # noqa: S310
            data = json.load(answer)
        records = next(value for value in data.values() if isinstance(value, list))
        record = records[len(records) // 2]
        name, number, ars = record["name"].split()[-1], record["nummer"], record["ars"]
        # A VG that holds the title (its page lists its members) and a Landkreis (its counts).
        found = subprocess.run(
            [
                str(PYTHON),
                "manage.py",
                "shell",
                "-c",
                "from awards.models import Award; from municipalities.models import Municipality;"
                "vg = Award.objects.valid().filter(municipality__kind='vg').first();"
                "lk = Municipality.objects.filter(kind='landkreis').order_by('ars').first();"
                "print(vg.municipality.ars if vg else '', lk.ars)",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        vg_ars, landkreis_ars = (found if len(found) == 2 else [ars, *found])[-2:]
        spellings = [name, name.upper(), name.lower(), f"  {name} ", name.swapcase()]
        spelled = [f"/?q={quote(spelling)}" for spelling in spellings]
        scripts = workdir / "scripts"
        scripts.mkdir()
        (scripts / "fbclid.lua").write_text(lua_random_parameter("/", "fbclid", {}))
        (scripts / "fbclid_gzip.lua").write_text(lua_random_parameter("/", "fbclid", GZIP))
        (scripts / "spellings.lua").write_text(lua_rotating(spelled, {}))
        (scripts / "kommune.lua").write_text(
            lua_random_parameter(f"/kommunen/{ars}/", "fbclid", {})
        )
        rows = {
            BARE: ("/health/", {}, None),
            "list (/)": ("/", {}, None),
            "list (/), gzip": ("/", GZIP, None),
            "list, random fbclid": ("/", {}, scripts / "fbclid.lua"),
            "list, random fbclid, gzip": ("/", GZIP, scripts / "fbclid_gzip.lua"),
            "list, reordered parameters": ("/?sortierung=name&art=markt", {}, None),
            f"list, search {name!r}": (spelled[0], {}, None),
            "list, search, 5 spellings": (spelled[0], {}, scripts / "spellings.lua"),
            "list, search and sort": ("/?q=bach&sortierung=verfahren", {}, None),
            "Kommune page": (f"/kommunen/{ars}/", {}, None),
            "Kommune page, gzip": (f"/kommunen/{ars}/", GZIP, None),
            "Kommune page, random fbclid": (f"/kommunen/{ars}/", {}, scripts / "kommune.lua"),
            "Kommune page of a VG": (f"/kommunen/{vg_ars}/", {}, None),
            "Kommune page of a Landkreis": (f"/kommunen/{landkreis_ars}/", {}, None),
            "verification page": (f"/pruefen/{number}/", {}, None),
            "verification page, gzip": (f"/pruefen/{number}/", GZIP, None),
            "verification JSON": (f"/pruefen/{number}/", JSON, None),
            "statistics (/statistik/)": ("/statistik/", {}, None),
            "statistics, gzip": ("/statistik/", GZIP, None),
            "feed (Atom)": ("/feeds/auszeichnungen.atom", {}, None),
            "feed (Atom), gzip": ("/feeds/auszeichnungen.atom", GZIP, None),
            "open data JSON": ("/api/v1/auszeichnungen.json", {}, None),
            "open data JSON, gzip": ("/api/v1/auszeichnungen.json", GZIP, None),
            "open data CSV": ("/api/v1/auszeichnungen.csv", {}, None),
            "map (/karte/), gzip": ("/karte/", GZIP, None),
            "map's drawing (karte.de.svg), gzip": ("/karte/karte.de.svg", GZIP, None),
        }
        if args.only:
            rows = {
                label: row
                for label, row in rows.items()
                if any(part in label for part in args.only.split(","))
                or label.startswith("minimal")
            }
        for label, (path, headers, _script) in rows.items():
            sizes[label] = fetch(base + path, headers)  # warms the caches
        health = rows[BARE]
        for _ in range(args.runs):
            results = {}
            for label, (path, headers, script) in rows.items():
                if label.startswith("minimal"):
                    continue
                # The bare view right before each row: the load of the machine is the same.
                results[f"health before {label}"] = wrk(
                    base + health[0],
                    duration=args.duration,
                    connections=args.connections,
                    headers={},
                    script=None,
                )
                results[label] = wrk(
                    base + path,
                    duration=args.duration,
                    connections=args.connections,
                    headers=headers if script is None else {},
                    script=script,
                )
            results[BARE] = bare_view(results)
            rounds.append(results)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    workers = "deploy/gunicorn.conf.py" if GUNICORN_CONFIG.is_file() else "--workers 2"
    print(f"gunicorn ({workers}, 2 sync workers), wrk {args.connections} connections,")
    print(f"{args.duration} s each, {args.runs} rounds; ratio = requests/s ÷ /health/ just before")
    print(f"{'':<34} {'requests/s':>22} {'× /health/':>20} {'p99 ms':>8} {'bytes sent':>16}")

    def ratio(results: dict[str, tuple[float, float]], label: str) -> float:
        if label.startswith("minimal"):
            return 1.0
        health_rps = results[f"health before {label}"][0]
        # A loaded machine may leave a 5 s run without one answer: no ratio then.
        return results[label][0] / health_rps if health_rps else float("nan")

    for label in rows:
        rps = [results[label][0] for results in rounds]
        ratios = [ratio(results, label) for results in rounds]
        p99 = statistics.median(results[label][1] for results in rounds)
        size, encoding = sizes[label]
        print(
            f"{label:<34} {' / '.join(f'{value:.0f}' for value in rps):>22} "
            f"{' / '.join(f'{value:.2f}' for value in ratios):>20} {p99:>8.1f} "
            f"{size:>9} {encoding or 'plain':>6}"
        )
    share = statistics.median(ratio(results, "list (/)") for results in rounds)
    home_p99 = statistics.median(results["list (/)"][1] for results in rounds)
    print(
        f"/ reaches {share:.0%} of the minimal view's throughput (target >= 50 %),"
        f" p99 {home_p99:.1f} ms (target < 100 ms)"
    )
    print("targets met" if share >= 0.5 and home_p99 < 100 else "TARGETS MISSED")


if __name__ == "__main__":
    main()
