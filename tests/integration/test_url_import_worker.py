"""With a real broker and worker, a URL import answers 202 at once and the worker fetches the file.

Needs Redis (`TEST_CELERY_BROKER_URL`) and PostgreSQL (`DATABASE_URL`), as test_celery_worker.py.
"""

from __future__ import annotations

import threading

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import PartnerFactory
from catalog.models import Offer
from partners.models import PriceListImport
from partners.tests.conftest import Drip, DripServer, http_head
from tests.integration.conftest import NEEDS_A_WORKER
from tests.integration.test_celery_worker import poll, price_list

pytestmark = NEEDS_A_WORKER

DEADLINE = 4


@pytest.fixture
def drip_server():
    server = DripServer()
    try:
        yield server
    finally:
        server.close()


def test_url_imports_answer_202_at_once_and_the_worker_fetches_one_and_times_out_the_other(
    worker, settings, drip_server
):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.PRICE_LIST_URL_TIMEOUT = DEADLINE
    content = price_list(3)
    # Nothing is sent until the test holds both answers: a request that fetched the file itself could
    # only end in a timeout, never in a 202.
    answered = threading.Event()
    drip_server.routes["/good.yaml"] = Drip(
        head=http_head(200, {"Content-Length": str(len(content))}),
        body=content,
        release=answered,
        # Slow, within the deadline: about a second and a half for the whole file.
        body_interval=1.5 / len(content),
    )
    drip_server.routes["/drip.yaml"] = Drip(
        head=http_head(200, {"Content-Length": str(len(content)), "X-Padding": "a" * 100}),
        body=content,
        release=answered,
        head_interval=1.0,
    )
    client = APIClient()
    client.force_authenticate(PartnerFactory())

    good = client.post("/partner_update/", {"url": drip_server.url("/good.yaml")}, format="json")
    dripping = client.post("/partner_update/", {"url": drip_server.url("/drip.yaml")}, format="json")
    answered.set()

    assert (good.status_code, dripping.status_code) == (202, 202)
    for response, path in ((good, "/good.yaml"), (dripping, "/drip.yaml")):
        body = response.json()
        assert (body["status"], body["source"], body["file_size"]) == ("pending", "url", 0)
        assert body["source_url"] == drip_server.url(path)
    assert poll(client, good.json()["id"])[-1]["status"] == "succeeded"
    assert poll(client, dripping.json()["id"])[-1]["status"] == "failed"
    fetched = PriceListImport.objects.get(pk=good.json()["id"])
    with fetched.file.open("rb") as stream:
        assert stream.read() == content
    assert (fetched.created_count, fetched.attempts) == (3, 1)
    assert Offer.objects.filter(shop=fetched.shop).count() == 3
    timed_out = PriceListImport.objects.get(pk=dripping.json()["id"])
    assert timed_out.errors == [
        {
            "path": "url",
            "message": f"The server did not send the file within {DEADLINE} seconds.",
            "line": None,
        }
    ]
    assert (timed_out.attempts, timed_out.file.name) == (1, "")
    assert sorted(drip_server.requests) == ["/drip.yaml", "/good.yaml"]
