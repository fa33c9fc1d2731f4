"""The task worker: warm up the documents once, then run django-tasks-db's `db_worker`.

    manage.py task_worker [db_worker's options: --worker-id, --interval, --batch, …]

django-tasks-db sends no signal when a worker starts, so this thin command takes its place
(deploy/systemd/digitalesamt-worker@.service, bench/cluster.py): it loads WeasyPrint, Pango, the
fonts and Pillow (awards.documents.warmup) before the worker takes its first task, as gunicorn's
`post_fork` does for each web worker, so that the first plaque a fresh worker renders after an
approval costs what every later one does. Every option is db_worker's own.
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from awards.documents import warmup


class Command(db_worker.Command):
    help = "Warm up the documents, then run the database task worker (db_worker)."

    def handle(self, *args, **options) -> None:
        # With --reload the first process only watches the files; the one it starts runs tasks.
        watching = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not watching or options.get("batch"):
            warmup.warm_up()
        super().handle(*args, **options)
