"""A real Celery worker on a real Redis broker imports price lists sent to the API in the background.

Needs Redis (`TEST_CELERY_BROKER_URL`, e.g. redis://127.0.0.1:6379/15) and PostgreSQL (`DATABASE_URL`):
the worker runs in a thread of this process and reads the committed test database over its own
connection, which an in-memory SQLite database cannot offer.
"""

from __future__ import annotations

import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from rest_framework.test import APIClient

from accounts.tests.factories import PartnerFactory
from catalog.models import Offer
from partners import tasks
from partners.models import PriceListImport
from partners.tests.faults import database_refuses_updates_of_offer
from tests.integration.conftest import NEEDS_A_WORKER

pytestmark = NEEDS_A_WORKER

GOODS = 25_000


def price_list(goods: int, *, price: int = 100) -> bytes:
    lines = ["shop: Склад у дома", "categories:", "  - id: 1", "    name: Инструменты", "goods:"]
    for number in range(goods):
        lines += [
            f"  - id: {number}",
            "    category: 1",
            f"    name: Отвёртка №{number}",
            f"    price: {price + number % 7}",
            f"    quantity: {number % 11}",
            "    parameters:",
            f'      "Длина (мм)": {100 + number % 50}',
        ]
    return ("\n".join(lines) + "\n").encode()


def upload(client: APIClient, content: bytes):
    return client.post(
        "/partner_update/", {"file": SimpleUploadedFile("stock.yaml", content)}, format="multipart"
    )


def poll(client: APIClient, import_id: int, *, timeout: float = 90) -> list[dict]:
    """Every distinct state seen until the import finished."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/partner_update/{import_id}/").json()
        state = {key: body[key] for key in ("status", "goods_processed", "goods_total", "progress_percent")}
        if not seen or seen[-1] != state:
            seen.append(state)
        if body["status"] in ("succeeded", "failed"):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"import {import_id} did not finish in {timeout}s: {seen}")


def wait_for_progress(client: APIClient, import_id: int, *, timeout: float = 60) -> dict:
    """The first state of a running import that is past its start and not finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/partner_update/{import_id}/").json()
        if body["status"] == "running" and 0 < body["goods_processed"] < body["goods_total"]:
            return body
        assert body["status"] in ("pending", "running"), body
        time.sleep(0.05)
    raise AssertionError(f"import {import_id} showed no progress in {timeout}s")


def test_import_through_the_api_runs_on_the_worker_with_progress(worker):
    partner = PartnerFactory()
    client = APIClient()
    client.force_authenticate(partner)
    first = upload(client, price_list(GOODS))
    assert first.status_code == 202, first.json()
    assert first.json()["status"] == "pending"
    assert poll(client, first.json()["id"])[-1]["status"] == "succeeded"
    customer = connections.create_connection("default")
    customer.set_autocommit(False)
    with customer.cursor() as cursor:  # a customer's transaction holds the last offer for a while
        cursor.execute("SELECT id FROM catalog_offer ORDER BY id DESC LIMIT 1 FOR UPDATE")
    try:
        response = upload(client, price_list(GOODS, price=5000))
        assert response.status_code == 202, response.json()
        midway = wait_for_progress(client, response.json()["id"])
    finally:
        customer.rollback()
        customer.close()
    seen = poll(client, response.json()["id"])

    assert seen[-1] == {
        "status": "succeeded",
        "goods_processed": GOODS,
        "goods_total": GOODS,
        "progress_percent": 100,
    }
    processed = [midway["goods_processed"]] + [state["goods_processed"] for state in seen]
    assert processed == sorted(processed)
    record = PriceListImport.objects.get(pk=response.json()["id"])
    assert (record.updated_count, record.attempts, len(record.task_id)) == (GOODS, 1, 32)
    assert Offer.objects.filter(shop=record.shop, is_active=True, price__gte=5000).count() == GOODS


def test_worker_crash_mid_apply_leaves_the_offers_and_fails_the_import(worker, monkeypatch):
    partner = PartnerFactory()
    client = APIClient()
    client.force_authenticate(partner)
    first = upload(client, price_list(50)).json()["id"]
    assert poll(client, first)[-1]["status"] == "succeeded"
    before = list(
        Offer.objects.order_by("external_id").values_list("external_id", "price", "quantity", "updated_at")
    )
    monkeypatch.setattr(tasks, "RETRY_BASE_SECONDS", 0)

    with database_refuses_updates_of_offer("7"):
        second = upload(client, price_list(50, price=200)).json()["id"]
        seen = poll(client, second)

    assert seen[-1]["status"] == "failed"
    record = PriceListImport.objects.get(pk=second)
    assert record.attempts == 3
    assert "interrupted the import 3 times" in record.errors[0]["message"]
    after = list(
        Offer.objects.order_by("external_id").values_list("external_id", "price", "quantity", "updated_at")
    )
    # The 50 changes are one batch, which the database refused whole.
    assert after == before
