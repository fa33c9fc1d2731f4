"""The scale-out test: two gunicorn instances and two task workers behind nginx, one database.

    .venv/bin/python bench/cluster.py --database-url postgres://postgres@127.0.0.1:5432/x \
        [--load-seconds 60] [--kill-at 20] [--threads 4]

On the PostgreSQL server of --database-url it creates a database of its own (cluster_<random>,
dropped at the end) and one shared MEDIA_ROOT, prepares them (migrate, createcachetable,
collectstatic, the register and the services, the roles; two Kommunen with a clerk each, a
reviewer with a TOTP app) and starts, all on loopback: two gunicorn instances (2 sync workers
each, production settings, JSON request logs, one file per instance), two `task_worker`
processes, nginx with deploy/nginx/digitalesamt.conf rewritten for loopback (both instances in
its `upstream`, a self-signed certificate) and a stand-in web server for the link check (the
procedures' links point at it: nothing leaves the machine).

Through nginx (https) the clerk logs in and the session made by one instance is used by the
other (each instance is asked directly with the session cookie, and both instances' logs show
the clerk's requests); the clerk uploads a procedure file and submits; the workers check the
links; the reviewer logs in with the second factor and approves; the workers render the
documents, and both instances serve each document with the same ETag and bytes.

Then a load of the public pages (`/`, a search, a Kommune, the verification page, the
statistics, the plaque) through nginx for --load-seconds. Shortly before --kill-at the second
clerk submits (its link check holds a worker for a few seconds on slow links); at --kill-at the
script kills one gunicorn instance (SIGKILL to master and workers) and the worker that holds
that link check (SIGKILL), queues a mail, and after TASK_STALE_AFTER runs
`requeue_stale_tasks`, which must give the killed worker's task to the other worker.

Targets, each checked: errors during the load (any answer other than 2xx/3xx, or no answer)
at most the requests in flight at the kill; every queued task finished (none waiting, running
or failed), the killed worker's task among them; the documents still served, unchanged. It
prints its figures and exits 0 only if they hold, 1 with the reasons otherwise.
"""

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
from _cluster import (
    Background,
    Cluster,
    Load,
    descendants,
    direct,
    document,
    figures,
    kill_hard,
    log_lines,
    ok,
    server_admin,
    unverified,
    user_hash,
    wait_for,
    with_database,
)
from _http import PASSWORD, Session, free_port
from django_otp.oath import totp

SECRET_KEY = "cluster-bench-only-" + "x" * 50
TOTP_KEY = secrets.token_hex(20)  # the reviewer's app, known to the script
LINKS = 60  # above the threshold of a Gemeinde (50)
SLOW_LINKS = 8  # the second Kommune's links that answer after 6 s (_cluster.SLOW_SECONDS)
STALE_AFTER = 10  # TASK_STALE_AFTER: a task running longer has lost its worker
TASKS_TABLE = "django_tasks_database_dbtaskresult"
UNFINISHED = ("READY", "RUNNING")

SETUP = """
import json, os
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from awards import services
from digitalesamt.accounts.roles import REVIEWER_GROUP
from municipalities.models import Membership, Municipality, ProcedureLink, Service

env = os.environ
first, second = Municipality.objects.of_kind("gemeinde").filter(
    verwaltungsgemeinschaft__isnull=True
).order_by("ars")[:2]
service = Service.objects.order_by("leika_key").first()
User = get_user_model()
clerk = User.objects.create_user("cluster-clerk", "clerk@cluster.example", env["BENCH_PASSWORD"])
Membership.objects.create(user=clerk, municipality=first)
second_clerk = User.objects.create_user(
    "cluster-clerk-2", "clerk2@cluster.example", env["BENCH_PASSWORD"]
)
Membership.objects.create(user=second_clerk, municipality=second)
reviewer = User.objects.create_user(
    "cluster-reviewer", "reviewer@cluster.example", env["BENCH_PASSWORD"], is_staff=True
)
reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
TOTPDevice.objects.create(
    user=reviewer, name="Authenticator-App", confirmed=True, key=env["BENCH_TOTP_KEY"]
)
# The second Kommune: ready to submit, a few of its links slow (the link check holds a worker).
standin, slow, total = env["BENCH_STANDIN"], int(env["BENCH_SLOW"]), int(env["BENCH_LINKS"])
links = ProcedureLink.objects.bulk_create(
    ProcedureLink(
        municipality=second,
        title=f"Verfahren {n}",
        scope="kommunal",
        url=f"{standin}/{'langsam' if n < slow else 'formular'}/{n}",
    )
    for n in range(total)
)
ProcedureLink.services.through.objects.bulk_create(
    ProcedureLink.services.through(procedurelink_id=link.pk, service_id=service.pk)
    for link in links
)
services.create_application(municipality=second, by=second_clerk)
Path = __import__("pathlib").Path
Path(env["BENCH_SETUP_OUT"]).write_text(json.dumps({
    "ars": first.ars, "name": first.name, "second_ars": second.ars, "leika": service.leika_key,
    "clerk": clerk.pk,
}))
"""

