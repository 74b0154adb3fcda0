"""`/metrics`: the web processes' own metrics (`config.metrics`) and the deployment's, read at scrape
time from their sources: imports by status and duration from the database, queue lengths from the
broker."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from config.api.errors import page_not_found
from config.metrics import directory_lock, may_read_metrics, multiprocess_directory
from partners.models import FINISHED_STATUSES, PriceListImport

logger = logging.getLogger(__name__)

# Upper bounds of the import duration histogram, in seconds.
IMPORT_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800)
BROKER_TIMEOUT_SECONDS = 2


class DeploymentCollector:
    """Numbers of the whole deployment, the same on every web machine that is scraped."""

    def collect(self) -> Iterator[object]:
        for collect in (self._imports, self._queues):
            try:
                yield from collect()
            except Exception:
                # One source down must not hide the others (nor the request latencies).
                logger.exception("metrics: could not collect %s", collect.__name__)

    def _imports(self) -> Iterator[object]:
        timed = Q(duration_ms__isnull=False)
        rows = PriceListImport.objects.values("status").annotate(
            total=Count("id"),
            timed=Count("id", filter=timed),
            duration_ms_sum=Sum("duration_ms"),
            **{
                f"le_{seconds}": Count("id", filter=timed & Q(duration_ms__lte=seconds * 1000))
                for seconds in IMPORT_DURATION_BUCKETS
            },
        )
        imports = GaugeMetricFamily(
            "procurement_price_list_imports", "Price-list import records by status.", labels=["status"]
        )
        durations = HistogramMetricFamily(
            "procurement_price_list_import_duration_seconds",
            "Duration of finished price-list imports, by final status.",
            labels=["status"],
        )
        seen = set()
        for row in rows.order_by():
            seen.add(row["status"])
            imports.add_metric([row["status"]], row["total"])
            if row["status"] in FINISHED_STATUSES:
                buckets = [(str(float(seconds)), row[f"le_{seconds}"]) for seconds in IMPORT_DURATION_BUCKETS]
                durations.add_metric(
                    [row["status"]],
                    [*buckets, ("+Inf", row["timed"])],
                    sum_value=(row["duration_ms_sum"] or 0) / 1000,
                )
        for status in PriceListImport.Status.values:
            if status not in seen:
                imports.add_metric([status], 0)
        yield imports
        yield durations

    def _queues(self) -> Iterator[object]:
        if not settings.CELERY_BROKER_URL:
            return
        from kombu.exceptions import ChannelError

        from config.celery import app

        lengths = GaugeMetricFamily(
            "procurement_queue_length", "Task messages waiting in each queue of the broker.", labels=["queue"]
        )
        timeouts = {
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
        }
        with app.connection_for_read(transport_options=timeouts) as connection:
            channel = connection.default_channel
            for queue in app.conf.task_queues:
                try:
                    waiting = channel.queue_declare(queue=queue.name, passive=True).message_count
                except ChannelError:
                    waiting = 0  # a queue that holds nothing does not exist in Redis
                lengths.add_metric([queue.name], waiting)
        yield lengths


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_read_metrics(request):
        return page_not_found(request)
    directory = multiprocess_directory()
    if directory is not None:
        own = CollectorRegistry()
        MultiProcessCollector(own, path=directory)
        with directory_lock(directory, exclusive=False):
            body = generate_latest(own)
    else:  # one process (runserver, or gunicorn without METRICS_ENABLED at start)
        body = generate_latest(REGISTRY)
    deployment = CollectorRegistry()
    deployment.register(DeploymentCollector())
    body += generate_latest(deployment)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
