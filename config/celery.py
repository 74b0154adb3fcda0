"""The Celery app: configured from Django settings (`CELERY_*`), eager when no broker is set; the
request id of the web request that queued a task is carried into that task's log lines."""

import os
from typing import Any

from celery import Celery, signals

from config.logging import request_id_var

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


# The message header that carries the id of the request that queued a task (config.middleware sets it
# for every request; a task queued by a task passes its own on).
REQUEST_ID_HEADER = "request_id"


@signals.before_task_publish.connect
def carry_the_request_id(headers: dict[str, Any] | None = None, **kwargs: object) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None and not headers.get(REQUEST_ID_HEADER):
        headers[REQUEST_ID_HEADER] = request_id


@signals.task_prerun.connect
def log_with_the_request_id(task: Any = None, **kwargs: object) -> None:
    """Every line a task writes carries the id of the request that queued it (none for beat's tasks).

    A task run in-process (no broker) is already inside its request, whose id stays. A worker runs one
    task after another in the same thread, so a task that came without an id clears the last one.
    """
    if task is None or task.request.is_eager:
        return
    request_id = getattr(task.request, REQUEST_ID_HEADER, None)
    request_id_var.set(request_id if isinstance(request_id, str) else "")


@signals.task_postrun.connect
def forget_the_request_id(task: Any = None, **kwargs: object) -> None:
    if task is not None and not task.request.is_eager:
        request_id_var.set("")
