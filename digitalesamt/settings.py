"""Settings for Digitales Amt, read from the environment (see .env.example).

Production is the default: DEBUG is off, SECRET_KEY must be set and every security header is on.
Development gets its easy values from the `.env` file that `dev.py` writes, and from nowhere else.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = Path(os.environ.get("ENV_FILE", BASE_DIR / ".env"))
if ENV_FILE.is_file():
    env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Absolute base of links that leave the site: QR codes, e-mails, open data.
SITE_URL = env.str("SITE_URL", default="https://digitales-amt.bayern.de").rstrip("/")

INSTALLED_APPS = [
    # Django's admin with a site that admits staff only once a second factor has verified
    # them (digitalesamt.accounts.sites); every `admin.site` registration stays as it is.
    "digitalesamt.accounts.apps.SecondFactorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the built-in widget templates, for FORM_RENDERER
    "django_tasks_db",
    "digitalesamt.lib.apps.LibConfig",  # the task log (digitalesamt.lib.observability)
    "auditlog",  # before accounts, whose admin replaces auditlog's
    # The second factor (digitalesamt.accounts.second_factor): TOTP, recovery codes, passkeys.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "municipalities",
    "awards",
    "digitalesamt.accounts",
    "digitalesamt.portal",
    "digitalesamt.public",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # gzip for text answers that carry no secret (BREACH: digitalesamt.lib.middleware); outside
    # everything that writes a body or sets a cookie, so that it sees what goes out.
    "digitalesamt.lib.middleware.CompressionMiddleware",
    # Permissions-Policy and Cross-Origin-Resource-Policy on every answer, static files too.
    "digitalesamt.lib.middleware.SecurityHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Stored documents this process has looked up, answered like static files (no session).
    "digitalesamt.public.middleware.StoredDocumentMiddleware",
    # Pages that are the same for everybody, answered from this process's copy (no session).
    "digitalesamt.lib.middleware.SharedPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which device verified the session (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The audit trail's actor is the request's user (digitalesamt.accounts.audit).
    "digitalesamt.accounts.audit.AuditActorMiddleware",
    # Staff, and whoever has a device, reach nothing but the second step until it is done.
    "digitalesamt.accounts.middleware.SecondFactorMiddleware",
    # After the CSRF check, which reads a form's body (an upload's too) before any view runs,
    # and after the user is known, whom its German 400 page shows in the header.
    "digitalesamt.lib.middleware.RequestGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "digitalesamt.lib.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "digitalesamt.urls"
WSGI_APPLICATION = "digitalesamt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["digitalesamt.lib.templatetags"],
        },
    },
]

# Every form renders its fields in KERN's markup (digitalesamt.lib.forms).
FORM_RENDERER = "digitalesamt.lib.forms.KernFormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while an import writes; IMMEDIATE takes the write lock up front,
    # so two writers queue instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles a query whose estimate passes jit_above_cost anew on every
    # run: 770 ms of the statistics' 786 ms at full size, for queries that take milliseconds.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
# Keep connections between requests: opening one costs more than a cached public page.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A health check costs a `SELECT 1` round trip at the start of every request that reuses a
# connection (on PostgreSQL): more than a cached public page's one query. Off by default; a
# connection that broke fails one request and is replaced. On where the network drops idle
# connections (a pooler, a firewall) and one failed request is too many.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache for every process and host: the document render lock and the page caches must be
# the same for all of them. Django's database cache by default (its table comes from
# `manage.py createcachetable`); REDIS_URL=redis://host:6379/0 switches to Redis.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "digitalesamt_cache",
            # Pages of every query string and language; the oldest third goes when it is full.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    )
}
# Each process also keeps the most recent bodies that are built once per data version (the
# list's pages, the open data) in memory: see digitalesamt.lib.cache. 0 turns it off.
VERSIONED_MEMORY_BYTES = env.int("VERSIONED_MEMORY_BYTES", default=8 * 1024 * 1024)
# A page kept whole for visitors without a session (digitalesamt.lib.middleware.SharedPage-
# Middleware) is answered this many seconds from what a process found without asking the
# database whether the data changed; a decision shows that much later on it. 0 asks every time.
SHARED_PAGE_RECHECK_SECONDS = env.int("SHARED_PAGE_RECHECK_SECONDS", default=1)
# A stored document (plaque, signet) is served from what each process looked up about it for
# this many seconds: no query on a repeat request. A rename or a revocation shows within it
# (every cache may keep a document an hour anyway). 0 looks it up on every request.
DOCUMENT_LOOKUP_SECONDS = env.int("DOCUMENT_LOOKUP_SECONDS", default=60)
# Behind nginx: the prefix of its internal location for MEDIA_ROOT (deploy/nginx, "/_stored/"):
# the app answers with X-Accel-Redirect and nginx sends the file. Empty: the app sends it.
DOCUMENTS_ACCEL_REDIRECT = env.str("DOCUMENTS_ACCEL_REDIRECT", default="")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    # Django's list of 20,000 common passwords, checked for their core as well: a common word
    # doubled or padded with digits and marks to reach 12 characters ("passwordpassword").
    {"NAME": "digitalesamt.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# EMAIL_URL as django-environ reads it (smtp+tls://user:password@host:587, consolemail://,
# filemail:// into EMAIL_FILE_PATH: what dev.py uses), turned into Django 6.1's MAILERS.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
# Where filemail:// writes each sent batch of mails as a file (relative to the project folder).
_email_file_path = BASE_DIR / env.str("EMAIL_FILE_PATH", default="dev-mail")
_email_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "timeout": env.int("EMAIL_TIMEOUT", default=20),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": (
            {key: value for key, value in _email_options.items() if value not in (None, "")}
            if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
            else {"file_path": str(_email_file_path)}
            if _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="digitales-amt@stmd.bayern.de")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Behind a TLS-terminating proxy set TRUSTED_PROXY_SSL_HEADER=true.
if env.bool("TRUSTED_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# No page uses a camera, a microphone, the location or any other device feature.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
# Other sites may not embed what this site serves, except what is meant for them: the open
# data and the signet (their views say "cross-origin"; digitalesamt.lib.middleware).
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"

# Background work (link checks, documents): run at once in development and tests; in production
# TASKS_BACKEND=database queues it in PostgreSQL for `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[env.str("TASKS_BACKEND", default="immediate" if DEBUG else "database")],
    }
}

# Where new applications are announced, besides the reviewers' own addresses.
MINISTRY_NOTIFY_EMAILS = env.list("MINISTRY_NOTIFY_EMAILS", default=[])
# The ministry's reminders to Kommunen close to their threshold: listed when at most this many
# procedures are missing, and mailed to one Kommune at most once in this many days.
THRESHOLD_REMINDER_DISTANCE = env.int("THRESHOLD_REMINDER_DISTANCE", default=10)
THRESHOLD_REMINDER_INTERVAL_DAYS = env.int("THRESHOLD_REMINDER_INTERVAL_DAYS", default=90)

# The link check of submitted applications. It never contacts private, loopback or link-local
# addresses unless LINKCHECK_ALLOW_PRIVATE is set (the test suite's local server).
LINKCHECK_TIMEOUT = env.float("LINKCHECK_TIMEOUT", default=10.0)
LINKCHECK_MAX_REDIRECTS = env.int("LINKCHECK_MAX_REDIRECTS", default=5)
LINKCHECK_ALLOW_PRIVATE = env.bool("LINKCHECK_ALLOW_PRIVATE", default=False)

# The federal "Dashboard Digitale Verwaltung" (digitalesamt.lib.dashboard, `sync_procedures`):
# its API, seconds per request, retries of a 5xx or timeout (after 1 s, 2 s, 4 s, ...), seconds
# between two requests, and the most pages read for one ARS. Only this host is ever contacted,
# and only at a public address unless OZG_DASHBOARD_ALLOW_PRIVATE (the tests' local stand-in).
OZG_DASHBOARD_URL = env.str(
    "OZG_DASHBOARD_URL", default="https://dashboard-daten.digitale-verwaltung.de/api/"
)
OZG_DASHBOARD_TIMEOUT = env.float("OZG_DASHBOARD_TIMEOUT", default=30.0)
OZG_DASHBOARD_RETRIES = env.int("OZG_DASHBOARD_RETRIES", default=3)
OZG_DASHBOARD_DELAY = env.float("OZG_DASHBOARD_DELAY", default=0.5)
OZG_DASHBOARD_MAX_PAGES = env.int("OZG_DASHBOARD_MAX_PAGES", default=200)
OZG_DASHBOARD_ALLOW_PRIVATE = env.bool("OZG_DASHBOARD_ALLOW_PRIVATE", default=False)
# A run of `sync_procedures` skips Kommunen synced within this many hours (resume after a stop);
# the nightly task syncs this many Kommunen per run and queues the next run for the rest.
OZG_SYNC_FRESH_HOURS = env.float("OZG_SYNC_FRESH_HOURS", default=20.0)
OZG_SYNC_BATCH_SIZE = env.int("OZG_SYNC_BATCH_SIZE", default=100)
# `sync_procedures --file`: the most bytes a saved dump or CSV download may hold (unpacked, for
# a .gz); all of Bavaria is about 150 MB of JSON.
OZG_SOURCE_FILE_MAX_BYTES = env.int("OZG_SOURCE_FILE_MAX_BYTES", default=512 * 1024 * 1024)
# `import_postcodes FILE`: the most bytes of a postcode file; all of Germany is about 1 MB.
POSTCODE_FILE_MAX_BYTES = env.int("POSTCODE_FILE_MAX_BYTES", default=20 * 1024 * 1024)

# --- accounts ---
# Login, invitations and password reset live under /konto/; after login each user lands where
# their role works (digitalesamt.accounts.views.home_url_for), LOGIN_REDIRECT_URL is the fallback.
LOGIN_URL = "account:login"
LOGIN_REDIRECT_URL = "/"
# Invitation and password-reset links (Django's token generator) expire after three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60
# django-axes throttles failed logins, the admin's included: 5 failures for one username from
# one address lock that pair for 15 minutes. Its backend (AxesStandaloneBackend, which ours
# extends) must come first, its middleware last.
INSTALLED_APPS.append("axes")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "digitalesamt.accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours, i.e. 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "digitalesamt.accounts.backends.lockout_response"
AXES_VERBOSE = False  # failures are still logged; no banner on every manage.py command
# Behind N reverse proxies the client is the Nth address from the right of X-Forwarded-For,
# believed only when the request came from one of TRUSTED_PROXY_ADDRESSES (addresses or
# networks such as 10.0.0.0/24) and every proxy between passed it on; otherwise the address
# is the socket's. The lockout and the rate limits count by it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_ADDRESSES = env.list("TRUSTED_PROXY_ADDRESSES", default=["127.0.0.1", "::1"])
AXES_CLIENT_IP_CALLABLE = "digitalesamt.accounts.backends.client_ip"
# The username as axes stores it: cut to its column (255), or a long one would fail the insert.
AXES_USERNAME_CALLABLE = "digitalesamt.accounts.backends.attempted_username"
# The second factor. Staff (reviewers, administrators) must have one, clerks may: a TOTP app
# with ten recovery codes, and passkeys (WebAuthn) besides. Code entries per user and window,
# whatever the outcome; wrong codes also count as failed logins for django-axes' lockout.
RATE_LIMIT_OTP_PER_USER = env.str("RATE_LIMIT_OTP_PER_USER", default="5/5m")
OTP_TOTP_ISSUER = "Digitales Amt"
# Passkeys belong to one host (the relying party, no scheme or port) and are accepted only from
# these origins; both follow SITE_URL unless set. WebAuthn refuses an IP address as the host:
# in development use http://localhost:8000 (dev.py writes both for it).
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default=urlsplit(SITE_URL).hostname or "")
WEBAUTHN_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[SITE_URL])
OTP_WEBAUTHN_RP_ID = WEBAUTHN_RP_ID
OTP_WEBAUTHN_RP_NAME = "Digitales Amt"
OTP_WEBAUTHN_ALLOWED_ORIGINS = WEBAUTHN_ORIGINS
OTP_WEBAUTHN_HELPER_CLASS = "digitalesamt.accounts.second_factor.PasskeyHelper"
# A passkey is a second factor after the password, never a login of its own: the password
# step (and with it django-axes' lockout) cannot be skipped.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# --- end accounts ---

# --- audit trail (django-auditlog; digitalesamt.accounts.audit) ---
# Every change to these models, with who (the request's user), when and each field old → new,
# read in the admin ("Änderungsprotokoll") by the Administration group alone. Procedure links
# are left out: clerks change them all day and import them by the thousand.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "municipalities.municipality"},
    {"model": "municipalities.threshold"},
    {"model": "municipalities.membership", "exclude_fields": ["created_at"]},
    {
        "model": "auth.user",
        # No hashes, no login noise; date_joined is the creation entry's time, and the admin's
        # form drops its microseconds on every save, which would read as a change.
        "exclude_fields": ["password", "last_login", "date_joined"],
        "m2m_fields": ["groups", "user_permissions"],
    },
    {"model": "auth.group", "m2m_fields": ["permissions"]},
    {"model": "awards.award", "exclude_fields": ["created_at", "updated_at"]},
)
AUDITLOG_STORE_JSON_CHANGES = True  # values keep their type: True, 50, None
AUDITLOG_USE_FK_STRING_REPRESENTATION = True  # "Markt Hösbach (…)", readable once deleted
AUDITLOG_DISABLE_REMOTE_ADDR = True  # the account says who; no IP addresses kept
# Entries older than this are deleted by `manage.py prune_audit_log` (the privacy statement).
AUDIT_LOG_RETENTION_DAYS = env.int("AUDIT_LOG_RETENTION_DAYS", default=730)

# One JSON object per line (LOG_FORMAT=json, the production default) or plain text
# (development); one line per request (REQUEST_LOG) and per finished task.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
REQUEST_LOG = env.bool("REQUEST_LOG", default=not DEBUG)  # runserver logs requests itself
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "digitalesamt.lib.observability.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Django's own line per task state is noise; digitalesamt.tasks logs one per task.
        "django.tasks": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "digitalesamt.requests": {
            "handlers": ["console"],
            "level": "INFO" if REQUEST_LOG else "WARNING",
            "propagate": False,
        },
        # WeasyPrint and fontTools log every rendering step at INFO.
        "weasyprint": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "fontTools": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
if REQUEST_LOG:
    MIDDLEWARE.insert(0, "digitalesamt.lib.observability.RequestLogMiddleware")

# Prometheus metrics at /metrics/ for the addresses (or networks) allowed, reaching an
# instance directly (digitalesamt.lib.metrics); off by default.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"])
if METRICS_ENABLED:
    MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
    MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")
    _engine = DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if _engine in ("postgresql", "sqlite3"):
        DATABASES["default"]["ENGINE"] = f"django_prometheus.db.backends.{_engine}"
    CACHES["default"]["BACKEND"] = {
        "django.core.cache.backends.redis.RedisCache": (
            "django_prometheus.cache.backends.redis.RedisCache"
        ),
        "django.core.cache.backends.db.DatabaseCache": "digitalesamt.lib.metrics.DatabaseCache",
    }.get(CACHES["default"]["BACKEND"], CACHES["default"]["BACKEND"])

# Error reports to a Sentry-compatible service; off without a DSN; no personal data.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from digitalesamt.lib import error_reports

    error_reports.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
    )

# --- public pages ---
# Where the feedback form of the accessibility statement (/barrierefreiheit/) sends its mails.
# Empty: MINISTRY_NOTIFY_EMAILS is used; with neither set, the page shows only the contact address.
ACCESSIBILITY_FEEDBACK_EMAILS = env.list("ACCESSIBILITY_FEEDBACK_EMAILS", default=[])

# --- limits of what a clerk or a stranger may send (issue: nothing takes the site down) ---
# Rows a procedure file may hold; a real Kommune links a few hundred (Erlangen, the most: 339).
PROCEDURE_FILE_MAX_ROWS = env.int("PROCEDURE_FILE_MAX_ROWS", default=5_000)
# Problems an import reports in full; the rest are counted ("… und 12.345 weitere").
IMPORT_MAX_REPORTED_PROBLEMS = env.int("IMPORT_MAX_REPORTED_PROBLEMS", default=100)
# Online procedures one Kommune may link, active or not.
PROCEDURE_LINKS_PER_KOMMUNE = env.int("PROCEDURE_LINKS_PER_KOMMUNE", default=2_000)
# Bytes of an uploaded procedure file and of a coat of arms.
PROCEDURE_FILE_MAX_BYTES = env.int("PROCEDURE_FILE_MAX_BYTES", default=5 * 1024 * 1024)
COAT_OF_ARMS_MAX_BYTES = env.int("COAT_OF_ARMS_MAX_BYTES", default=5 * 1024 * 1024)
# Evidence rows per page on the reviewer's application page.
REVIEW_EVIDENCE_PAGE_SIZE = env.int("REVIEW_EVIDENCE_PAGE_SIZE", default=100)
# The four-eyes rule: whoever prepared a review (started it, judged a spot check) cannot approve.
REVIEW_FOUR_EYES = env.bool("REVIEW_FOUR_EYES", default=False)
# Fields one POST may hold: the sample's one form sends five per drawn link, and a reviewer
# may draw every link of a Kommune (Django's default of 1,000 would stop at 200 links).
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int(
    "DATA_UPLOAD_MAX_NUMBER_FIELDS", default=5 * PROCEDURE_LINKS_PER_KOMMUNE + 100
)
# Rows the review queue exports at most (CSV, XLSX); the queue holds a few thousand at most.
REVIEW_EXPORT_MAX_ROWS = env.int("REVIEW_EXPORT_MAX_ROWS", default=10_000)
# The link check: at most this long per URL in all (every redirect and the GET after a HEAD
# included), this many URLs at once, and results saved after every batch of this many.
LINKCHECK_DEADLINE = env.float("LINKCHECK_DEADLINE", default=30.0)
LINKCHECK_WORKERS = env.int("LINKCHECK_WORKERS", default=8)
LINKCHECK_BATCH_SIZE = env.int("LINKCHECK_BATCH_SIZE", default=100)
# Bytes of a reachable page read to tell the reviewer what it is (a form, a PDF, information).
LINKCHECK_PAGE_BYTES = env.int("LINKCHECK_PAGE_BYTES", default=256 * 1024)
# A task still RUNNING this long after it started lost its worker: it is run again.
TASK_STALE_AFTER = env.int("TASK_STALE_AFTER", default=30 * 60)
# /health/ready/ answers 503 when the oldest task due has waited longer than this (seconds).
HEALTH_TASK_QUEUE_MAX_AGE = env.int("HEALTH_TASK_QUEUE_MAX_AGE", default=10 * 60)
# A mail that could not be sent is tried again after these delays (seconds), then shown to the
# ministry as undelivered.
MAIL_RETRY_DELAYS = [
    int(delay) for delay in env.list("MAIL_RETRY_DELAYS", default=[60, 300, 1800, 7200, 21600])
]

# --- rate limits (digitalesamt.lib.ratelimit): uses per period ("5/h", "30/5m"); 0 = off ---
# Counted in the shared cache for every process, per client address (TRUSTED_PROXY_COUNT) or for
# everybody together; a use past the limit is answered 429 with the German page and Retry-After.
# Login attempts from one address, whatever the username, before the password hash is computed.
RATE_LIMIT_LOGIN_PER_ADDRESS = env.str("RATE_LIMIT_LOGIN_PER_ADDRESS", default="30/5m")
RATE_LIMIT_LOGIN_BURST_PER_ADDRESS = env.str("RATE_LIMIT_LOGIN_BURST_PER_ADDRESS", default="2/5s")
# Requests for a new password from one address, and for one e-mail address from anywhere.
RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS = env.str(
    "RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS", default="10/h"
)
RATE_LIMIT_PASSWORD_RESET_PER_EMAIL = env.str("RATE_LIMIT_PASSWORD_RESET_PER_EMAIL", default="3/h")
# Messages of the accessibility feedback form from one address, and from everybody together.
RATE_LIMIT_FEEDBACK_PER_ADDRESS = env.str("RATE_LIMIT_FEEDBACK_PER_ADDRESS", default="5/h")
RATE_LIMIT_FEEDBACK = env.str("RATE_LIMIT_FEEDBACK", default="50/h")
# Documents (plaque, signet) rendered because somebody asked for one not stored yet.
RATE_LIMIT_RENDER_PER_ADDRESS = env.str("RATE_LIMIT_RENDER_PER_ADDRESS", default="20/m")
RATE_LIMIT_RENDER = env.str("RATE_LIMIT_RENDER", default="120/m")
