"""Web and workers on separate machines: they share PostgreSQL, Redis and an S3 bucket, and nothing else.

Needs PostgreSQL (`DATABASE_URL`) and Redis (`TEST_CELERY_BROKER_URL`); the S3 server is moto's, started
by the test session. This process is the web side; each worker is a real `celery worker` process started
in a directory of its own, with a MEDIA_ROOT of its own and only the queues it is given, like a worker
on another machine. Both MEDIA_ROOTs must stay empty: every file goes through the bucket.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import OutboxEmail
from accounts.services import make_partner
from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Category, Offer, Product, Shop
from catalog.tests.factories import OfferFactory, ShopFactory
from config.celery import app
from config.models import AdminExport
from orders.services import confirm_order
from orders.tests.factories import OrderFactory, OrderItemFactory
from partners.models import PriceListImport
from tests.integration.conftest import BROKER_URL, purge_queues
from tests.integration.test_celery_worker import price_list
from tests.integration.test_email_outbox import database_url, point_the_app_at

REPOSITORY = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.s3,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not BROKER_URL,
        reason="needs a Redis broker: set TEST_CELERY_BROKER_URL=redis://127.0.0.1:6379/15 (and DATABASE_URL)",
    ),
]

EXPORTED_OFFERS = 60_000


def files_under(root: Path) -> list[str]:
    return (
        sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
        if root.exists()
        else []
    )


class Worker:
    """A `celery worker` process with its own working directory and MEDIA_ROOT, consuming `queues`."""

    def __init__(self, *, queues: str, folder: Path, environment: dict[str, str]) -> None:
        folder.mkdir(parents=True)
        self.media_root = folder / "media"
        self.log = folder / "worker.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--queues",
                    queues,
                    "--pool",
                    "solo",
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    f"{queues.replace(',', '-')}-{os.getpid()}@%h",
                ],
                cwd=folder,
                env={**environment, "MEDIA_ROOT": str(self.media_root)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while b" ready." not in self.log.read_bytes():
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            assert time.monotonic() < deadline, self.log.read_text(errors="replace")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def start_worker(s3_bucket, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start workers on other "machines": the test database, the broker, the bucket, their own disk."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("MEDIA_", "AWS_"))},
        **s3_bucket.environment,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(REPOSITORY),
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG_FLAG": "True",
        "LOG_FORMAT": "plain",
        "PYTHONUNBUFFERED": "1",
    }
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    point_the_app_at(BROKER_URL)
    purge_queues()
    workers: list[Worker] = []

    def start(queues: str) -> Worker:
        worker = Worker(queues=queues, folder=tmp_path / f"worker-{len(workers)}", environment=environment)
        workers.append(worker)
        return worker

    start.mail_dir = mail_dir
    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
        purge_queues()
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


def wait_for(check: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def finished_import(pk: int, *, timeout: float = 120) -> PriceListImport:
    return wait_for(
        lambda: PriceListImport.objects.filter(
            pk=pk, status__in=["succeeded", "failed", "superseded"]
        ).first(),
        timeout=timeout,
        what=f"import {pk}",
    )


def new_partner():
    user = PartnerFactory(is_staff=True)
    make_partner(user=user)
    # The "Partners" group's permissions come from a data migration, which a transactional test run
    # earlier in the session may have flushed away: grant the upload pages' permissions directly.
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="partners",
            codename__in=["view_pricelistimport", "add_pricelistimport", "view_pricehistory"],
        )
    )
    return user


def test_uploads_through_the_api_and_the_admin_are_imported_by_a_worker_with_the_files_in_the_bucket(
    start_worker, s3_bucket, client
):
    worker = start_worker("imports,emails,default")
    partner = new_partner()
    api = APIClient()
    api.force_authenticate(partner)
    api_file = price_list(300)
    admin_file = price_list(200, price=500).replace("Склад у дома".encode(), "Склад у леса".encode())

    answer = api.post(
        "/partner_update/", {"file": SimpleUploadedFile("api.yaml", api_file)}, format="multipart"
    )
    assert answer.status_code == 202, answer.json()
    by_api = finished_import(answer.json()["id"])

    client.force_login(partner)
    uploaded = client.post(
        reverse("admin:partners_pricelistimport_upload_price_list"),
        {"file": SimpleUploadedFile("admin.yaml", admin_file)},
    )
    assert uploaded.status_code == 302, uploaded.content.decode()[:3000]
    preview = PriceListImport.objects.get(source="admin", is_dry_run=True)
    assert uploaded["Location"] == reverse("admin:partners_pricelistimport_change", args=[preview.pk])
    preview = finished_import(preview.pk)
    assert preview.status == "succeeded", preview.errors
    applied = client.post(
        reverse("admin:partners_pricelistimport_preview", args=[preview.pk]), {"apply": "1"}
    )
    by_admin = PriceListImport.objects.get(source="admin", is_dry_run=False)
    assert applied["Location"] == reverse("admin:partners_pricelistimport_change", args=[by_admin.pk])
    by_admin = finished_import(by_admin.pk)

    assert (by_api.status, by_api.created_count) == ("succeeded", 300)
    assert (by_admin.status, by_admin.created_count) == ("succeeded", 200)
    assert Offer.objects.filter(shop__name="Склад у дома").count() == 300
    assert Offer.objects.filter(shop__name="Склад у леса", price__gte=500).count() == 200
    assert s3_bucket.keys() == sorted([by_api.file.name, preview.file.name, by_admin.file.name])
    assert s3_bucket.read(by_api.file.name) == api_file
    assert s3_bucket.read(by_admin.file.name) == admin_file
    assert files_under(settings.MEDIA_ROOT) == []
    assert files_under(worker.media_root) == []


def test_an_admin_export_of_60000_offers_runs_on_the_worker_and_its_download_matches_the_data(
    start_worker, s3_bucket, client
):
    worker = start_worker("imports,default")
    shop = ShopFactory(name="Большой склад")
    category = Category.objects.create(name="Крепёж")
    products = Product.objects.bulk_create(
        Product(name=f"Саморез {number}", category=category) for number in range(EXPORTED_OFFERS)
    )
    Offer.objects.bulk_create(
        Offer(
            shop=shop,
            product=product,
            external_id=str(number),
            model=f"screw/{number}",
            price=Decimal(100 + number % 97) + Decimal("0.25"),
            quantity=number % 13,
            parameters={},
        )
        for number, product in enumerate(products)
    )
    client.force_login(ManagerFactory())

    started = client.post(reverse("admin:catalog_offer_export"), {"format": "0", "resource": "0"})

    export = AdminExport.objects.get()
    assert started["Location"] == reverse("admin:catalog_offer_export_job", args=[export.pk])
    progress_url = reverse("admin:catalog_offer_export_progress", args=[export.pk])
    seen = []

    def ready():
        state = client.get(progress_url).json()
        seen.append(state["rows_done"])
        return state if state["is_finished"] else None

    state = wait_for(ready, timeout=600, what="the export")
    assert (state["status"], state["rows_done"], state["rows_total"]) == (
        "succeeded",
        EXPORTED_OFFERS,
        EXPORTED_OFFERS,
    )
    assert seen == sorted(seen)
    download = client.get(state["download_url"])
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "shop", "external_id"]
    exported = {(int(row[0]), row[2], row[3], row[6], int(row[8])) for row in rows[1:]}
    expected = {
        (pk, external_id, name, f"{price:.2f}", quantity)
        for pk, external_id, name, price, quantity in Offer.objects.values_list(
            "pk", "external_id", "product__name", "price", "quantity"
        )
    }
    assert len(rows) - 1 == EXPORTED_OFFERS
    assert exported == expected
    export.refresh_from_db()
    assert s3_bucket.keys() == [export.file.name]
    assert files_under(settings.MEDIA_ROOT) == []
    assert files_under(worker.media_root) == []


def test_an_emails_worker_sends_an_orders_emails_while_an_import_waits_for_an_imports_worker(start_worker):
    partner = new_partner()
    api = APIClient()
    api.force_authenticate(partner)
    answer = api.post(
        "/partner_update/", {"file": SimpleUploadedFile("stock.yaml", price_list(50))}, format="multipart"
    )
    assert answer.status_code == 202
    import_id = answer.json()["id"]
    ManagerFactory(email="boss@example.com")
    customer = UserFactory(email="customer@example.com")
    basket = OrderFactory(user=customer)
    OrderItemFactory(order=basket, offer=OfferFactory(shop=ShopFactory(owner=new_partner())), quantity=1)

    start_worker("emails")  # a worker for e-mails only; nobody takes the import yet
    order = confirm_order(order=basket, customer=customer, address="Москва", phone="+79161234567")

    sent = wait_for(
        lambda: OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() >= 3
        and OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).count() == 0,
        timeout=60,
        what="the order's e-mails",
    )
    assert sent
    assert len(list(start_worker.mail_dir.iterdir())) >= 1
    assert all(f"#{order.pk}" in email.subject for email in OutboxEmail.objects.all())
    assert PriceListImport.objects.get(pk=import_id).status == "pending"
    with app.connection_for_read() as connection:
        waiting = connection.default_channel.queue_declare(queue="imports", passive=True).message_count
    assert waiting == 1

    start_worker("imports")
    record = finished_import(import_id)

    assert (record.status, record.created_count) == ("succeeded", 50)
    assert Shop.objects.filter(owner=partner).count() == 1
