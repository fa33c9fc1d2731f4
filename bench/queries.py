"""Time the database's share at full size: the counting rule, statistics, admin lists, portal list.

    .venv/bin/python bench/queries.py [--database-url URL] [--reuse] [--runs 5] [--explain DIR]

Builds the full-size set with `bench/fullsize.py` (all 2,445 Kommunen holding the award,
500,000 links, Nürnberg with 5,000) in a fresh database (a temporary SQLite file unless
--database-url names another, empty one); with --reuse the database named is already built
(only migrations run). Then it times each query or page in-process, the median of --runs after
one warm-up, with the CPU time of this process (on SQLite that is the database's work too, and
a fairer figure than the wall clock on a machine shared with other work) and its queries:

- the counting rule for every Kommune (`with_progress`), the confirmed count of every Kommune,
  the statistics' live counts and its figures uncached, the holders at risk, the Kommunen near
  their threshold;
- the admin changelists of applications, awards (also sorted by the live count and filtered
  to those at risk), Kommunen and procedure links (the first page, a search by title, a search
  by a Kommune's name and one Kommune's links), as the ministry's administrator;
- the portal's procedure list of the Kommune with the most links (first and last page).

With --explain DIR (PostgreSQL) the slowest query of each row is written to DIR with its
EXPLAIN (ANALYZE, BUFFERS).

Targets: admin pages under 150 ms, the portal's list under 100 ms, the counting rule for every
Kommune under 200 ms, on SQLite and PostgreSQL.

The figures, before and after issue 15, are in the README ("Figures at full size").
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fullsize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true", help="the database is built already")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", type=Path, help="write EXPLAIN ANALYZE files here")
    parser.add_argument("--only", help="time only the rows whose label contains this")
    args = parser.parse_args()

    workdir = fullsize.configure(args.database_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from awards.models import Award
    from awards.reminders import near_threshold
    from digitalesamt.accounts.roles import ADMIN_GROUP
    from digitalesamt.public.views.statistics import _statistics_context, live_counts
    from municipalities.confirmation import with_confirmed_count
    from municipalities.models import Membership, Municipality, ProcedureLink

    if args.reuse:
        call_command("migrate", verbosity=0)
        busiest = (
            ProcedureLink.objects.order_by()
            .values("municipality")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("municipality", "n")
            .first()
        )
        busiest_pk, busiest_links = busiest
    else:
        fullsize.prepare()
        data = fullsize.build()
        busiest_pk, busiest_links = data.busiest_pk, data.busiest_links
        print(f"built in {data.seconds:.0f} s ({workdir})", flush=True)
    print(
        f"{connection.vendor}: {Municipality.objects.count():,} Kommunen, "
        f"{ProcedureLink.objects.count():,} links, {Award.objects.count():,} awards",
        flush=True,
    )

    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=plain_static, ALLOWED_HOSTS=["testserver"]).enable()
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username="bench-admin", defaults={"email": "verwaltung@bench.example", "is_staff": True}
    )
    if created:
        admin.groups.add(Group.objects.get(name=ADMIN_GROUP))
    device = TOTPDevice.objects.filter(user=admin).first() or TOTPDevice.objects.create(
        user=admin, name="bench", confirmed=True
    )
    staff = Client()
    staff.force_login(admin)
    session = staff.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    clerk, _created = User.objects.get_or_create(
        username="bench-clerk", defaults={"email": "clerk@bench.example"}
    )
    Membership.objects.get_or_create(user=clerk, defaults={"municipality_id": busiest_pk})
    portal = Client()
    portal.force_login(clerk)
    kommune_name = Municipality.objects.get(pk=busiest_pk).name
    last_page = -(-busiest_links // 50)

    def page(client: Client, url: str):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return get

    rows = [
        (
            "counting rule, every Kommune",
            lambda: list(
                Municipality.objects.with_progress().values_list(
                    "pk", "procedure_count", "threshold"
                )
            ),
        ),
        (
            "confirmed count, every Kommune",
            lambda: list(
                with_confirmed_count(Municipality.objects.order_by()).values_list(
                    "pk", "confirmed_count"
                )
            ),
        ),
        ("statistics: live counts", live_counts),
        ("statistics: figures, uncached", _statistics_context),
        ("awards at risk", lambda: list(Award.objects.holders_at_risk().values_list("pk"))),
        ("Kommunen near their threshold", lambda: list(near_threshold().values_list("pk"))),
        ("admin: applications (all)", page(staff, "/admin/awards/application/?status=alle")),
        ("admin: awards", page(staff, "/admin/awards/award/")),
        ("admin: awards by live count", page(staff, "/admin/awards/award/?o=-5")),
        ("admin: awards at risk", page(staff, "/admin/awards/award/?at_risk=1")),
        ("admin: Kommunen", page(staff, "/admin/municipalities/municipality/")),
        (
            "admin: Kommunen by count",
            page(staff, "/admin/municipalities/municipality/?o=-7"),
        ),
        ("admin: procedure links", page(staff, "/admin/municipalities/procedurelink/")),
        (
            "admin: procedure links, search a title",
            page(staff, "/admin/municipalities/procedurelink/?q=Hundesteuer"),
        ),
        (
            "admin: procedure links, search a Kommune",
            page(staff, f"/admin/municipalities/procedurelink/?q={kommune_name}"),
        ),
        (
            "admin: procedure links of one Kommune",
            page(staff, f"/admin/municipalities/procedurelink/?municipality={busiest_pk}"),
        ),
        (
            f"portal: procedure list ({busiest_links:,} links)",
            page(portal, "/portal/verfahren/"),
        ),
        (
            "portal: procedure list, last page",
            page(portal, f"/portal/verfahren/?seite={last_page}"),
        ),
    ]
    if args.explain:
        args.explain.mkdir(parents=True, exist_ok=True)
    print(f"{'':<46} {'median':>9} {'CPU':>9} {'queries':>8}  slowest query", flush=True)
    for label, function in rows:
        if args.only and args.only not in label:
            continue
        function()  # warm-up: caches, the first compile of templates
        times, cpu = [], []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as captured:
                started, used = time.perf_counter(), time.process_time()
                function()
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
        slowest = max(captured.captured_queries, key=lambda query: float(query["time"]))
        print(
            f"{label:<46} {statistics.median(times) * 1000:7.1f} ms"
            f" {statistics.median(cpu) * 1000:6.1f} ms {len(captured):8d}"
            f"  {float(slowest['time']) * 1000:.1f} ms",
            flush=True,
        )
        if args.explain and connection.vendor == "postgresql":
            name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
            (args.explain / f"{name}.txt").write_text(f"{slowest['sql']}\n\n{plan}\n")
    if not any(workdir.iterdir()):  # a database named by URL: nothing was kept here
        workdir.rmdir()


if __name__ == "__main__":
    main()
