"""WSGI entry point for gunicorn (`gunicorn config.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Settings give web processes their database timeouts (DB_WEB_*); workers and commands run without.
os.environ.setdefault("PROCUREMENT_ROLE", "web")

application = get_wsgi_application()
