"""Serve the app with gunicorn and load the public pages with wrk: requests/s and p99 latency.

    .venv/bin/python bench/public.py [--duration 10] [--connections 20] [--database-url URL]

Builds a fresh database with the demo data (450 holders; a temporary SQLite file unless
--database-url names another, empty one), starts gunicorn with 2 sync workers on loopback with
production settings, and runs wrk (Debian package `wrk`) at 20 connections against
`/health/` (a minimal view that returns "ok" through the same middleware), `/`, a search on `/`,
the JSON and the CSV. Targets: `/` reaches at least half of the minimal view's throughput and
its p99 latency stays under 100 ms.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wrk(url: str, *, duration: int, connections: int) -> tuple[float, float]:
    """Return requests per second and the p99 latency in milliseconds."""
    command = ["wrk", f"-t{min(connections, 4)}", f"-c{connections}", f"-d{duration}s"]
    output = subprocess.run(
        [*command, "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"{url} answered with errors:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--database-url")
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
    manage("migrate")
    manage("createcachetable")
    manage("collectstatic", "--no-input")
    manage("import_municipalities")
    manage("import_services")
    manage("seed_demo", "--force")
    print(f"demo data set ready in {time.perf_counter() - started:.0f} s")

    server = subprocess.Popen(
        [
            str(GUNICORN),
            "digitalesamt.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        paths = {
            "minimal view (/health/)": "/health/",
            "list (/)": "/",
            "list, search and sort": "/?q=bach&sortierung=verfahren",
            "open data JSON": "/api/v1/auszeichnungen.json",
            "open data CSV": "/api/v1/auszeichnungen.csv",
        }
        results = {}
        for label, path in paths.items():
            urllib.request.urlopen(base + path, timeout=10).read()  # noqa: S310 - warm the caches
            results[label] = wrk(base + path, duration=args.duration, connections=args.connections)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"gunicorn 2 sync workers, wrk {args.connections} connections, {args.duration} s each")
    print(f"{'':<28} {'requests/s':>11} {'p99 latency':>12}")
    for label, (rps, p99) in results.items():
        print(f"{label:<28} {rps:>11.0f} {p99:>9.1f} ms")
    minimal, home = results["minimal view (/health/)"], results["list (/)"]
    share = home[0] / minimal[0]
    print(
        f"/ reaches {share:.0%} of the minimal view's throughput (target >= 50 %),"
        f" p99 {home[1]:.1f} ms (target < 100 ms)"
    )
    print("targets met" if share >= 0.5 and home[1] < 100 else "TARGETS MISSED")


if __name__ == "__main__":
    main()