REQUEUE = """
import time
from django.core.management import call_command
time.sleep(max(0, %r - time.time()))
call_command("requeue_stale_tasks")
"""

QUEUE_MAIL = """
from digitalesamt.lib.mail import queue
queue(subject="Skalierungstest", body="Nach dem Ausfall.", recipients=["a@cluster.example"])
"""


class Bench:
    """The run: setup, the workflow through nginx, the load with the kill, the checks."""

    def __init__(self, args: argparse.Namespace, workdir: Path, database_url: str) -> None:
        self.args, self.workdir = args, workdir
        self.failures: list[str] = []
        self.lines: list[str] = []
        self.https = free_port()
        self.base = f"https://127.0.0.1:{self.https}"
        self.context = unverified()
        env = {
            **os.environ,
            "ENV_FILE": os.devnull,
            "SECRET_KEY": SECRET_KEY,
            "DEBUG": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": "",  # the shared cache is the database's table
            "MEDIA_ROOT": str(workdir / "media"),
            "STATIC_ROOT": str(workdir / "static"),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": self.base,
            "CSRF_TRUSTED_ORIGINS": self.base,
            "TRUSTED_PROXY_SSL_HEADER": "true",
            "TRUSTED_PROXY_COUNT": "1",
            "TASKS_BACKEND": "database",
            "TASK_STALE_AFTER": str(STALE_AFTER),
            "EMAIL_URL": "filemail://",
            "EMAIL_FILE_PATH": str(workdir / "mail"),
            "MINISTRY_NOTIFY_EMAILS": "ministerium@cluster.example",
            "REQUEST_LOG": "true",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
            # The links point at the stand-in server on loopback: the check may go there.
            "LINKCHECK_ALLOW_PRIVATE": "true",
            "BENCH_PASSWORD": PASSWORD,
            "BENCH_TOTP_KEY": TOTP_KEY,
            "BENCH_SLOW": str(SLOW_LINKS),
            "BENCH_LINKS": str(LINKS),
            "BENCH_SETUP_OUT": str(workdir / "setup.json"),
        }
        self.cluster = Cluster(workdir, env)
        self.db = psycopg.connect(database_url, autocommit=True)
        self.last_login = 0.0

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.lines.append(line)

    def require(self, condition: bool, reason: str) -> bool:
        if not condition:
            self.failures.append(reason)
            print(f"  FAILED: {reason}", flush=True)
        return condition

    def query(self, sql: str, *params) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()

    def login(self, username: str) -> Session:
        # The login form takes 2 attempts per 5 s from one address.
        time.sleep(max(0.0, self.last_login + 5.5 - time.monotonic()))
        session = Session(self.base, context=self.context)
        session.login("/konto/anmelden/", username)
        self.last_login = time.monotonic()
        return session

    # Setup ------------------------------------------------------------------------------

    def setup(self) -> None:
        started = time.monotonic()
        cluster = self.cluster
        standin = cluster.start_standin()
        # The nightly sync is not run here; were it, it would ask the stand-in too.
        cluster.env.update(
            BENCH_STANDIN=standin,
            OZG_DASHBOARD_URL=f"{standin}/ozg/",
            OZG_DASHBOARD_ALLOW_PRIVATE="true",
        )
        steps: dict[str, float] = {}

        def run(*commands: list[str]) -> None:
            for command in commands:
                step = time.monotonic()
                cluster.manage(*command)
                steps[command[0]] = time.monotonic() - step

        # collectstatic needs no database; after migrate, the processes start while the
        # register and the services are imported (they serve once the setup is done).
        collect = Background(run, ["collectstatic", "--no-input"])
        run(["migrate"], ["createcachetable"])
        for name in ("a", "b"):
            cluster.start_instance(name)
        for name in ("worker-1", "worker-2"):
            cluster.start_worker(name)
        roles = Background(run, ["setup_roles"])
        run(["import_municipalities"], ["import_services"])
        roles.join()
        run(["shell", "--no-imports", "-c", SETUP])
        collect.join()
        self.info = json.loads((self.workdir / "setup.json").read_text())
        prepared = time.monotonic() - started
        cluster.start_nginx([cluster.ports["a"], cluster.ports["b"]], self.https)
        for name in ("a", "b"):
            wait_for(
                f"instance {name} ready",
                lambda name=name: direct(cluster.ports[name]).request("/health/ready/")[0] == 200,
                90,
            )
        nginx = Session(self.base, context=self.context)
        wait_for("nginx", lambda: nginx.request("/health/")[0] == 200, 30)
        self.say(
            f"setup: database and files ready in {prepared:.0f} s (two instances and two workers "
            f"starting meanwhile), all ready {time.monotonic() - started:.0f} s after the start: "
            f"instances on ports {cluster.ports['a']} and {cluster.ports['b']}, nginx {self.https}"
        )
        self.say("  " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in steps.items()))

    # The workflow through nginx -----------------------------------------------------------

    def workflow(self) -> None:
        cluster, info = self.cluster, self.info
        clerk = self.login("cluster-clerk")
        self.require(clerk.url.endswith("/portal/"), f"the clerk's login ended at {clerk.url}")
        cookie = clerk.cookie_header()
        asked = {}
        for name in ("a", "b"):
            instance = direct(cluster.ports[name], cookie)
            status, _seconds, body = instance.request("/portal/")
            asked[name] = status
            self.require(
                status == 200
                and instance.url.endswith("/portal/")
                and info["name"] in body.decode(),
                f"instance {name} does not know the clerk's session ({status}, {instance.url})",
            )

        rows = ["ars;titel;url;zustaendigkeit;leika_schluessel;aktiv"] + [
            f"{info['ars']};Online-Antrag {n};{cluster.env['BENCH_STANDIN']}/formular/k{n};"
            f"kommunal;{info['leika']};ja"
            for n in range(LINKS)
        ]
        data = ("\n".join(rows) + "\n").encode("cp1252")
        status, _seconds, body = clerk.upload("/portal/verfahren/import/", "verfahren.csv", data)
        self.require(status == 200 and "Übernehmen" in body.decode(), f"upload answered {status}")
        status, _seconds, body = clerk.form("/portal/verfahren/import/uebernehmen/", {})
        self.require(
            f"{LINKS} Verfahren neu" in body.decode(), f"the import was not saved ({status})"
        )
        clerk.form("/portal/antrag/stellen/", {})
        status, _seconds, _body = clerk.request("/portal/antrag/einreichen/")
        self.require(status == 200, f"the check-your-answers page answered {status}")
        submitted = time.monotonic()
        status, _seconds, body = clerk.form(
            "/portal/antrag/einreichen/", {"confirm": "on", "comment": "Skalierungstest"}
        )
        self.require("Ihr Antrag ist eingereicht" in body.decode(), f"submitting answered {status}")
        [(application,)] = self.query(
            "SELECT a.id FROM awards_application a JOIN municipalities_municipality m"
            " ON m.id = a.municipality_id WHERE m.ars = %s",
            info["ars"],
        )

        def checked() -> list[tuple] | None:
            rows = self.query(
                "SELECT e.check_result, count(*), count(e.checked_at) FROM awards_evidenceitem e"
                " JOIN awards_submission s ON s.id = e.submission_id"
                " WHERE s.application_id = %s GROUP BY e.check_result",
                application,
            )
            done = sum(row[2] for row in rows) == sum(row[1] for row in rows) == LINKS
            return rows if done else None

        results = wait_for("the link check of the application", checked, 120)
        check_seconds = time.monotonic() - submitted
        by_result = ", ".join(f"{n} {result}" for result, n, _checked in results)

        reviewer = self.login("cluster-reviewer")
        self.require(
            "/konto/zweiter-faktor/" in reviewer.url, f"no second step for staff: {reviewer.url}"
        )
        code = f"{totp(bytes.fromhex(TOTP_KEY)):06d}"  # what the reviewer's app shows now
        step = urllib.parse.urlsplit(reviewer.url)
        reviewer.form(step.path + (f"?{step.query}" if step.query else ""), {"code": code})
        self.require("/admin/" in reviewer.url, f"the second step ended at {reviewer.url}")
        page = f"/admin/awards/application/{application}/"
        status, _seconds, _body = reviewer.form(page + "pruefung-beginnen/", {})
        self.require(status == 200, f"starting the review answered {status}")
        status, _seconds, _body = reviewer.request(page + "bewilligen/")
        self.require(status == 200, f"the approval page answered {status}")
        status, _seconds, body = reviewer.form(
            page + "bewilligen/",
            {"justification": "Skalierungstest: Links auf dem Testserver geprüft."},
        )
        self.require("Der Antrag ist bewilligt" in body.decode(), f"approving answered {status}")
        approved = time.monotonic()
        [(number,)] = self.query(
            "SELECT w.number FROM awards_award w JOIN municipalities_municipality m"
            " ON m.id = w.municipality_id WHERE m.ars = %s",
            info["ars"],
        )
        self.number = number
        self.documents = [
            f"/auszeichnungen/{number}/schild.pdf",
            f"/auszeichnungen/{number}/signet.png",
        ]
        nginx = Session(self.base, context=self.context)
        for path in self.documents:
            wait_for(f"{path} rendered", lambda path=path: nginx.request(path)[0] == 200, 180, 1)
        render_seconds = time.monotonic() - approved
        self.served = self.serve_documents(["a", "b"])
        ran = {}
        for _id, _status, path, workers in self.tasks():
            ran.setdefault(path.rsplit(".", 1)[-1], set()).update(workers)
        ran_by = {name: "/".join(sorted(workers)) for name, workers in ran.items()}

        # Which instance answered what, from their JSON request logs.
        clerk_hash = user_hash(SECRET_KEY, info["clerk"])
        signed_in, login_by = {}, []
        for name in ("a", "b"):
            lines = log_lines(self.workdir / f"{name}.log")
            signed_in[name] = sum(1 for line in lines if line.get("user") == clerk_hash)
            if any(
                line.get("method") == "POST"
                and line.get("route") == "/konto/anmelden/"
                and line.get("status") == 302
                for line in lines
            ):
                login_by.append(name)
        self.require(
            all(signed_in.values()),
            f"the clerk's signed-in requests did not reach both instances: {signed_in}",
        )
        self.say(
            "workflow through nginx: the clerk's login was answered by instance "
            f"{'/'.join(login_by) or '?'}; the clerk's signed-in requests: a {signed_in['a']}, "
            f"b {signed_in['b']}; the session cookie asked directly: a {asked['a']}, "
            f"b {asked['b']}"
        )
        self.say(
            f"  {LINKS} links uploaded and submitted; link check by "
            f"{ran_by.get('check_submission_links', '?')} in {check_seconds:.1f} s ({by_result});"
            f" approved with the second factor: {number}; documents rendered by "
            f"{ran_by.get('render_award_documents', '?')}, served {render_seconds:.1f} s after "
            "the approval"
        )
        for path, (etag, digest, size) in self.served.items():
            self.say(
                f"  {path}: a, b and nginx give ETag {etag}, {size} bytes, sha256 {digest[:12]}"
            )

    def serve_documents(self, instances: list[str]) -> dict[str, tuple[str, str, int]]:
        """Ask each instance directly and nginx for each document: the same ETag and bytes."""
        served = {}
        for path in self.documents:
            answers = {name: document(direct(self.cluster.ports[name]), path) for name in instances}
            answers["nginx"] = document(Session(self.base, context=self.context), path)
            versions = {(etag, digest) for _status, etag, digest, _size in answers.values()}
            self.require(
                all(answer[0] == 200 for answer in answers.values()) and len(versions) == 1,
                f"{path} differs between instances: {answers}",
            )
            _status, etag, digest, size = answers["nginx"]
            served[path] = (etag, digest, size)
        return served

    # The load, the kill, the requeue --------------------------------------------------------

    def tasks(self) -> list[tuple]:
        return self.query(f"SELECT id, status, task_path, worker_ids FROM {TASKS_TABLE}")  # noqa: S608

    def load(self) -> None:
        args, cluster, info = self.args, self.cluster, self.info
        second = self.login("cluster-clerk-2")
        status, _seconds, _body = second.request("/portal/antrag/einreichen/")
        self.require(status == 200, f"the second clerk's check page answered {status}")
        wait_for(
            "the tasks of the workflow",
            lambda: not any(task[1] in UNFINISHED for task in self.tasks()),
            120,
        )
        public = [
            "/",
            f"/?q={urllib.parse.quote(info['name'][:4])}",
            f"/kommunen/{info['ars']}/",
            f"/pruefen/{self.number}/",
            "/statistik/",
            self.documents[0],
        ]
        warm = Session(self.base, context=self.context)
        for path in public:
            status, _seconds, _body = warm.request(path)
            self.require(ok(status), f"{path} answered {status} before the load")
        load = Load(self.base, public, args.threads)
        started = time.monotonic()
        load.start()
        try:
            time.sleep(max(0.0, started + args.kill_at - 3 - time.monotonic()))
            status, _seconds, body = second.form("/portal/antrag/einreichen/", {"confirm": "on"})
            self.require(
                "Ihr Antrag ist eingereicht" in body.decode(),
                f"the second clerk's submission answered {status}",
            )

            def held() -> tuple | None:
                running = [
                    task
                    for task in self.tasks()
                    if task[1] == "RUNNING" and task[2].endswith("check_submission_links")
                ]
                return running[0] if running else None

            task_id, _status, _path, worker_ids = wait_for("the slow link check", held, 30, 0.1)
            victim = worker_ids[-1]
            survivor = "worker-2" if victim == "worker-1" else "worker-1"
            time.sleep(max(0.0, started + args.kill_at - time.monotonic()))
            in_flight = sum(load.open)
            killed_at = time.monotonic()
            killed = 1 + len(descendants(cluster.processes["b"].pid))
            kill_hard(cluster.processes["b"])
            kill_hard(cluster.processes[victim])
            [(state,)] = self.query(f"SELECT status FROM {TASKS_TABLE} WHERE id = %s", task_id)  # noqa: S608
            self.require(state == "RUNNING", f"the killed worker's task was {state}, not held")
            requeued: list[str] = []

            # Work the surviving worker must do; and the timer's requeue_stale_tasks once the
            # killed worker's task is stale (its process starts now: Django takes a while).
            mail = Background(cluster.manage, "shell", "--no-imports", "-c", QUEUE_MAIL)
            requeue_at = time.time() + STALE_AFTER + 2

            def requeue() -> None:
                code = REQUEUE % requeue_at
                output = cluster.manage("shell", "--no-imports", "-c", code, capture=True)
                requeued.append(output.strip())

            later = Background(requeue)
            time.sleep(max(0.0, started + args.load_seconds - time.monotonic()))
            mail.join()
            later.join()
        finally:
            load.stop()
        requeued = requeued[0]
        ended = time.monotonic()

        before = [r for r in load.results if r[0] < killed_at]
        after = [r for r in load.results if r[0] >= killed_at]
        errors = sum(1 for _moment, status, _seconds in load.results if not ok(status))
        retried = sum(
            1
            for line in (self.workdir / "nginx" / "access.log").read_text().splitlines()
            if "," in line
        )
        self.say(
            f"load: {args.threads} threads on {len(public)} public pages through nginx for "
            f"{ended - started:.0f} s; at {killed_at - started:.1f} s killed instance b "
            f"({killed} processes) and {victim} with {in_flight} requests in flight"
        )
        self.say(f"  before the kill  {figures(before)}")
        self.say(f"  after the kill   {figures(after)}")
        self.say(f"  whole load       {figures(load.results)}")
        self.say(f"  nginx sent {retried} requests on to the other instance after a failure")
        self.require(
            errors <= in_flight,
            f"{errors} errors during the load, more than the {in_flight} requests in flight",
        )

        def finished() -> list[tuple] | None:
            rows = self.tasks()
            return rows if not any(task[1] in UNFINISHED for task in rows) else None

        rows = wait_for("every queued task", finished, 120)
        by_status: dict[str, int] = {}
        by_worker: dict[str, int] = {}
        by_name: dict[str, int] = {}
        for _id, status, path, workers in rows:
            by_status[status] = by_status.get(status, 0) + 1
            name = path.rsplit(".", 1)[-1]
            by_name[name] = by_name.get(name, 0) + 1
            if workers:
                by_worker[workers[-1]] = by_worker.get(workers[-1], 0) + 1
        [(state, workers)] = [(t[1], t[3]) for t in rows if t[0] == task_id]
        self.say(
            f"tasks: {len(rows)} queued, "
            + ", ".join(f"{n} {status.lower()}" for status, n in sorted(by_status.items()))
            + "; finished by "
            + ", ".join(f"{name} {n}" for name, n in sorted(by_worker.items()))
        )
        self.say("  " + ", ".join(f"{name} {n}" for name, n in sorted(by_name.items())))
        self.say(
            f"  the link check {victim} held: {requeued!r}, then {state.lower()} by "
            f"{' then '.join(workers)}"
        )
        self.require(by_status.get("FAILED", 0) == 0, f"{by_status.get('FAILED')} tasks failed")
        self.require(
            state == "SUCCESSFUL" and workers[-1] == survivor,
            f"the killed worker's task is {state} on {workers}",
        )
        unchecked = self.query(
            "SELECT count(*) FROM awards_evidenceitem e JOIN awards_submission s"
            " ON s.id = e.submission_id JOIN awards_application a ON a.id = s.application_id"
            " JOIN municipalities_municipality m ON m.id = a.municipality_id"
            " WHERE m.ars = %s AND e.checked_at IS NULL",
            info["second_ars"],
        )[0][0]
        self.require(unchecked == 0, f"{unchecked} links of the second Kommune stay unchecked")
        mails = len(list((self.workdir / "mail").glob("*")))
        self.say(f"  mails written by the workers: {mails} files")
        status = direct(cluster.ports["a"]).request("/health/ready/")[0]
        self.require(status == 200, f"the surviving instance's /health/ready/ answered {status}")
        after_kill = self.serve_documents(["a"])
        self.require(after_kill == self.served, "the documents changed after the kill")
        self.say(
            f"after the kill: instance a ready ({status}); the documents with the same ETag and "
            "bytes from instance a and nginx"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        required=True,
        help="a PostgreSQL server on loopback; the test works in a database of its own there",
    )
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--kill-at", type=float, default=20, help="seconds into the load")
    parser.add_argument("--threads", type=int, default=4, help="client threads of the load")
    args = parser.parse_args()
    if args.load_seconds < args.kill_at + STALE_AFTER + 5 or args.kill_at < 5:
        parser.error(f"the load must last until the requeue: --kill-at + {STALE_AFTER + 5} s")
    for program in ("nginx", "openssl"):
        if not shutil.which(program):
            raise SystemExit(f"{program} is missing: apt-get install {program}")

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="digitalesamt-cluster-"))
    name = f"cluster_{secrets.token_hex(4)}"
    with server_admin(args.database_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    bench = None
    try:
        bench = Bench(args, workdir, with_database(args.database_url, name))
        bench.setup()
        bench.workflow()
        bench.load()
    finally:
        if bench is not None:
            bench.cluster.stop()
            bench.db.close()
        with server_admin(args.database_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"total {time.monotonic() - started:.0f} s")
    if bench.failures:
        print("TARGETS MISSED:\n" + "\n".join(f"- {reason}" for reason in bench.failures))
        sys.exit(1)
    print(
        "targets met: errors within the requests in flight at the kill, every task finished, "
        "the documents served the same by both instances"
    )


if __name__ == "__main__":
    main()
