"""Partner API: importing price lists (file or URL), import status, the order switch and the export."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Offer, Shop
from catalog.tests.factories import ShopFactory
from partners import tasks
from partners.models import PriceListImport
from partners.tests.conftest import Drip, Route, http_head
from partners.tests.data_files import SMALL, SMALL_CHANGED

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
MANY_PROBLEMS = (DATA / "bad" / "many_problems.yaml").read_bytes()
SMALL_GOODS = 3


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client: APIClient, content: bytes, *, name: str = "shop.yaml", query: str = ""):
    return client.post(
        f"/partner_update/{query}",
        {"file": SimpleUploadedFile(name, content, content_type="application/x-yaml")},
        format="multipart",
    )


def offers_snapshot() -> list[tuple]:
    return list(
        Offer.objects.order_by("external_id").values_list(
            "external_id", "price", "quantity", "is_active", "parameters"
        )
    )


@pytest.fixture(autouse=True)
def _english(settings):
    # Messages are compared in English; the product's default language is Russian.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def partner():
    return PartnerFactory()


@pytest.fixture
def partner_client(partner):
    return client_for(partner)


# --- POST /partner_update/ -------------------------------------------------------------------------


def test_upload_imports_the_file_and_answers_200_with_the_finished_import(partner, partner_client):
    response = upload(partner_client, SMALL, name="tea.yaml")

    assert response.status_code == 200, response.json()
    body = response.json()
    shop = Shop.objects.get()
    assert shop.owner == partner
    assert body["status"] == "succeeded"
    assert body["dry_run"] is False
    assert body["shop"] == {"id": shop.pk, "name": "Чайная лавка"}
    assert body["source"] == "api"
    assert body["file_name"] == "tea.yaml"
    assert body["counts"] == {"created": SMALL_GOODS, "updated": 0, "unchanged": 0, "retired": 0}
    assert (body["goods_total"], body["goods_processed"], body["progress_percent"]) == (
        SMALL_GOODS,
        SMALL_GOODS,
        100,
    )
    assert body["errors"] == []
    assert body["plan"]["counts"] == body["counts"]
    assert isinstance(body["duration_ms"], int)
    assert body["finished_at"] is not None
    assert Offer.objects.filter(shop=shop).count() == SMALL_GOODS
    assert PriceListImport.objects.get().partner == partner


def test_uploading_the_same_file_again_changes_nothing(partner_client):
    upload(partner_client, SMALL)
    before = offers_snapshot()

    body = upload(partner_client, SMALL).json()

    assert body["counts"] == {"created": 0, "updated": 0, "unchanged": SMALL_GOODS, "retired": 0}
    assert offers_snapshot() == before


def test_dry_run_returns_the_plan_and_writes_nothing(partner_client):
    response = upload(partner_client, SMALL, query="?dry_run=1")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["dry_run"] is True
    assert body["plan"]["counts"] == {"created": SMALL_GOODS, "updated": 0, "unchanged": 0, "retired": 0}
    assert [change["action"] for change in body["plan"]["changes"]] == ["created"] * SMALL_GOODS
    assert Offer.objects.count() == 0
    assert Shop.objects.count() == 0


def test_dry_run_of_a_change_shows_old_and_new_prices_and_keeps_the_offers(partner_client):
    upload(partner_client, SMALL)
    before = offers_snapshot()

    body = upload(partner_client, SMALL_CHANGED, query="?dry_run=true").json()

    assert body["dry_run"] is True
    updated = [change for change in body["plan"]["changes"] if change["action"] == "updated"]
    assert updated
    assert all(
        {"old_price", "new_price", "old_quantity", "new_quantity"} <= set(change) for change in updated
    )
    assert offers_snapshot() == before


def test_invalid_file_answers_400_with_every_problem_and_keeps_the_failed_record(partner_client):
    response = upload(partner_client, MANY_PROBLEMS)

    assert response.status_code == 400
    body = response.json()
    record = PriceListImport.objects.get()
    assert record.status == PriceListImport.Status.FAILED
    assert body["code"] == "invalid_price_list"
    assert body["import"]["id"] == record.pk
    assert body["import"]["status"] == "failed"
    assert len(body["import"]["errors"]) == len(record.errors) > 1
    first = record.errors[0]
    assert body["errors"][first["path"] or "file"][0] == f"{first['message']} (line {first['line']})"
    assert body["detail"].startswith(
        f"The price list has {len(record.errors)} problem(s); nothing was changed."
    )
    assert Offer.objects.count() == 0
    assert Shop.objects.count() == 0


def test_buyer_gets_403_and_nothing_is_stored():
    response = upload(client_for(UserFactory()), SMALL)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert PriceListImport.objects.count() == 0


def test_anonymous_gets_401():
    response = upload(APIClient(), SMALL)

    assert response.status_code == 401
    assert PriceListImport.objects.count() == 0


def test_file_above_the_limit_answers_413_without_storing_it(partner_client, settings):
    settings.PRICE_LIST_MAX_BYTES = len(SMALL) - 1

    response = upload(partner_client, SMALL)

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert PriceListImport.objects.count() == 0


def test_request_declaring_a_body_far_above_the_limit_is_refused_before_reading_it(partner_client, settings):
    settings.PRICE_LIST_MAX_BYTES = 1000

    response = upload(partner_client, SMALL + b"#" * 200_000)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The price list is larger than the limit of 1000 bytes.",
        "code": "too_large",
    }
    assert PriceListImport.objects.count() == 0


def test_empty_file_is_refused(partner_client):
    response = upload(partner_client, b"")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"file"}
    assert PriceListImport.objects.count() == 0


@pytest.mark.parametrize("request_format", ["json", "multipart"])
def test_neither_file_nor_url_is_refused(partner_client, request_format):
    response = partner_client.post("/partner_update/", {}, format=request_format)

    assert response.status_code == 400
    message = "Send a price list: a multipart `file`, or a `url` to fetch it from."
    assert response.json() == {
        "detail": message,
        "code": "required",
        "errors": {"non_field_errors": [message]},
    }
    assert PriceListImport.objects.count() == 0


def test_url_sent_as_form_data_like_the_original_clients_is_fetched(partner_client, settings, local_server):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    local_server.routes["/tea.yaml"] = Route(body=SMALL)

    response = partner_client.post(
        "/partner_update/", {"url": local_server.url("/tea.yaml"), "dry_run": "1"}, format="multipart"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["source"], response.json()["dry_run"]) == ("url", True)


def test_unknown_fields_are_refused(partner_client):
    response = partner_client.post(
        "/partner_update/", {"url": "https://example.com/a.yaml", "shop": 1}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"shop"}
    assert PriceListImport.objects.count() == 0


def test_file_and_url_together_are_refused(partner_client):
    response = partner_client.post(
        "/partner_update/",
        {"file": SimpleUploadedFile("a.yaml", SMALL), "url": "https://example.com/a.yaml"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Send either a file or a URL, not both."
    assert PriceListImport.objects.count() == 0


def test_bad_dry_run_value_is_refused(partner_client):
    response = upload(partner_client, SMALL, query="?dry_run=perhaps")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"dry_run"}
    assert PriceListImport.objects.count() == 0


# --- URL imports ------------------------------------------------------------------------------------


def test_url_import_fetches_from_a_named_local_host(partner_client, settings, local_server):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    local_server.routes["/feeds/tea.yaml"] = Route(body=SMALL)

    response = partner_client.post(
        "/partner_update/", {"url": local_server.url("/feeds/tea.yaml")}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["source"] == "url"
    assert body["source_url"] == local_server.url("/feeds/tea.yaml")
    assert body["file_name"] == "tea.yaml"
    assert body["counts"]["created"] == SMALL_GOODS
    assert Offer.objects.count() == SMALL_GOODS


def test_url_import_dry_run_in_the_body(partner_client, settings, local_server):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    local_server.routes["/tea.yaml"] = Route(body=SMALL)

    body = partner_client.post(
        "/partner_update/", {"url": local_server.url("/tea.yaml"), "dry_run": True}, format="json"
    ).json()

    assert body["dry_run"] is True
    assert Offer.objects.count() == 0


def test_url_to_loopback_is_refused_with_400_and_nothing_fetched(partner_client, settings, local_server):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = []
    local_server.routes["/tea.yaml"] = Route(body=SMALL)

    response = partner_client.post("/partner_update/", {"url": local_server.url("/tea.yaml")}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "url_forbidden_address"
    assert "127.0.0.1" in body["errors"]["url"][0]
    assert local_server.requests == []
    assert PriceListImport.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/a.yaml", "url_scheme"),
        ("file:///etc/passwd", "url_scheme"),
        ("http://169.254.169.254/latest/meta-data/", "url_forbidden_address"),
        ("http://[fd00:ec2::254]/latest/", "url_forbidden_address"),
        ("http://10.0.0.1/a.yaml", "url_forbidden_address"),
        ("http://[::1]:8000/a.yaml", "url_forbidden_address"),
    ],
)
def test_forbidden_urls_are_refused_with_their_reason(partner_client, url, code):
    response = partner_client.post("/partner_update/", {"url": url}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert PriceListImport.objects.count() == 0


def test_url_body_above_the_limit_answers_413(partner_client, settings, local_server):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.PRICE_LIST_MAX_BYTES = 100_000
    local_server.routes["/huge.yaml"] = Route(body=b"#" * 300_000, chunked=True)

    response = partner_client.post("/partner_update/", {"url": local_server.url("/huge.yaml")}, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert PriceListImport.objects.count() == 0


# --- in the background ------------------------------------------------------------------------------


@pytest.fixture
def broker_configured(monkeypatch):
    """As if CELERY_BROKER_URL were set: tasks are queued, here into a list instead of a broker."""
    queued: list[dict] = []
    monkeypatch.setattr(tasks.import_price_list_task.app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        tasks.import_price_list_task,
        "apply_async",
        lambda args=None, task_id=None, **options: queued.append({"args": args, "task_id": task_id}),
    )
    return queued


def test_with_a_broker_the_upload_answers_202_and_the_task_runs_the_import(
    partner_client, broker_configured, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(partner_client, SMALL)

    assert response.status_code == 202
    body = response.json()
    record = PriceListImport.objects.get()
    assert body["id"] == record.pk
    assert body["status"] == "pending"
    assert body["progress_percent"] == 0
    assert response["Location"] == f"/partner_update/{record.pk}/"
    assert broker_configured == [{"args": [record.pk], "task_id": record.task_id}]
    assert Offer.objects.count() == 0

    assert tasks.import_price_list_task.apply(args=[record.pk]).result == "succeeded"
    status_body = partner_client.get(f"/partner_update/{record.pk}/").json()
    assert status_body["status"] == "succeeded"
    assert status_body["counts"]["created"] == SMALL_GOODS
    assert status_body["progress_percent"] == 100
    assert Offer.objects.count() == SMALL_GOODS


def test_with_a_broker_an_invalid_file_is_accepted_then_fails_on_the_worker(
    partner_client, broker_configured, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(partner_client, MANY_PROBLEMS)
    import_id = response.json()["id"]

    tasks.import_price_list_task.apply(args=[import_id])

    body = partner_client.get(f"/partner_update/{import_id}/").json()
    assert response.status_code == 202
    assert body["status"] == "failed"
    assert body["errors"] == PriceListImport.objects.get().errors
    assert all(set(error) == {"path", "message", "line"} for error in body["errors"])


def test_url_that_drips_past_the_deadline_answers_400_url_timeout_and_keeps_nothing(
    partner_client, settings, drip_server
):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.PRICE_LIST_URL_TIMEOUT = 2
    drip_server.routes["/tea.yaml"] = Drip(
        head=http_head(200, {"Content-Length": str(len(SMALL))}), body=SMALL, body_interval=1.0
    )

    response = partner_client.post("/partner_update/", {"url": drip_server.url("/tea.yaml")}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "url_timeout"
    assert body["errors"] == {"url": ["The server did not send the file within 2 seconds."]}
    assert PriceListImport.objects.count() == 0
    assert Offer.objects.count() == 0


def url_import(client: APIClient, url: str, **fields):
    return client.post("/partner_update/", {"url": url, **fields}, format="json")


def test_with_a_broker_a_url_import_answers_202_and_the_worker_fetches_it(
    partner_client, settings, local_server, broker_configured, django_capture_on_commit_callbacks
):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    local_server.routes["/feeds/tea.yaml"] = Route(body=SMALL)

    with django_capture_on_commit_callbacks(execute=True):
        response = url_import(partner_client, local_server.url("/feeds/tea.yaml"))

    assert response.status_code == 202, response.json()
    body = response.json()
    record = PriceListImport.objects.get()
    assert (body["id"], body["status"], body["source"]) == (record.pk, "pending", "url")
    assert (body["source_url"], body["file_name"], body["file_size"]) == (
        local_server.url("/feeds/tea.yaml"),
        "tea.yaml",
        0,
    )
    assert response["Location"] == f"/partner_update/{record.pk}/"
    assert not record.file
    assert local_server.requests == []
    assert broker_configured == [{"args": [record.pk], "task_id": record.task_id}]

    assert tasks.import_price_list_task.apply(args=[record.pk]).result == "succeeded"

    record.refresh_from_db()
    with record.file.open("rb") as stream:
        assert stream.read() == SMALL
    assert (record.file_name, record.file_size, record.attempts) == ("tea.yaml", len(SMALL), 1)
    assert [path for path, _host in local_server.requests] == ["/feeds/tea.yaml"]
    status_body = partner_client.get(f"/partner_update/{record.pk}/").json()
    assert (status_body["status"], status_body["counts"]["created"]) == ("succeeded", SMALL_GOODS)
    assert Offer.objects.count() == SMALL_GOODS


def test_with_a_broker_a_url_dry_run_is_fetched_and_planned_without_writing(
    partner_client, settings, local_server, broker_configured, django_capture_on_commit_callbacks
):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    local_server.routes["/tea.yaml"] = Route(body=SMALL)

    with django_capture_on_commit_callbacks(execute=True):
        response = partner_client.post(
            "/partner_update/?dry_run=1", {"url": local_server.url("/tea.yaml")}, format="json"
        )
    import_id = response.json()["id"]
    tasks.import_price_list_task.apply(args=[import_id])

    body = partner_client.get(f"/partner_update/{import_id}/").json()
    assert response.status_code == 202
    assert response.json()["dry_run"] is True
    assert (body["status"], body["dry_run"], body["counts"]["created"]) == ("succeeded", True, SMALL_GOODS)
    assert Offer.objects.count() == 0
    assert Shop.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/a.yaml", "url_scheme"),
        ("https://user:secret@example.com/a.yaml", "url_invalid"),
        ("http://example.com:70000/a.yaml", "url_invalid"),
        ("http://169.254.169.254/latest/meta-data/", "url_forbidden_address"),
        ("http://10.0.0.1/a.yaml", "url_forbidden_address"),
        ("http://[::1]:8000/a.yaml", "url_forbidden_address"),
    ],
)
def test_with_a_broker_a_url_refused_without_the_network_answers_400_and_queues_nothing(
    partner_client, broker_configured, django_capture_on_commit_callbacks, url, code
):
    with django_capture_on_commit_callbacks(execute=True):
        response = url_import(partner_client, url)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert set(response.json()["errors"]) == {"url"}
    assert PriceListImport.objects.count() == 0
    assert broker_configured == []


def test_with_a_broker_a_too_long_url_answers_400_and_queues_nothing(
    partner_client, broker_configured, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = url_import(partner_client, "https://example.com/" + "a" * 2000)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"url"}
    assert PriceListImport.objects.count() == 0
    assert broker_configured == []


def run_queued_url_import(client: APIClient, url: str, capture) -> dict:
    with capture(execute=True):
        response = url_import(client, url)
    assert response.status_code == 202, response.json()
    tasks.import_price_list_task.apply(args=[response.json()["id"]])
    return client.get(f"/partner_update/{response.json()['id']}/").json()


def test_with_a_broker_a_dripping_url_fails_the_import_with_the_timeout_in_its_errors(
    partner_client, settings, drip_server, broker_configured, django_capture_on_commit_callbacks
):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.PRICE_LIST_URL_TIMEOUT = 2
    drip_server.routes["/tea.yaml"] = Drip(head=http_head(200, {"X-Padding": "a" * 100}), head_interval=1.0)

    body = run_queued_url_import(
        partner_client, drip_server.url("/tea.yaml"), django_capture_on_commit_callbacks
    )

    assert body["status"] == "failed"
    assert body["errors"] == [
        {"path": "url", "message": "The server did not send the file within 2 seconds.", "line": None}
    ]
    assert body["attempts"] == 1
    assert body["file_size"] == 0
    assert not PriceListImport.objects.get().file
    assert Offer.objects.count() == 0


def test_with_a_broker_a_host_resolving_to_loopback_is_refused_by_the_worker_and_never_fetched(
    partner_client, settings, local_server, broker_configured, django_capture_on_commit_callbacks
):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = []
    local_server.routes["/tea.yaml"] = Route(body=SMALL)

    body = run_queued_url_import(
        partner_client, f"http://localhost:{local_server.port}/tea.yaml", django_capture_on_commit_callbacks
    )

    assert body["status"] == "failed"
    assert [error["path"] for error in body["errors"]] == ["url"]
    assert body["errors"][0]["message"].startswith("The URL points to ")
    assert local_server.requests == []
    assert Offer.objects.count() == 0


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(status=404, body=b"gone"), "The server answered HTTP 404 instead of the file."),
        (Route(body=b"#" * 5000), "The price list is larger than the limit of 4000 bytes."),
    ],
    ids=["http-error", "too-large"],
)
def test_with_a_broker_a_refused_fetch_fails_the_import_at_once_with_its_reason(
    partner_client,
    settings,
    local_server,
    broker_configured,
    django_capture_on_commit_callbacks,
    route,
    message,
):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.PRICE_LIST_MAX_BYTES = 4000
    local_server.routes["/tea.yaml"] = route

    body = run_queued_url_import(
        partner_client, local_server.url("/tea.yaml"), django_capture_on_commit_callbacks
    )

    assert body["status"] == "failed"
    assert body["errors"] == [{"path": "url", "message": message, "line": None}]
    assert body["attempts"] == 1
    assert len(local_server.requests) == 1
    assert Offer.objects.count() == 0


# --- GET /partner_update/<id>/ ----------------------------------------------------------------------


def test_import_status_is_visible_to_its_partner_and_staff_only(partner, partner_client):
    import_id = upload(partner_client, SMALL).json()["id"]

    own = partner_client.get(f"/partner_update/{import_id}/")
    other_partner = client_for(PartnerFactory()).get(f"/partner_update/{import_id}/")
    buyer = client_for(UserFactory()).get(f"/partner_update/{import_id}/")
    staff = client_for(ManagerFactory()).get(f"/partner_update/{import_id}/")

    assert own.status_code == 200
    assert own.json()["id"] == import_id
    assert other_partner.status_code == 404
    assert other_partner.json()["code"] == "not_found"
    assert buyer.status_code == 403
    assert staff.status_code == 200


def test_a_partner_with_admin_access_still_sees_only_its_own_imports_and_shops(partner, partner_client):
    import_id = upload(partner_client, SMALL).json()["id"]
    other = client_for(PartnerFactory(is_staff=True))

    status = other.get(f"/partner_update/{import_id}/")
    shops = other.get("/partner/state/")

    assert status.status_code == 404
    assert shops.status_code == 200
    assert shops.json()["shops"] == []


def test_a_shop_handed_to_another_partner_brings_its_import_history_along(partner, partner_client):
    import_id = upload(partner_client, SMALL).json()["id"]
    successor = PartnerFactory()
    Shop.objects.filter(owner=partner).update(owner=successor)

    response = client_for(successor).get(f"/partner_update/{import_id}/")

    assert response.status_code == 200
    assert response.json()["id"] == import_id


def test_unknown_import_is_404(partner_client):
    assert partner_client.get("/partner_update/999999/").status_code == 404


# --- /partner/state/ --------------------------------------------------------------------------------


def test_state_lists_the_partners_own_shops(partner, partner_client):
    open_shop = ShopFactory(owner=partner, name="Open", is_accepting_orders=True)
    closed_shop = ShopFactory(owner=partner, name="Closed", is_accepting_orders=False)
    ShopFactory(name="Someone else's")

    response = partner_client.get("/partner/state/")

    assert response.status_code == 200
    assert response.json() == {
        "state": False,
        "shops": [
            {"id": open_shop.pk, "name": "Open", "url": "", "state": True},
            {"id": closed_shop.pk, "name": "Closed", "url": "", "state": False},
        ],
    }


def test_state_of_one_shop(partner, partner_client):
    shop = ShopFactory(owner=partner, name="Open")
    ShopFactory(owner=partner, is_accepting_orders=False)

    response = partner_client.get(f"/partner/state/?shop={shop.pk}")

    assert response.json() == {
        "state": True,
        "shops": [{"id": shop.pk, "name": "Open", "url": "", "state": True}],
    }


def test_switching_off_closes_all_the_partners_shops_and_only_theirs(partner, partner_client):
    shops = [ShopFactory(owner=partner), ShopFactory(owner=partner)]
    other = ShopFactory()

    response = partner_client.post("/partner/state/", {"state": False}, format="json")

    assert response.status_code == 200
    assert response.json()["state"] is False
    assert [shop["state"] for shop in response.json()["shops"]] == [False, False]
    assert Shop.objects.filter(pk__in=[s.pk for s in shops], is_accepting_orders=True).count() == 0
    other.refresh_from_db()
    assert other.is_accepting_orders is True


def test_switching_all_shops_reads_them_once(partner, partner_client):
    ShopFactory(owner=partner)
    ShopFactory(owner=partner)

    with CaptureQueriesContext(connection) as queries:
        response = partner_client.post("/partner/state/", {"state": False}, format="json")

    table = Shop._meta.db_table
    shop_reads = [
        q["sql"] for q in queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]
    assert response.status_code == 200
    assert [shop["state"] for shop in response.json()["shops"]] == [False, False]
    assert len(shop_reads) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("on", True),
        ("off", False),
        ("1", True),
        ("0", False),
        ("ON", True),
        (1, True),
        (0, False),
    ],
)
def test_switch_accepts_booleans_and_the_original_strings(partner, partner_client, value, expected):
    shop = ShopFactory(owner=partner, is_accepting_orders=not expected)

    response = partner_client.post("/partner/state/", {"state": value, "shop": shop.pk}, format="json")

    assert response.status_code == 200
    shop.refresh_from_db()
    assert shop.is_accepting_orders is expected


@pytest.mark.parametrize("value", ["maybe", "", 2, None, [True], {"on": 1}, 0.5])
def test_switch_refuses_anything_else_and_changes_nothing(partner, partner_client, value):
    shop = ShopFactory(owner=partner, is_accepting_orders=True)

    response = partner_client.post("/partner/state/", {"state": value}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"state"}
    shop.refresh_from_db()
    assert shop.is_accepting_orders is True


def test_switch_requires_a_state(partner, partner_client):
    ShopFactory(owner=partner)

    response = partner_client.post("/partner/state/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"state": ["This field is required."]}


def test_switching_one_shop_leaves_the_others(partner, partner_client):
    target, untouched = ShopFactory(owner=partner), ShopFactory(owner=partner)

    response = partner_client.post("/partner/state/", {"state": "off", "shop": target.pk}, format="json")

    assert response.json()["shops"] == [{"id": target.pk, "name": target.name, "url": "", "state": False}]
    untouched.refresh_from_db()
    assert untouched.is_accepting_orders is True


def test_switching_another_catalog_shop_is_404_and_changes_nothing(partner_client):
    other = ShopFactory()

    response = partner_client.post("/partner/state/", {"state": False, "shop": other.pk}, format="json")

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_accepting_orders is True


def test_switch_without_shops_is_refused(partner_client):
    response = partner_client.post("/partner/state/", {"state": True}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "no_shops"


def test_state_is_for_partners_only():
    client = client_for(UserFactory())

    assert client.get("/partner/state/").status_code == 403
    assert client.post("/partner/state/", {"state": True}, format="json").status_code == 403


# --- GET /partner/export/ ---------------------------------------------------------------------------


def test_export_reimports_as_unchanged(partner_client):
    upload(partner_client, SMALL)
    shop = Shop.objects.get()
    before = offers_snapshot()

    response = partner_client.get(f"/partner/export/?shop={shop.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-yaml; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename")
    assert ".yaml" in response["Content-Disposition"]
    body = upload(partner_client, response.content, name="export.yaml").json()
    assert body["status"] == "succeeded"
    assert body["shop"]["id"] == shop.pk
    assert body["counts"] == {"created": 0, "updated": 0, "unchanged": SMALL_GOODS, "retired": 0}
    assert offers_snapshot() == before


def test_export_of_a_changed_list_reimports_as_unchanged(partner_client):
    upload(partner_client, SMALL)
    upload(partner_client, SMALL_CHANGED)
    shop = Shop.objects.get()
    active = Offer.objects.filter(shop=shop, is_active=True).count()

    exported = partner_client.get(f"/partner/export/?shop={shop.pk}").content
    body = upload(partner_client, exported).json()

    assert body["counts"] == {"created": 0, "updated": 0, "unchanged": active, "retired": 0}


def test_export_answers_yaml_even_when_the_client_asks_for_yaml(partner, partner_client):
    shop = ShopFactory(owner=partner, name="Plain")

    response = partner_client.get(f"/partner/export/?shop={shop.pk}", HTTP_ACCEPT="application/x-yaml")

    assert response.status_code == 200
    assert response.content.decode().startswith('shop: "Plain"')


def test_export_without_shop_uses_the_only_shop(partner, partner_client):
    ShopFactory(owner=partner, name="Only")

    response = partner_client.get("/partner/export/")

    assert response.status_code == 200
    assert response.content.decode().startswith('shop: "Only"')


def test_export_without_shop_is_refused_when_there_are_several(partner, partner_client):
    ShopFactory(owner=partner)
    ShopFactory(owner=partner)

    response = partner_client.get("/partner/export/")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"shop"}


def test_export_of_another_catalog_shop_is_404(partner_client):
    response = partner_client.get(f"/partner/export/?shop={ShopFactory().pk}")

    assert response.status_code == 404


def test_export_with_a_non_integer_shop_is_400(partner_client):
    response = partner_client.get("/partner/export/?shop=abc")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"shop"}


def test_export_is_for_partners_only():
    assert client_for(UserFactory()).get(f"/partner/export/?shop={ShopFactory().pk}").status_code == 403


def test_partner_endpoints_are_in_the_schema():
    schema = client_for(ManagerFactory()).get("/api/schema/?format=json").json()

    for path, methods in {
        "/partner_update/": {"post"},
        "/partner_update/{import_id}/": {"get"},
        "/partner/state/": {"get", "post"},
        "/partner/export/": {"get"},
    }.items():
        assert methods <= set(schema["paths"][path]), path
    request_types = schema["paths"]["/partner_update/"]["post"]["requestBody"]["content"]
    assert set(request_types) == {"multipart/form-data", "application/json"}
    assert set(schema["paths"]["/partner_update/"]["post"]["responses"]) >= {
        "200",
        "202",
        "400",
        "403",
        "413",
    }


@pytest.mark.parametrize(
    ("query", "body"),
    [("", {}), ("", {"url": "ftp://example.com/x.yaml"}), ("?dry_run=maybe", {})],
)
def test_partner_update_refusals_of_the_input_match_the_documented_400(partner_client, query, body):
    schema = client_for(ManagerFactory()).get("/api/schema/?format=json").json()
    documented = schema["paths"]["/partner_update/"]["post"]["responses"]["400"]["content"][
        "application/json"
    ]
    component = schema["components"]["schemas"][documented["schema"]["$ref"].rsplit("/", 1)[1]]

    response = partner_client.post(f"/partner_update/{query}", body, format="json")

    assert response.status_code == 400
    assert set(component["required"]) <= set(response.json())
    assert set(response.json()) <= set(component["properties"])
    assert PriceListImport.objects.count() == 0


def test_a_nul_character_in_the_file_is_a_clear_400_and_nothing_is_stored(partner_client):
    content = SMALL.replace("shop: Чайная лавка".encode(), 'shop: "Чайная\\0лавка"'.encode())
    assert content != SMALL

    response = upload(partner_client, content)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_price_list"
    assert body["errors"] == {"file": ["text must not contain the NUL character (\\0) (line 2)"]}
    assert PriceListImport.objects.get().status == PriceListImport.Status.FAILED
    assert Offer.objects.count() == 0
    assert Shop.objects.count() == 0


@pytest.mark.parametrize("body", ["null", "5", '"url"', '["url"]', "[]"])
def test_partner_update_with_a_json_body_that_is_not_an_object_is_a_400(partner_client, body):
    response = partner_client.post("/partner_update/?dry_run=1", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Send a JSON object with a `url`, or a multipart `file`.",
        "code": "invalid",
    }
    assert PriceListImport.objects.count() == 0
