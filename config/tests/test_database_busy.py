"""Web requests give up on a lock instead of stalling the site, answer 503 "busy" and change nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, connections
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import ManagerFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory
from orders.models import Order
from orders.services import add_to_basket

BASE_DIR = Path(__file__).resolve().parents[2]


def settings_in_a_new_process(**environment: str) -> dict:
    """The database settings a process started with this environment gets."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'options': settings.DATABASES['default'].get('OPTIONS', {}).get('options', ''), "
        "'web': settings.DB_WEB_TIMEOUTS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_web_processes_on_postgresql_get_lock_and_statement_timeouts():
    url = "postgres://user@db.example.com:5432/procurement"

    web = settings_in_a_new_process(DATABASE_URL=url, PROCUREMENT_ROLE="web")
    worker = settings_in_a_new_process(DATABASE_URL=url)
    tuned = settings_in_a_new_process(
        DATABASE_URL=url,
        PROCUREMENT_ROLE="web",
        DB_WEB_LOCK_TIMEOUT_MS="500",
        DB_WEB_STATEMENT_TIMEOUT_MS="9000",
    )

    # Web connections also leave out parallel workers and JIT, and every connection lets the catalog's
    # search find misspelt words (issue 12).
    tuning = "-c max_parallel_workers_per_gather=0 -c jit=off"
    search = "-c pg_trgm.word_similarity_threshold=0.5"
    assert web == {
        "options": f"-c lock_timeout=3000 -c statement_timeout=30000 {tuning} {search}",
        "web": True,
    }
    assert worker == {"options": search, "web": False}
    assert tuned["options"] == f"-c lock_timeout=500 -c statement_timeout=9000 {tuning} {search}"


def test_the_wsgi_entry_point_marks_its_process_as_a_web_process():
    assert "PROCUREMENT_ROLE" in (BASE_DIR / "config" / "wsgi.py").read_text()
    code = "import os, config.wsgi; print(os.environ['PROCUREMENT_ROLE'])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "web"


@pytest.fixture
def table_held():
    """Another connection holds a whole table, as a long writer would; released at the end."""
    holder = connections.create_connection("default")
    holder.set_autocommit(False)

    class Holder:
        def hold(self, table: str) -> None:
            with holder.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

        def release(self) -> None:
            holder.rollback()

    yield Holder()
    holder.rollback()
    holder.close()


@pytest.fixture
def web_lock_timeout():
    """This connection waits for locks as briefly as a web process would."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_confirm_that_cannot_get_its_offer_answers_503_busy_and_changes_nothing(
    table_held, web_lock_timeout
):
    customer = UserFactory()
    offer = OfferFactory(quantity=5)
    basket = add_to_basket(user=customer, offer_id=offer.pk, quantity=2)
    api = APIClient()
    api.force_authenticate(customer)
    table_held.hold(Offer._meta.db_table)

    response = api.post(
        "/orders/confirm/", {"id": basket.pk, "address": "Пермь, Ленина 1", "phone": "+79161234567"}
    )

    assert response.status_code == 503, response.json()
    assert response["Retry-After"] == "2"
    assert response.json() == {
        "detail": "The service is busy right now; nothing was changed. Try again in a moment.",
        "code": "busy",
    }
    table_held.release()
    assert Order.objects.get(user=customer).state == Order.State.BASKET
    assert Offer.objects.get(pk=offer.pk).quantity == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_admin_page_that_cannot_read_answers_a_503_page(client, table_held, web_lock_timeout):
    client.force_login(ManagerFactory())
    table_held.hold(Order._meta.db_table)

    response = client.get(reverse("admin:orders_order_changelist"))

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "The service is busy right now" in response.content.decode()
