"""The Celery app: configured from Django settings (`CELERY_*`), eager when no broker is set."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_the_project_logging(**kwargs: object) -> None:
    """Workers and beat log through the project's handlers (JSON lines, secrets redacted).

    Without a receiver for this signal Celery installs handlers of its own, and its task loggers would
    write past the redaction filter.
    """
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
