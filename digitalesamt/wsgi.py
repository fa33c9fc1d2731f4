"""WSGI entry point: gunicorn digitalesamt.wsgi."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalesamt.settings")

application = get_wsgi_application()
