"""The processes of bench/cluster.py and how it talks to them: the stand-in web server, the load,
gunicorn, the workers and nginx, killing and stopping them.
"""

import contextlib
import getpass
import hashlib
import hmac
import http.server
import json
import os
import signal
import ssl
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
from _http import Session, free_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SITE = ROOT / "deploy" / "nginx" / "digitalesamt.conf"
SLOW_SECONDS = 6  # how long the stand-in's slow pages take


class StandIn(http.server.BaseHTTPRequestHandler):
    """The procedures' web pages: an online form, at once or after SLOW_SECONDS."""

    PAGE = (
        b"<!doctype html><html lang=de><title>Online-Antrag</title><h1>Online-Antrag</h1>"
        b'<form method=post action="/senden"><label>Name <input name=name></label>'
        b"<button>Antrag absenden</button></form></html>"
    )

    def do_GET(self, body: bool = True) -> None:
        if self.path.startswith("/langsam/"):
            time.sleep(SLOW_SECONDS)
        elif not self.path.startswith("/formular/"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.PAGE)))
        self.end_headers()
        if body:
            self.wfile.write(self.PAGE)

    def do_HEAD(self) -> None:
        self.do_GET(body=False)

    def handle(self) -> None:
        # The link check closes the connection once it has read enough of a page.
        with contextlib.suppress(ConnectionError):
            super().handle()

    def log_message(self, *args) -> None:
        pass


class Load:
    """Client threads asking for public pages through nginx; every answer kept with its time."""

    def __init__(self, base: str, paths: list[str], threads: int) -> None:
        self.base, self.paths = base, paths
        self.context = unverified()
        self.results: list[tuple[float, object, float]] = []  # (moment, status, seconds)
        self.open = [False] * threads
        self.running = True
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    def run(self, index: int) -> None:
        session = Session(self.base, context=self.context)
        n = index
        while self.running:
            path = self.paths[n % len(self.paths)]
            n += 1
            self.open[index] = True
            status, seconds, _body = session.request(path)
            self.open[index] = False
            self.results.append((time.monotonic(), status, seconds))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.join()


def unverified() -> ssl.SSLContext:
    return ssl._create_unverified_context()  # noqa: S323 - the bench's own certificate


def ok(status: object) -> bool:
    return isinstance(status, int) and 200 <= status < 400


