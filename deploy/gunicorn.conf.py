"""gunicorn's configuration: `.venv/bin/gunicorn digitalesamt.wsgi -c deploy/gunicorn.conf.py`.

Sync workers (the app does blocking I/O only: database, storage, mail through the worker);
their number from GUNICORN_WORKERS (default: two per core plus one). Each worker loads the
application and warms up the documents right after the fork (awards.documents.warmup), so
that nobody's first plaque pays for loading WeasyPrint and the fonts; gunicorn counts a
worker as booted only then, and the old workers of a reload serve until the new ones are.
Options on the command line (`--bind`, `--workers`) override these. The GUNICORN_* settings
may stand in the app's env file (ENV_FILE, as digitalesamt/settings.py reads it: the systemd
unit passes only its name) or in the environment, which wins.
"""

import multiprocessing
import os
from pathlib import Path

import environ

ENV_FILE = Path(os.environ.get("ENV_FILE", Path(__file__).resolve().parent.parent / ".env"))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)  # sets what the environment does not have already
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# The longest answer is a document rendered in the request (immediate task backend); with
# the database backend the worker renders it and the request only waits a moment.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Loopback from nginx: keep its connections a little.
keepalive = 5
# gunicorn 27's control socket (gunicornc) would live in ~/.gunicorn: read-only under the
# unit's ProtectSystem, and shared by two instances on one host. Nothing here uses it.
control_socket_disable = True
# Each worker imports the app itself: a fork of a loaded Pango is not safe to render in.
preload_app = False


def post_fork(server, worker):
    """Load the app and warm up the documents in the new worker, before it accepts requests."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalesamt.settings")
    django.setup()
    from awards.documents.warmup import warm_up

    seconds = warm_up()
    server.log.info("worker %s: documents warmed up in %.2f s", worker.pid, seconds)
