"""`/metrics`: off by default, for a token or an allowed address only; request latency by view, imports
by status and duration, queue lengths, orders placed; gunicorn's processes counted together."""

from __future__ import annotations

import http.client
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from accounts.tests.factories import PartnerFactory, UserFactory
from catalog.tests.factories import OfferFactory
from config.celery import app as celery_app
from config.metrics import fold_dead_process
from config.tests.servers import free_port, migrated_database, production_environment, start_gunicorn, stop
from orders.tests.factories import OrderFactory, OrderItemFactory
from partners.models import PriceListImport

TOKEN = "metrics-token-for-the-tests-0123456789"
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = []
    settings.CELERY_BROKER_URL = ""


def scrape(client, **headers):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)


@pytest.mark.django_db
def test_metrics_are_not_found_unless_enabled(client, settings):
    settings.METRICS_ENABLED = False
    settings.METRICS_TOKEN = TOKEN

    assert scrape(client).status_code == 404


@pytest.mark.django_db
def test_metrics_answer_the_token_only_not_a_wrong_one_nor_none(client, metrics_on):
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    missing = client.get("/metrics")
    right = scrape(client)

    assert (wrong.status_code, missing.status_code, right.status_code) == (404, 404, 200)
    assert right["Content-Type"].startswith("text/plain; version=")
    assert TOKEN not in right.content.decode()


@pytest.mark.django_db
def test_metrics_answer_an_allowed_address_as_the_throttles_see_it(client, metrics_on, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = ["10.1.0.0/16"]
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = []

    allowed = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    outside = client.get("/metrics", REMOTE_ADDR="10.2.0.1")
    claimed = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.1.2.3")

    assert (allowed.status_code, outside.status_code, claimed.status_code) == (200, 404, 404)


@pytest.mark.django_db
def test_metrics_show_request_latency_by_view_and_imports_by_status_and_duration(client, metrics_on):
    partner = PartnerFactory()
    PriceListImport.objects.create(partner=partner, source="api", status="succeeded", duration_ms=700)
    PriceListImport.objects.create(partner=partner, source="api", status="succeeded", duration_ms=40_000)
    PriceListImport.objects.create(partner=partner, source="api", status="failed", duration_ms=2_000)
    PriceListImport.objects.create(partner=partner, source="api", status="pending")
    before = samples(scrape(client).content.decode())
    key = (
        "procurement_http_request_duration_seconds_count",
        (("method", "GET"), ("status", "2xx"), ("view", "shops")),
    )

    client.get("/shops/")
    client.get("/shops/")
    after = samples(scrape(client).content.decode())

    assert after[key] - before.get(key, 0) == 2
    assert after[("procurement_price_list_imports", (("status", "succeeded"),))] == 2
    assert after[("procurement_price_list_imports", (("status", "pending"),))] == 1
    assert after[("procurement_price_list_imports", (("status", "running"),))] == 0
    succeeded = (("status", "succeeded"),)
    assert after[("procurement_price_list_import_duration_seconds_count", succeeded)] == 2
    assert after[("procurement_price_list_import_duration_seconds_sum", succeeded)] == 40.7
    assert after[("procurement_price_list_import_duration_seconds_bucket", (("le", "1.0"), *succeeded))] == 1
    assert after[("procurement_price_list_import_duration_seconds_bucket", (("le", "60.0"), *succeeded))] == 2


@pytest.mark.django_db
def test_an_order_placed_through_the_api_counts_and_a_refused_one_does_not(client, metrics_on):
    customer = UserFactory()
    api = APIClient()
    api.force_authenticate(customer)
    offer = OfferFactory(quantity=1)
    basket = OrderFactory(user=customer)
    OrderItemFactory(order=basket, offer=offer, quantity=1)
    before = samples(scrape(client).content.decode()).get(("procurement_orders_placed_total", ()), 0)
    body = {"id": basket.pk, "address": "Москва", "phone": "+79161234567"}

    placed = api.post("/orders/confirm/", body, format="json")
    refused = api.post("/orders/confirm/", body, format="json")

    after = samples(scrape(client).content.decode())[("procurement_orders_placed_total", ())]
    assert (placed.status_code, refused.status_code) == (200, 409)
    assert after - before == 1


@pytest.mark.django_db
@pytest.mark.redis
@pytest.mark.skipif(not BROKER_URL, reason="needs a Redis broker: set TEST_CELERY_BROKER_URL")
def test_metrics_show_the_length_of_each_queue(client, metrics_on, settings, monkeypatch):
    settings.CELERY_BROKER_URL = BROKER_URL
    monkeypatch.setattr(celery_app.conf, "broker_url", BROKER_URL)
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    with celery_app.connection_for_write() as connection:
        for queue in celery_app.conf.task_queues:
            connection.default_channel.queue_purge(queue.name)
        for import_id in (1, 2, 3):
            celery_app.send_task(
                "partners.tasks.import_price_list_task", args=[import_id], connection=connection
            )
        celery_app.send_task("accounts.tasks.send_outbox_email", args=[1], connection=connection)
    try:
        values = samples(scrape(client).content.decode())
    finally:
        with celery_app.connection_for_write() as connection:
            for queue in celery_app.conf.task_queues:
                connection.default_channel.queue_purge(queue.name)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    assert {
        queue: values[("procurement_queue_length", (("queue", queue),))]
        for queue in ("imports", "emails", "default")
    } == {"imports": 3, "emails": 1, "default": 0}


def test_folding_a_dead_workers_files_keeps_the_totals_and_removes_them(tmp_path):
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.mmap_dict import MmapedDict, mmap_key
    from prometheus_client.multiprocess import MultiProcessCollector

    key = mmap_key("procurement_orders_placed", "procurement_orders_placed_total", [], [], "Orders.")
    for pid, value in ((101, 3.0), (102, 4.0)):
        written = MmapedDict(str(tmp_path / f"counter_{pid}.db"))
        written.write_value(key, value, 0)
        written.close()

    def total() -> float:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(tmp_path))
        return samples(generate_latest(registry).decode())[("procurement_orders_placed_total", ())]

    before = total()
    fold_dead_process(101, str(tmp_path))
    fold_dead_process(102, str(tmp_path))

    assert before == total() == 7.0
    assert sorted(path.name for path in tmp_path.glob("*.db")) == ["counter_archive.db"]


