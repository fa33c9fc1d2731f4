"""The deployment files in deploy/: systemd units that systemd accepts, an nginx site that nginx
accepts and that proxies to the app the way its settings expect."""

import getpass
import os
import re
import runpy
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import get_commands
from django.test import override_settings

from awards import documents
from tests.factories import AwardFactory

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
INSTALLED = "/srv/digitalesamt"
MANAGE = re.compile(r"^ExecStart=\S+/python manage\.py (\S+)(.*)$", re.MULTILINE)


def unit_text(name: str) -> str:
    return (DEPLOY / "systemd" / name).read_text()


def test_every_scheduled_job_is_a_command_of_the_project():
    commands = get_commands()
    scheduled = [match[0] for unit in UNITS for match in MANAGE.findall(unit.read_text())]

    assert set(scheduled) >= {
        "sync_procedures",
        "revalidate_awards",
        "record_counts",
        "axes_reset_logs",
        "prune_db_task_results",
        "prune_audit_log",
        "requeue_stale_tasks",
        "task_worker",
        "backup",
    }
    assert [command for command in scheduled if command not in commands] == []


def test_gunicorn_takes_its_settings_from_the_apps_env_file_and_the_environment_wins(tmp_path):
    # The web unit passes only ENV_FILE; GUNICORN_WORKERS in that file must count
    # (.env.example lists it there).
    env_file = tmp_path / "digitalesamt.env"
    env_file.write_text("GUNICORN_WORKERS=5\nGUNICORN_BIND=127.0.0.1:8123\n")
    config = DEPLOY / "gunicorn.conf.py"
    with mock.patch.dict(os.environ, {"ENV_FILE": str(env_file)}):
        for name in ("GUNICORN_WORKERS", "GUNICORN_BIND"):
            os.environ.pop(name, None)
        from_file = runpy.run_path(str(config))
    with mock.patch.dict(os.environ, {"ENV_FILE": str(env_file), "GUNICORN_WORKERS": "3"}):
        overridden = runpy.run_path(str(config))

    assert (from_file["workers"], from_file["bind"]) == (5, "127.0.0.1:8123")
    assert overridden["workers"] == 3
    # Not in ~/.gunicorn: read-only to the unit, and one socket for every instance of a host.
    assert from_file["control_socket_disable"] is True


def test_every_timer_starts_a_service_of_its_name_and_the_readme_names_it():
    readme = (ROOT / "README.md").read_text()
    timers = [unit for unit in UNITS if unit.suffix == ".timer"]

    assert len(timers) == 5
    for timer in timers:
        assert (timer.with_suffix(".service")).exists()
        assert "OnCalendar=" in timer.read_text()
        assert timer.name in readme


def test_the_units_run_as_an_unprivileged_user_with_a_read_only_system():
    for unit in UNITS:
        if unit.suffix != ".service":
            continue
        text = unit.read_text()
        assert "User=digitalesamt" in text, unit.name
        assert "ProtectSystem=strict" in text, unit.name
        assert "Environment=ENV_FILE=/etc/digitalesamt.env" in text, unit.name


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_accepts_every_unit(tmp_path):
    for unit in UNITS:
        # The paths of the installation become this checkout's, whose programs exist.
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(ROOT)))
    instance = tmp_path / "digitalesamt-worker@1.service"
    instance.write_text((tmp_path / "digitalesamt-worker@.service").read_text())
    names = [
        str(path)
        for path in sorted(tmp_path.iterdir())
        if path.name != "digitalesamt-worker@.service"
    ]

    result = subprocess.run(
        [shutil.which("systemd-analyze"), "verify", "--man=no", *names],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_nginx_leaves_compression_of_proxied_answers_to_the_app():
    site = (DEPLOY / "nginx" / "digitalesamt.conf").read_text()
    proxied = site[site.index("location / {") :]

    assert "gzip off;" in proxied.split("}")[0]


def test_nginx_takes_bodies_as_large_as_the_largest_upload():
    site = (DEPLOY / "nginx" / "digitalesamt.conf").read_text()
    limit = int(re.search(r"client_max_body_size (\d+)m;", site)[1]) * 1024 * 1024

    largest = max(settings.PROCEDURE_FILE_MAX_BYTES, settings.COAT_OF_ARMS_MAX_BYTES)
    assert largest < limit <= largest + 2 * 1024 * 1024


# nginx in front of the app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def nginx(tmp_path, live_server):
    """Run deploy/nginx/digitalesamt.conf on loopback in front of the live server."""
    if not shutil.which("nginx"):
        pytest.skip("needs nginx (Debian package nginx; .ci/run installs it)")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "cert.pem"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    static, media = tmp_path / "static", tmp_path / "media"
    static.mkdir()
    media.mkdir()
    (static / "probe.0123456789ab.css").write_text("body { color: #004a99; }\n")
    https, http = free_port(), free_port()
    upstream = live_server.url.removeprefix("http://")
    site = (DEPLOY / "nginx" / "digitalesamt.conf").read_text()
    for old, new in [
        ("server 127.0.0.1:8000", f"server {upstream}"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
        ("/etc/ssl/certs/digitales-amt.bayern.de.pem", str(tmp_path / "cert.pem")),
        ("/etc/ssl/private/digitales-amt.bayern.de.key", str(tmp_path / "key.pem")),
        (f"{INSTALLED}/staticfiles/", f"{static}/"),
        ("/var/lib/digitalesamt/media/", f"{media}/"),
    ]:
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        ""
        # Run as root (CI), nginx's workers would be "nobody", who cannot read pytest's folders.
        + (f"user {getpass.getuser()};\n" if os.geteuid() == 0 else "")
        + f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include /etc/nginx/mime.types;\n"
        f"  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf;\n}}\n"
    )
    command = ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    subprocess.run([*command, "-g", "daemon on;"], check=True)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", https), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield {
            "https": f"https://127.0.0.1:{https}",
            "http": f"http://127.0.0.1:{http}",
            "media": media,
        }
    finally:
        subprocess.run([*command, "-s", "stop"], check=False)


