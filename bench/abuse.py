"""Replay what a clerk or a stranger can send against gunicorn, while a probe asks for `/`.

    .venv/bin/python bench/abuse.py [--phase-seconds 10] [--database-url URL]

Builds a fresh database with the demo data (a temporary SQLite file unless --database-url
names another, empty one), adds a Kommune with 2,000 procedure links and its clerk, starts
gunicorn with 2 sync workers on loopback with production settings, and runs four phases, each
while a probe requests `/` every 50 ms:

1. upload bomb: two clerks' sessions upload a 5 MB CSV of a valid header and 2.6 million rows
   of "x" at once;
2. a 2,000-link application: the clerk submits it, a reviewer opens its page in the admin;
3. statistics: two connections request `/statistik/` back to back;
4. login spray: four threads post random usernames to the login form.

It prints per phase the probe's median, p99 and maximum latency and its errors, and what the
phase's own requests got. Target: `/` answers within 1 s (p99) in every phase.
"""

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from _http import PASSWORD, Session, free_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LINKS = 2_000
HEADER = b"ars,titel,url,zustaendigkeit,leika_schluessel\n"

SETUP = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from municipalities.models import Membership, Municipality, ProcedureLink, Service
from awards.models import Application
from digitalesamt.accounts.roles import REVIEWER_GROUP, setup_roles
setup_roles()
# A Gemeinde of its own (no VG) without award, application or links in the demo.
kommune = (
    Municipality.objects.of_kind("gemeinde")
    .filter(verwaltungsgemeinschaft__isnull=True, awards__isnull=True)
    .filter(applications__isnull=True, procedure_links__isnull=True)
    .order_by("ars")
    .first()
)
service = Service.objects.order_by("leika_key").first()
links = ProcedureLink.objects.bulk_create(
    ProcedureLink(municipality=kommune, title=f"Verfahren {{n}}", scope="kommunal",
                  url=f"https://formulare.bench.example/verfahren/{{n}}")
    for n in range({LINKS})
)
ProcedureLink.services.through.objects.bulk_create(
    ProcedureLink.services.through(procedurelink_id=link.pk, service_id=service.pk)
    for link in links
)
User = get_user_model()
for name in ("bench-clerk", "bench-clerk-2"):
    user = User.objects.create_user(name, f"{{name}}@bench.example", "{PASSWORD}")
    Membership.objects.create(user=user, municipality=kommune)
reviewer = User.objects.create_user(
    "bench-reviewer", "r@bench.example", "{PASSWORD}", is_staff=True
)
reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
"""


class Probe(threading.Thread):
    """Ask for `/` every 50 ms and keep each latency (or the error)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.session = Session(base)
        self.samples: list[float] = []
        self.errors: list[str] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            status, seconds, _body = self.session.request("/")
            if status == 200:
                self.samples.append(seconds)
            else:
                self.errors.append(str(status))
            time.sleep(0.05)

    def report(self) -> str:
        if not self.samples:
            return f"no answer at all, {len(self.errors)} errors"
        ordered = sorted(self.samples)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"median {statistics.median(ordered) * 1000:6.0f} ms, p99 {p99 * 1000:6.0f} ms, "
            f"max {ordered[-1] * 1000:6.0f} ms, {len(self.errors)} errors of "
            f"{len(ordered) + len(self.errors)}"
        )


def during(base: str, seconds: float, work) -> tuple[str, list[str], float]:
    """Run `work` (returns lines to print) while the probe runs; keep probing `seconds` at least."""
    probe = Probe(base)
    probe.start()
    started = time.perf_counter()
    lines = work()
    while time.perf_counter() - started < seconds:
        time.sleep(0.1)
    probe.running = False
    probe.join()
    worst = max(probe.samples, default=float("inf"))
    ordered = sorted(probe.samples) or [float("inf")]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return probe.report(), lines, p99 if not probe.errors else max(p99, worst)


