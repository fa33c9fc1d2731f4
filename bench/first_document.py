"""Time the first plaque and signet a fresh gunicorn worker serves, with and without warm-up.

    .venv/bin/python bench/first_document.py [--runs 3]

Builds a temporary SQLite database with a few awards whose documents are not stored yet, then
starts gunicorn on loopback with one sync worker, `--runs` times each way: plain (`--workers 1`,
what the README's command line was) and with `-c deploy/gunicorn.conf.py`, whose `post_fork`
warms up WeasyPrint, the fonts and Pillow (awards.documents.warmup). Each start waits until
`/health/` answers (the worker is up and has loaded the app), then times the first
`schild.pdf` of an award not stored yet (rendered in the request: TASKS_BACKEND=immediate,
what a citizen's first click costs) and then the first `signet.png` of another one. The
measured time is the render in a fresh worker plus storing and serving it. Target: the first
plaque under 0.5 s with the warm-up.

    .venv/bin/python bench/first_document.py --worker [--runs 3]

times the task worker instead (TASKS_BACKEND=database): each start queues one plaque of an award
not stored yet, then starts a fresh worker with `--batch`, plain (`manage.py db_worker`) and with
the warm-up (`manage.py task_worker`, what the systemd unit runs), and reads from the task's row
how long the render took (started_at to finished_at: what a clerk waits for after an approval
beyond the queue), beside the seconds from the worker's start to the document stored.
"""

import argparse
import datetime
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"

SETUP = """
from awards.models import Award
from municipalities.constants import Kind
from municipalities.models import Municipality
for n in range({count}):
    kommune = Municipality.objects.create(
        ars=f"0967101{{n:05d}}", name=f"Hösbach {{n}}", register_name=f"Hösbach {{n}}, M",
        kind=Kind.MARKT,
    )
    Award.objects.create(
        number=f"DA-2023-{{n + 1:04d}}", municipality=kommune, issued_on="2023-02-15",
        procedure_count=57,
    )
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback
        return response.read()


def timed_document(url: str, kind: bytes) -> float:
    """Return the seconds until the document itself arrived (past a "wird erstellt" page)."""
    started = time.perf_counter()
    while not get(url).startswith(kind):
        time.sleep(0.05)
    return time.perf_counter() - started


QUEUE = """
from awards.tasks import render_document
render_document.enqueue(award_id={award_id}, document="schild-a4.pdf")
"""


def worker_main(runs: int, workdir: Path, env: dict[str, str]) -> None:
    """Time the first plaque of a fresh task worker, plain and warmed up."""
    import sqlite3

    env = {**env, "TASKS_BACKEND": "database"}
    manage = [str(PYTHON), "manage.py"]
    quiet = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    results: dict[str, list[tuple[float, float]]] = {"db_worker": [], "task_worker": []}
    award = 0
    for _ in range(runs):
        for command in results:
            award += 1
            subprocess.run([*manage, "shell", "-c", QUEUE.format(award_id=award)], **quiet)
            started = time.perf_counter()
            subprocess.run(
                [*manage, command, "--batch", "--no-startup-delay", "--no-reload"]
                + ["--worker-id", f"bench-{award}"],
                **quiet,
                stderr=subprocess.DEVNULL,
            )
            total = time.perf_counter() - started
            with sqlite3.connect(workdir / "bench.sqlite3") as database:
                status, begun, ended = database.execute(
                    "SELECT status, started_at, finished_at FROM django_tasks_database_dbtaskresult"
                    " ORDER BY enqueued_at DESC LIMIT 1"
                ).fetchone()
            assert status == "SUCCESSFUL", status
            seconds = (
                datetime.datetime.fromisoformat(ended) - datetime.datetime.fromisoformat(begun)
            ).total_seconds()
            results[command].append((seconds, total))
    print(f"one fresh task worker (--batch), {runs} starts each; seconds (median, all runs)")
    print(f"{'':<12} {'first plaque (task)':>24} {'start to stored':>24}")
    for command, values in results.items():
        cells = []
        for column in range(2):
            column_values = [value[column] for value in values]
            listed = "/".join(f"{value:.2f}" for value in column_values)
            cells.append(f"{statistics.median(column_values):.2f} ({listed})")
        print(f"{command:<12} {cells[0]:>24} {cells[1]:>24}")
    first = statistics.median(value[0] for value in results["task_worker"])
    print("target met" if first < 0.5 else "TARGET MISSED", "(first plaque < 0.5 s, task_worker)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help="the task worker, not gunicorn")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="digitalesamt-bench-"))
    env = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "TASKS_BACKEND": "immediate",
        "SITE_URL": "https://digitales-amt.bayern.de",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "1",
    }
    manage = [str(PYTHON), "manage.py"]
    quiet = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*manage, "migrate"], **quiet)
    subprocess.run([*manage, "createcachetable"], **quiet)
    subprocess.run([*manage, "shell", "-c", SETUP.format(count=4 * args.runs)], **quiet)
    if args.worker:
        try:
            worker_main(args.runs, workdir, env)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return

    results: dict[str, list[tuple[float, float, float]]] = {"plain": [], "warmed up": []}
    award = 0
    try:
        for _ in range(args.runs):
            for label, options in (
                ("plain", ["--workers", "1"]),
                ("warmed up", ["-c", str(CONFIG)]),
            ):
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                started = time.perf_counter()
                server = subprocess.Popen(
                    [str(GUNICORN), "digitalesamt.wsgi", *options, "--bind", f"127.0.0.1:{port}"],
                    cwd=ROOT,
                    env=env,
                    stderr=subprocess.DEVNULL,
                )
                try:
                    while True:
                        try:
                            get(f"{base}/health/")
                            break
                        except OSError:
                            time.sleep(0.05)
                    boot = time.perf_counter() - started
                    plaque = timed_document(
                        f"{base}/auszeichnungen/DA-2023-{award + 1:04d}/schild.pdf", b"%PDF"
                    )
                    signet = timed_document(
                        f"{base}/auszeichnungen/DA-2023-{award + 2:04d}/signet.png", b"\x89PNG"
                    )
                    award += 2
                finally:
                    server.terminate()
                    server.wait()
                results[label].append((boot, plaque, signet))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"one fresh gunicorn sync worker, {args.runs} starts each; seconds (median, all runs)")
    print(f"{'':<12} {'ready (/health/)':>22} {'first schild.pdf':>22} {'first signet.png':>22}")
    for label, runs in results.items():
        cells = []
        for column in range(3):
            values = [run[column] for run in runs]
            listed = "/".join(f"{value:.2f}" for value in values)
            cells.append(f"{statistics.median(values):.2f} ({listed})")
        print(f"{label:<12} {cells[0]:>22} {cells[1]:>22} {cells[2]:>22}")
    first = statistics.median(run[1] for run in results["warmed up"])
    print("target met" if first < 0.5 else "TARGET MISSED", "(first plaque < 0.5 s, warmed up)")


if __name__ == "__main__":
    main()