def fetch(
    url: str,
    *,
    data: bytes | None = None,
    host: str = "digitales-amt.bayern.de",
    headers: dict[str, str] | None = None,
):
    context = ssl._create_unverified_context()  # noqa: S323 - the test's own certificate
    headers = {"Host": host, **(headers or {})}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect())
    try:
        return opener.open(request, timeout=20)
    except urllib.error.HTTPError as error:
        return error


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


BEHIND_THE_PROXY = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "ALLOWED_HOSTS": ["digitales-amt.bayern.de"],
}


@pytest.mark.django_db(transaction=True)
@override_settings(**BEHIND_THE_PROXY)
def test_through_nginx_the_app_sees_https_and_sends_its_own_headers(nginx):
    response = fetch(nginx["https"] + "/health/")

    # SECURE_SSL_REDIRECT would answer 301 if X-Forwarded-Proto did not arrive.
    assert response.status == 200
    assert response.read() == b"ok"
    assert response.headers["Server"] == "nginx"
    assert response.headers.get_all("X-Frame-Options") == ["DENY"]
    assert response.headers.get_all("Strict-Transport-Security") is not None
    assert len(response.headers.get_all("Strict-Transport-Security")) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(**BEHIND_THE_PROXY)
def test_plain_http_is_sent_to_https_by_nginx(nginx):
    response = fetch(nginx["http"] + "/kommunen/")

    assert response.status == 301
    assert response.headers["Location"] == "https://digitales-amt.bayern.de/kommunen/"


@pytest.mark.django_db(transaction=True)
@override_settings(**BEHIND_THE_PROXY)
def test_nginx_serves_static_files_from_disk_and_never_stored_files(nginx):
    static = fetch(nginx["https"] + "/static/probe.0123456789ab.css")
    media = fetch(nginx["https"] + "/media/auszeichnungen/x/schild-a4.pdf")
    with override_settings(METRICS_ENABLED=True):
        scraped = fetch(nginx["https"] + "/metrics/")

    assert static.status == 200
    assert b"#004a99" in static.read()
    assert "immutable" in static.headers["Cache-Control"]
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert media.status == 404
    assert scraped.status == 404


@pytest.mark.django_db(transaction=True)
@override_settings(**BEHIND_THE_PROXY)
def test_nginx_refuses_a_body_larger_than_any_upload_before_the_app(nginx):
    response = fetch(nginx["https"] + "/konto/anmelden/", data=b"x" * (7 * 1024 * 1024))

    assert response.status == 413


# Headers that belong to the connection, not to the answer.
HOP_BY_HOP = {"Date", "Connection", "Keep-Alive", "Transfer-Encoding"}


@pytest.mark.django_db(transaction=True)
@override_settings(**BEHIND_THE_PROXY)
def test_nginx_sends_a_stored_document_as_the_app_would_with_x_accel_redirect(nginx, kommune):
    award = AwardFactory(municipality=kommune, number="DA-2023-0200")
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    with override_settings(
        STORAGES={**settings.STORAGES, "default": storage}, MEDIA_ROOT=str(nginx["media"])
    ):
        facts = documents.award_facts(award)
        for path, document in [
            ("schild.pdf", documents.PLAQUES["a4"]),
            ("signet.png", documents.SIGNET_PNGS[320]),
        ]:
            stored = (nginx["media"] / documents.store(facts, document)).read_bytes()
            url = nginx["https"] + f"/auszeichnungen/{award.number}/{path}"
            fetch(url).read()  # looked up: from now on answered before the session and language
            by_the_app = fetch(url)
            with override_settings(DOCUMENTS_ACCEL_REDIRECT="/_stored/"):
                by_nginx = fetch(url)
                revalidated = fetch(url, headers={"If-None-Match": by_nginx.headers["ETag"]})
            internal = fetch(nginx["https"] + "/_stored/" + documents.storage_name(facts, document))

            assert by_the_app.status == by_nginx.status == 200
            assert by_the_app.read() == by_nginx.read() == stored
            assert by_nginx.headers["ETag"] == f'"{facts.version()}-{document.name}"'
            for name in set(by_the_app.headers) - HOP_BY_HOP:
                assert by_nginx.headers.get_all(name) == by_the_app.headers.get_all(name), name
            assert "X-Accel-Redirect" not in by_nginx.headers
            assert revalidated.status == 304
            assert internal.status == 404