def test_gunicorn_counts_every_request_across_its_processes_and_recycled_workers(tmp_path):
    database = migrated_database(tmp_path)
    port = free_port()
    directory = tmp_path / "metrics"
    environment = production_environment(
        database_url=database,
        METRICS_ENABLED="True",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        WEB_CONCURRENCY="2",
        GUNICORN_MAX_REQUESTS="4",  # recycled several times during the test
    )
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"left by an earlier run")
    server = start_gunicorn(port=port, environment=environment, output=tmp_path / "gunicorn.log")
    try:
        for _ in range(20):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/shops/", headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
            assert connection.getresponse().status == 200
            connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        text = response.read().decode()
        files = sorted(path.name for path in directory.glob("*.db"))
    finally:
        stop(server)

    assert response.status == 200
    values = samples(text)
    key = (
        "procurement_http_request_duration_seconds_count",
        (("method", "GET"), ("status", "2xx"), ("view", "shops")),
    )
    assert values[key] == 20
    assert "counter_999999.db" not in files
    # The archive and the files of the (at most two) live workers: recycled workers left none behind.
    assert len([name for name in files if name.startswith("histogram_")]) <= 3
    assert "histogram_archive.db" in files


def test_a_metrics_page_nobody_may_read_is_flagged_by_the_checks(settings):
    from config.checks import metrics_have_a_reader

    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = []

    assert [message.id for message in metrics_have_a_reader()] == ["procurement.W001"]
    settings.METRICS_TOKEN = TOKEN
    assert metrics_have_a_reader() == []
