"""Serve stored documents under load beside a static file: requests/s and ratios, with wrk.

    .venv/bin/python bench/document_serving.py [--duration 5] [--connections 20] [--runs 3]
                                               [--accel] [--database FILE] [--cpu N]

Builds a fresh SQLite database with the demo data (as bench/public.py does), collects the
static files, starts gunicorn on loopback with production settings and deploy/gunicorn.conf.py
(2 sync workers, warmed up), asks once for an award's plaque and signets (rendered and stored
on that first request: TASKS_BACKEND=immediate; `--database` copies a demo SQLite file made
before instead of seeding one) and then runs wrk at 20 connections against
`/health/` (the bare view), a static file through WhiteNoise and each stored document, every
row right after its own `/health/` run (the machine's load is then the same). Ratios are
requests/s ÷ that `/health/` run and ÷ the static file's ratio (the issue's target: a cached
document >= 0.8x a static file). A row marked "304" revalidates with the document's ETag.

With `--accel`, nginx (deploy/nginx/digitalesamt.conf on loopback, plain HTTP) stands in front
of the same gunicorn with DOCUMENTS_ACCEL_REDIRECT set, and the same rows run through it, the
static file as nginx serves it from disk. With `--cpu N` each path is also called N times per
round through the WSGI application in one process, and the CPU time per request is printed (on
a machine that others load, CPU time says more than requests/s). Uses loopback only and removes
its folder.
"""

import argparse
import getpass
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from public import (  # noqa: E402
    BARE,
    GUNICORN,
    GUNICORN_CONFIG,
    PYTHON,
    ROOT,
    bare_view,
    fetch,
    free_port,
    wrk,
)

SITE = ROOT / "deploy" / "nginx" / "digitalesamt.conf"
ACCEL_PREFIX = "/_stored/"
NUMBER = """
from awards.models import Award
print(Award.objects.filter(revoked_at__isnull=True).order_by("number")[10].number)
"""