def repeat_for(seconds: float, threads: int, call) -> list:
    """Run `call()` in `threads` threads until `seconds` have passed; return every result."""
    results: list = []
    deadline = time.perf_counter() + seconds

    def loop() -> None:
        while time.perf_counter() < deadline:
            results.append(call())

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def statuses(results: list) -> str:
    counts: dict[str, int] = {}
    for status, _seconds, _body in results:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return ", ".join(f"{count} × {status}" for status, count in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase-seconds", type=float, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="digitalesamt-abuse-"))
    port = free_port()
    env = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "DEBUG": "false",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "TASKS_BACKEND": "database",  # link checks and mails wait for a worker that never runs
        "SITE_URL": "https://digitales-amt.bayern.de",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "ERROR",
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
    for command in (
        ["migrate"],
        ["createcachetable"],
        ["collectstatic", "--no-input"],
        ["import_municipalities"],
        ["import_services"],
        ["seed_demo", "--force"],
        ["shell", "-c", SETUP],
    ):
        manage(*command)
    print(f"data ready in {time.perf_counter() - started:.0f} s", flush=True)

    server = subprocess.Popen(
        [str(GUNICORN), "digitalesamt.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        + ["--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        Session(base).request("/")
        Session(base).request("/statistik/")
        seconds = args.phase_seconds

        # 1. The upload bomb, twice at once.
        # A valid header, then rows of "x" up to the upload limit: every row is a bad row.
        bomb = HEADER + b"x\n" * ((5 * 1024 * 1024 - len(HEADER) - 1024) // 2)
        clerks = [Session(base), Session(base)]
        for session, name in zip(clerks, ("bench-clerk", "bench-clerk-2"), strict=True):
            session.login("/konto/anmelden/", name)

        def upload_bomb() -> list[str]:
            results: list = [None, None]

            def send(index: int) -> None:
                results[index] = clerks[index].upload("/portal/verfahren/import/", "b.csv", bomb)

            threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return [f"uploads: {statuses(results)}, {max(r[1] for r in results):.1f} s"]

        rows.append(("upload bomb (2 × 5 MB)", *during(base, seconds, upload_bomb)))

        # 2. A 2,000-link application: create, submit, review.
        reviewer = Session(base)
        reviewer.login("/admin/login/", "bench-reviewer")

        def application() -> list[str]:
            clerk = clerks[0]
            created = clerk.form("/portal/antrag/stellen/", {})
            submitted = clerk.form("/portal/antrag/einreichen/", {"comment": "Bench"})
            queue = reviewer.request("/admin/awards/application/")[2].decode()
            found = re.search(r"/admin/awards/application/(\d+)/change/", queue)
            page = reviewer.request(found.group(0)) if found else ("no application", 0, b"")
            return [
                f"create {created[0]} {created[1]:.1f} s, submit {submitted[0]} "
                f"{submitted[1]:.1f} s, review page {page[0]} {page[1]:.1f} s"
            ]

        rows.append((f"{LINKS:,}-link application", *during(base, seconds, application)))

        # 3. Two connections on the statistics.
        def statistics_load() -> list[str]:
            session = Session(base)
            results = repeat_for(seconds, 2, lambda: session.request("/statistik/"))
            times = sorted(r[1] for r in results)
            return [f"statistics: {statuses(results)}, median {statistics.median(times):.3f} s"]

        rows.append(("2 connections on /statistik/", *during(base, seconds, statistics_load)))

        # 4. A login spray: random usernames from one address.
        def spray() -> list[str]:
            def attempt():
                return Session(base).form(
                    "/konto/anmelden/", {"username": secrets.token_hex(6), "password": "x" * 12}
                )

            results = repeat_for(seconds, 4, attempt)
            return [f"login attempts: {statuses(results)}"]

        rows.append(("login spray (4 threads)", *during(base, seconds, spray)))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    print("gunicorn 2 sync workers; the probe asks for / every 50 ms during each phase")
    met = True
    for label, probe, lines, p99 in rows:
        print(f"{label:<30} probe {probe}")
        for line in lines:
            print(f"{'':<30}   {line}")
        met = met and p99 < 1.0
    print("target met: / within 1 s (p99) in every phase" if met else "TARGET MISSED")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