def figures(results: list) -> str:
    if not results:
        return "no requests"
    times = sorted(seconds for _moment, _status, seconds in results)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    counts: dict[str, int] = {}
    for _moment, status, _seconds in results:
        key = str(status) if isinstance(status, int) else "no answer"
        counts[key] = counts.get(key, 0) + 1
    errors = sum(1 for _m, status, _s in results if not ok(status))
    by_status = ", ".join(f"{n} × {status}" for status, n in sorted(counts.items()))
    return (
        f"{len(results):5d} requests, {errors} errors, p50 {statistics.median(times) * 1000:5.0f}"
        f" ms, p99 {p99 * 1000:5.0f} ms ({by_status})"
    )


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (gunicorn's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL a process and everything below it, as a crash of the host would."""
    for pid in [process.pid, *descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def server_admin(url: str) -> psycopg.Connection:
    """A connection to the server's maintenance database, to create and drop databases."""
    return psycopg.connect(with_database(url, "postgres"), autocommit=True)


def user_hash(secret_key: str, user_id: int) -> str:
    """digitalesamt.lib.observability.user_hash, for the bench's own SECRET_KEY."""
    key = secret_key.encode()
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:16]


def log_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


class Cluster:
    """Every process the bench starts, and how to stop them."""

    def __init__(self, workdir: Path, env: dict) -> None:
        self.workdir, self.env = workdir, env
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.standin: http.server.ThreadingHTTPServer | None = None

    def manage(self, *command: str, capture: bool = False) -> str:
        result = subprocess.run(
            [str(PYTHON), "manage.py", *command],
            cwd=ROOT,
            env=self.env,
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"manage.py {command[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout if capture else ""

    def spawn(self, name: str, command: list[str]) -> None:
        with open(self.workdir / f"{name}.log", "wb") as log:  # the process keeps its copy
            self.processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def start_standin(self) -> str:
        self.standin = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), StandIn)
        self.standin.daemon_threads = True
        threading.Thread(target=self.standin.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.standin.server_address[1]}"

    def start_instance(self, name: str) -> None:
        self.ports[name] = free_port()
        self.spawn(
            name,
            [str(GUNICORN), "digitalesamt.wsgi", "--workers", "2", "--worker-class", "sync"]
            + ["--bind", f"127.0.0.1:{self.ports[name]}", "--log-level", "warning"]
            + ["--timeout", "60", "--graceful-timeout", "5"],
        )

    def start_worker(self, name: str) -> None:
        self.spawn(
            name,
            [str(PYTHON), "manage.py", "task_worker", "--worker-id", name, "--interval", "0.5"]
            + ["--no-reload"],
        )

    def start_nginx(self, upstreams: list[int], https: int) -> None:
        work = self.workdir / "nginx"
        work.mkdir()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
            + ["-subj", "/CN=127.0.0.1", "-keyout", "key.pem", "-out", "cert.pem"],
            cwd=work,
            check=True,
            capture_output=True,
        )
        plain = free_port()
        servers = "\n    ".join(
            f"server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstreams
        )
        site = SITE.read_text()
        for old, new in [
            ("server 127.0.0.1:8000 max_fails=1 fail_timeout=10s;", servers),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
            ("listen [::]:443 ssl http2;", ""),
            ("listen 80;", f"listen 127.0.0.1:{plain};"),
            ("listen [::]:80;", ""),
            ("/etc/ssl/certs/digitales-amt.bayern.de.pem", str(work / "cert.pem")),
            ("/etc/ssl/private/digitales-amt.bayern.de.key", str(work / "key.pem")),
            ("/srv/digitalesamt/staticfiles/", self.env["STATIC_ROOT"] + "/"),
        ]:
            if old not in site:
                raise SystemExit(f"{SITE.name} has changed: no {old!r} to rewrite for loopback")
            site = site.replace(old, new)
        (work / "site.conf").write_text(site)
        (work / "nginx.conf").write_text(
            # Run as root, nginx's workers would be "nobody", who cannot read the temp folders.
            (f"user {getpass.getuser()};\n" if os.geteuid() == 0 else "")
            + f"pid {work}/nginx.pid;\nerror_log {work}/error.log;\ndaemon off;\nevents {{}}\n"
            "http {\n  include /etc/nginx/mime.types;\n"
            '  log_format upstreams "$status $request_method $upstream_addr $upstream_status";\n'
            f"  access_log {work}/access.log upstreams;\n"
            f"  client_body_temp_path {work}/body;\n  proxy_temp_path {work}/proxy;\n"
            f"  include {work}/site.conf;\n}}\n"
        )
        command = ["nginx", "-p", str(work), "-c", str(work / "nginx.conf")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise SystemExit(f"nginx refuses the rewritten site:\n{checked.stderr}")
        self.spawn("nginx", command)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for name, process in self.processes.items():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop within 15 s: killed", flush=True)
                kill_hard(process)
        if self.standin is not None:
            self.standin.shutdown()
            self.standin.server_close()


class Background(threading.Thread):
    """Run `function(*args)` in a thread; join() raises what it raised."""

    def __init__(self, function, *args) -> None:
        super().__init__(daemon=True)
        self.function, self.args, self.error = function, args, None
        self.start()

    def run(self) -> None:
        try:
            self.function(*self.args)
        except BaseException as error:  # noqa: BLE001 - SystemExit too, raised in join()
            self.error = error

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.error is not None:
            raise self.error


def wait_for(what: str, check, seconds: float, interval: float = 0.3):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise SystemExit(f"gave up waiting: {what} (after {seconds:.0f} s)")


def direct(port: int, cookie: str = "") -> Session:
    """A session that asks one instance directly, with the headers nginx would add."""
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = cookie
    return Session(f"http://127.0.0.1:{port}", headers=headers)


def document(session: Session, path: str) -> tuple[object, str, str, int]:
    """(status, ETag, SHA-256 of the body, its length) of a document."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        session.base + path, headers=session.headers
    )
    try:
        with session.opener.open(request, timeout=60) as response:
            body = response.read()
            return (
                response.status,
                response.headers.get("ETag", ""),
                hashlib.sha256(body).hexdigest(),
                len(body),
            )
    except urllib.error.HTTPError as error:
        return error.code, "", "", 0
    except OSError as error:
        return f"error: {error}", "", "", 0