def nginx_config(workdir: Path, port: int, upstream: int, media: Path, static: Path) -> Path:
    """Write the deployment's site for loopback and plain HTTP; return nginx.conf's path."""
    site = SITE.read_text()
    site = site[site.index("upstream digitalesamt") :]
    # Drop the redirecting server on port 80 and TLS: wrk asks over plain HTTP.
    site = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", site, flags=re.DOTALL)
    site = re.sub(r"\n\s*ssl_[^\n]*;", "", site)
    for old, new in [
        ("server 127.0.0.1:8000", f"server 127.0.0.1:{upstream}"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{port};"),
        ("listen [::]:443 ssl http2;", ""),
        ("/srv/digitalesamt/staticfiles/", f"{static}/"),
        ("/var/lib/digitalesamt/media/", f"{media}/"),
    ]:
        assert old in site, old
        site = site.replace(old, new)
    (workdir / "site.conf").write_text(site)
    conf = workdir / "nginx.conf"
    conf.write_text(
        (f"user {getpass.getuser()};\n" if os.geteuid() == 0 else "")
        + f"pid {workdir}/nginx.pid;\nerror_log {workdir}/nginx-error.log;\n"
        "worker_processes 1;\nevents {}\n"
        f"http {{\n  access_log off;\n  include /etc/nginx/mime.types;\n  sendfile on;\n"
        f"  client_body_temp_path {workdir}/body;\n  proxy_temp_path {workdir}/proxy;\n"
        f"  include {workdir}/site.conf;\n}}\n"
    )
    return conf


def cpu_per_request(paths: list[str], repeat: int, rounds: int) -> None:
    """In this process: call the WSGI application for each path `repeat` times per round, in
    turn, and print the CPU milliseconds per request (time.process_time: the machine's other
    load does not count) as JSON lines."""
    import io
    import json
    from wsgiref.util import setup_testing_defaults

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalesamt.settings")
    from digitalesamt.wsgi import application

    def call(path: str) -> None:
        path, _, etag = path.partition("|")
        environ = {"PATH_INFO": path, "HTTP_HOST": "digitales-amt.bayern.de"}
        if etag:
            environ["HTTP_IF_NONE_MATCH"] = etag
        setup_testing_defaults(environ)
        environ["wsgi.input"] = io.BytesIO()
        status = []
        body = application(environ, lambda line, headers, exc_info=None: status.append(line))
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
        assert status[0][:3] in ("200", "304"), (path, status)

    for path in paths:
        for _ in range(20):
            call(path)
    for _ in range(rounds):
        for path in paths:
            started = time.process_time()
            for _ in range(repeat):
                call(path)
            ms = (time.process_time() - started) * 1000 / repeat
            print(json.dumps({"path": path, "ms": ms}), flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--cpu-child"]:
        cpu_per_request(sys.argv[4:], int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accel", action="store_true", help="through nginx, X-Accel-Redirect")
    parser.add_argument("--database", help="a demo SQLite database to copy instead of seeding")
    parser.add_argument("--cpu", type=int, metavar="N", help="also CPU ms per request, N calls")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="digitalesamt-bench-"))
    media, static = workdir / "media", workdir / "static"
    port = free_port()
    env = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(media),
        "STATIC_ROOT": str(static),
        "ALLOWED_HOSTS": "127.0.0.1,digitales-amt.bayern.de",
        "SECURE_SSL_REDIRECT": "false",
        "TASKS_BACKEND": "immediate",
        "SITE_URL": "https://digitales-amt.bayern.de",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "2",
        "RATE_LIMIT_RENDER_PER_ADDRESS": "0",
        "RATE_LIMIT_RENDER": "0",
    }
    if args.accel:
        env["DOCUMENTS_ACCEL_REDIRECT"] = ACCEL_PREFIX

    def manage(*command: str) -> str:
        return subprocess.run(
            [str(PYTHON), "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    started = time.perf_counter()
    if args.database:  # a copy of a demo database made before, to save the minutes of set-up
        shutil.copy(args.database, workdir / "bench.sqlite3")
        manage("migrate")
    else:
        for command in ("migrate", "createcachetable", "import_municipalities", "import_services"):
            manage(command)
        manage("seed_demo", "--force")
    manage("collectstatic", "--no-input")
    number = manage("shell", "--no-imports", "-c", NUMBER).split()[-1]
    print(f"demo data set ready in {time.perf_counter() - started:.0f} s; award {number}")

    # The static file: the site's stylesheet, under its hashed name.
    stylesheet = next(static.glob("css/*.*.css"), None) or next(static.rglob("*.*.css"))
    static_path = "/static/" + stylesheet.relative_to(static).as_posix()
    documents = f"/auszeichnungen/{number}"
    server = subprocess.Popen(
        [str(GUNICORN), "digitalesamt.wsgi", "-c", str(GUNICORN_CONFIG)]
        + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,  # one log line per request
    )
    nginx = None
    base = f"http://127.0.0.1:{port}"
    rounds: list[dict[str, tuple[float, float]]] = []
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        if args.accel:
            nginx_port = free_port()
            conf = nginx_config(workdir, nginx_port, port, media, static)
            nginx = ["nginx", "-p", str(workdir), "-c", str(conf)]
            subprocess.run([*nginx, "-g", "daemon on;"], check=True)
            time.sleep(0.5)
            base = f"http://127.0.0.1:{nginx_port}"
        host = {"Host": "digitales-amt.bayern.de"}
        rows: dict[str, tuple[str, dict[str, str]]] = {
            "static file (stylesheet)": (static_path, {}),
            "plaque schild.pdf": (f"{documents}/schild.pdf", {}),
            "signet.png": (f"{documents}/signet.png", {}),
            "signet.svg": (f"{documents}/signet.svg", {}),
        }
        sizes = {}
        for label, (path, _headers) in list(rows.items()):
            for _ in range(100):  # a document is rendered on its first request
                request = urllib.request.Request(base + path, headers=host)  # noqa: S310
                with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                    etag = answer.headers.get("ETag")
                    if answer.status == 200 and not answer.headers.get("Retry-After"):
                        break
                time.sleep(0.2)
            sizes[label] = fetch(base + path, host)[0]
            if label.startswith("plaque"):
                rows["plaque schild.pdf, 304"] = (path, {"If-None-Match": etag})
                sizes["plaque schild.pdf, 304"] = 0
        rows = {BARE: ("/health/", {}), **rows}
        sizes[BARE] = 2
        for _ in range(args.runs):
            results = {}
            for label, (path, headers) in rows.items():
                if label.startswith("minimal"):
                    continue
                for key, row_path, row_headers in (
                    (f"health before {label}", "/health/", {}),
                    (label, path, headers),
                ):
                    results[key] = wrk(
                        base + row_path,
                        duration=args.duration,
                        connections=args.connections,
                        headers={**host, **row_headers},
                        script=None,
                    )
            results[BARE] = bare_view(results)
            rounds.append(results)
        if args.cpu:
            paths = [
                path + ("|" + headers["If-None-Match"] if headers else "")
                for label, (path, headers) in rows.items()
            ]
            measured = subprocess.run(
                [str(PYTHON), __file__, "--cpu-child", str(args.cpu), str(args.runs), *paths],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            cpu = {}
            for line in measured.splitlines():
                entry = json.loads(line)
                cpu.setdefault(entry["path"], []).append(entry["ms"])
    finally:
        if nginx:
            subprocess.run([*nginx, "-s", "stop"], check=False)
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    def ratio(results: dict[str, tuple[float, float]], label: str) -> float:
        if label.startswith("minimal"):
            return 1.0
        return results[label][0] / results[f"health before {label}"][0]

    through = "nginx (X-Accel-Redirect) in front of " if args.accel else ""
    print(f"{through}gunicorn (deploy/gunicorn.conf.py, 2 sync workers), wrk")
    print(f"{args.connections} connections, {args.duration} s each, {args.runs} rounds")
    columns = ("requests/s", 22), ("× /health/", 18), ("× static", 18), ("p99 ms", 7), ("bytes", 7)
    print(f"{'':<26} " + " ".join(f"{name:>{width}}" for name, width in columns))
    static_label = "static file (stylesheet)"
    for label in rows:
        rps = [results[label][0] for results in rounds]
        ratios = [ratio(results, label) for results in rounds]
        if label.startswith("minimal"):
            versus_static = ["–"]
        else:
            versus_static = [
                f"{ratio(results, label) / ratio(results, static_label):.2f}" for results in rounds
            ]
        p99 = statistics.median(results[label][1] for results in rounds)
        print(
            f"{label:<26} {' / '.join(f'{value:.0f}' for value in rps):>22} "
            f"{' / '.join(f'{value:.2f}' for value in ratios):>18} "
            f"{' / '.join(versus_static):>18} {p99:>7.1f} {sizes[label]:>7}"
        )
    share = min(
        statistics.median(ratio(rnd, label) / ratio(rnd, static_label) for rnd in rounds)
        for label in rows
        if label.startswith(("plaque", "signet"))
    )
    if args.cpu:
        print(f"\nCPU ms per request in one process (WSGI call, {args.cpu} calls, per round):")
        static_ms = statistics.median(cpu[rows[static_label][0]])
        for (label, (_path, _headers)), times in zip(rows.items(), cpu.values(), strict=True):
            median = statistics.median(times)
            print(
                f"{label:<26} {' / '.join(f'{value:.2f}' for value in times):>22} ms"
                f"   static ÷ this {static_ms / median:.2f}"
            )
    print(f"the slowest document reaches {share:.2f}x the static file (target >= 0.8x)")
    print("target met" if share >= 0.8 else "TARGET MISSED")


if __name__ == "__main__":
    main()
