import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from tests.factories import AwardFactory

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "ENV_FILE": os.devnull,
    "DJANGO_SETTINGS_MODULE": "digitalesamt.settings",
    "SECRET_KEY": "k3J9-production-like-secret-f0r-the-deploy-check-x7QpL2vR8sT1uW4yZ6aB",
    "ALLOWED_HOSTS": "digitales-amt.bayern.de",
    "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only what a server would have: none of the test run's own settings variables.
    clean = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_refuse_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        env=PRODUCTION_ENV,
    )

    assert result.stdout.strip() == "False", result.stdout + result.stderr


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=False)
def test_pages_send_the_security_headers(client):
    response = client.get("/", secure=True)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_health_answers_ok_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/")

    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.parametrize(
    ("redis_url", "backend"),
    [
        ("", "django.core.cache.backends.db.DatabaseCache"),
        ("redis://127.0.0.1:6379/0", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_the_shared_cache_is_the_database_unless_redis_is_named(redis_url, backend):
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; c = settings.CACHES['default'];"
        " print(c['BACKEND'], c['LOCATION'])",
        env={**PRODUCTION_ENV, "REDIS_URL": redis_url},
    )

    assert result.returncode == 0, result.stderr
    location = redis_url or "digitalesamt_cache"
    assert result.stdout.split()[-2:] == [backend, location]  # after shell's import notice


@pytest.mark.django_db
def test_pages_allow_no_device_feature_and_no_embedding_by_other_sites(client):
    response = client.get("/")

    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/auszeichnungen.json",
        "/api/v1/auszeichnungen.csv",
        "/feeds/auszeichnungen.atom",
        "/api/v1/openapi.json",
        "/auszeichnungen/DA-2021-0001/signet.svg",
        "/auszeichnungen/DA-2021-0001/signet.png",
    ],
)
def test_open_data_and_the_signet_stay_usable_from_other_sites_also_when_unchanged(client, url):
    AwardFactory(number="DA-2021-0001")
    first = client.get(url)

    again = client.get(url, headers={"if-none-match": first["ETag"]})

    assert first.status_code == 200
    assert first["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert again.status_code == 304
    assert again["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_settings_refuse_to_start_with_a_rate_that_is_no_rate():
    result = run_manage("check", env={**PRODUCTION_ENV, "RATE_LIMIT_FEEDBACK": "often"})

    assert result.returncode != 0
    assert "RATE_LIMIT_FEEDBACK is not a rate" in result.stderr


def test_the_example_environment_lists_every_setting_read_from_the_environment():
    read = set(
        re.findall(r'env\.\w+\(\s*"([A-Z_0-9]+)"', (ROOT / "digitalesamt/settings.py").read_text())
    )
    listed = set(re.findall(r"^([A-Z_0-9]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert read - listed == set()
