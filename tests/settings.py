"""Settings for the test suite: production settings with test values, not development ones."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SITE_URL", "https://digitales-amt.test")
os.environ["ENV_FILE"] = os.devnull  # never pick up a developer's .env

from digitalesamt.settings import *  # noqa: E402,F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the finders, as in development: the suite never runs collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# Live-server and thread connections close after each use, so the test database can be dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Tests log in many times a second from one address; the burst limit has a test of its own
# (tests/accounts/test_limits.py), the longer login limit stays on.
RATE_LIMIT_LOGIN_BURST_PER_ADDRESS = "0"
# A test changes data and asks again at once: every kept page asks for its version (the
# recheck interval has tests of its own, tests/public/test_shared_pages.py).
SHARED_PAGE_RECHECK_SECONDS = 0
