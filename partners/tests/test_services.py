"""Import services: plan, apply, re-import, history, ownership, previews, progress, crash rule, export."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Category, Offer, Product, Shop
from catalog.selectors import shops_visible_to
from catalog.services import set_shops_accepting_orders
from catalog.tests.factories import ShopFactory
from partners.importing import apply as importing_apply
from partners.importing import workflow
from partners.importing.submit import submit_previewed_import
from partners.importing.workflow import (
    create_price_list_import,
    prepare_previewed_import,
    run_price_list_import,
)
from partners.models import PriceHistory, PriceListImport
from partners.pricelist.export import export_price_list
from partners.selectors import imports_visible_to
from partners.tests.data_files import (
    DATA,
    NONSTANDARD_FILES,
    SHARED_FILES,
    SMALL,
    SMALL_CHANGED,
    needs_shared,
)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in the source language."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


def run_import(partner, content: bytes, *, dry_run: bool = False, name: str = "price.yaml", **kwargs):
    record = create_price_list_import(
        partner=partner, content=content, file_name=name, source=PriceListImport.Source.API, dry_run=dry_run
    )
    return run_price_list_import(price_list_import=record, **kwargs)


def catalog_counts() -> dict[str, int]:
    return {
        "shops": Shop.objects.count(),
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "offers": Offer.objects.count(),
        "history": PriceHistory.objects.count(),
    }


def offer_state(shop) -> dict[str, tuple]:
    return {
        offer.external_id: (offer.product.name, offer.price, offer.quantity, offer.is_active)
        for offer in Offer.objects.filter(shop=shop).select_related("product")
    }


def generated_price_list(goods: int, *, price: int = 100, shop: str = "Оптовик") -> bytes:
    lines = [
        f"shop: {shop}",
        "categories:",
        "  - id: 1",
        "    name: Разное",
        "  - id: 2",
        "    name: Прочее",
        "goods:",
    ]
    for number in range(goods):
        lines += [
            f"  - id: {number}",
            f"    category: {1 + number % 2}",
            f"    name: Товар {number}",
            f"    price: {price + number}",
            f"    quantity: {number % 7}",
            "    parameters:",
            f'      "Вес": {number}',
        ]
    return ("\n".join(lines) + "\n").encode()


# --- First import ---------------------------------------------------------------------------------


def test_first_import_creates_the_shop_categories_products_and_offers():
    partner = PartnerFactory()

    record = run_import(partner, SMALL)

    assert record.status == PriceListImport.Status.SUCCEEDED
    assert (record.created_count, record.updated_count, record.unchanged_count, record.retired_count) == (
        3,
        0,
        0,
        0,
    )
    assert (record.goods_total, record.goods_processed, record.errors) == (3, 3, [])
    shop = Shop.objects.get()
    assert (shop.name, shop.owner, record.shop, record.shop_name) == (
        "Чайная лавка",
        partner,
        shop,
        "Чайная лавка",
    )
    assert sorted(Category.objects.values_list("name", flat=True)) == ["Кофе", "Чай"]
    offer = Offer.objects.select_related("product__category").get(external_id="101")
    assert (offer.product.name, offer.product.category.name, offer.model) == (
        "Чай зелёный Сенча 100 г",
        "Чай",
        "teaco/green/sencha",
    )
    assert (offer.price, offer.recommended_price, offer.quantity, offer.is_active) == (
        Decimal("349.90"),
        Decimal("399.00"),
        25,
        True,
    )
    assert offer.parameters == {
        "Вес (г)": 100,
        "Крепость": 6.5,
        "Сорт": "1",
        "Соотношение": "16:9",
        "Цена за грамм": "6.50",
        "Органический": True,
        "Листовой": "yes",
        "Код": "0x1F",
        "Упаковка": "2688x1242",
    }
    assert Offer.objects.get(external_id="A-102").recommended_price is None
    assert record.plan["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "retired": 0}
    assert record.plan["changes"][0] == {
        "action": "created",
        "external_id": "101",
        "name": "Чай зелёный Сенча 100 г",
        "price": "349.90",
        "quantity": 25,
    }
    assert record.duration_ms is not None
    assert record.file_sha256 == hashlib.sha256(SMALL).hexdigest()
    with record.file.open("rb") as stream:
        assert stream.read() == SMALL


@needs_shared
@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda path: path.name)
def test_every_shared_canonical_file_imports(path):
    record = run_import(PartnerFactory(), path.read_bytes(), name=path.name)

    assert record.status == PriceListImport.Status.SUCCEEDED, record.errors
    assert record.created_count == record.goods_total > 0
    assert Offer.objects.filter(shop=record.shop, is_active=True).count() == record.goods_total


@needs_shared
@pytest.mark.parametrize("path", NONSTANDARD_FILES, ids=lambda path: path.name)
def test_nonstandard_files_are_rejected_and_change_nothing(path):
    record = run_import(PartnerFactory(), path.read_bytes(), name=path.name)

    assert record.status == PriceListImport.Status.FAILED
    assert record.errors[0] == {"path": "categories", "message": "is missing", "line": 1}
    assert catalog_counts() == {"shops": 0, "categories": 0, "products": 0, "offers": 0, "history": 0}


@pytest.mark.parametrize("path", sorted((DATA / "bad").glob("*.yaml")), ids=lambda path: path.name)
def test_bad_files_fail_with_line_numbered_errors_and_change_nothing(path):
    partner = PartnerFactory()
    run_import(partner, SMALL)
    before = catalog_counts()
    state = offer_state(Shop.objects.get())

    record = run_import(partner, path.read_bytes(), name=path.name)

    assert record.status == PriceListImport.Status.FAILED
    assert record.errors
    assert all(set(error) == {"path", "message", "line"} and error["line"] for error in record.errors)
    assert (record.created_count, record.updated_count, record.plan) == (0, 0, {})
    assert catalog_counts() == before
    assert offer_state(Shop.objects.get()) == state


# --- Re-import, changes, history, retirement ------------------------------------------------------


def test_reimporting_an_unchanged_file_writes_nothing_to_the_catalog():
    partner = PartnerFactory()
    run_import(partner, SMALL)
    updated_at = dict(Offer.objects.values_list("external_id", "updated_at"))

    with CaptureQueriesContext(connection) as queries:
        record = run_import(partner, SMALL)

    assert (record.created_count, record.updated_count, record.unchanged_count, record.retired_count) == (
        0,
        0,
        3,
        0,
    )
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "catalog_" in query["sql"]
    ]
    assert writes == []
    assert dict(Offer.objects.values_list("external_id", "updated_at")) == updated_at
    assert record.plan["changes"] == []


def test_changed_file_updates_prices_with_history_retires_missing_offers_and_creates_new_ones():
    partner = PartnerFactory()
    first = run_import(partner, SMALL)
    shop = first.shop

    record = run_import(partner, SMALL_CHANGED)

    assert record.plan["counts"] == {"created": 1, "updated": 2, "unchanged": 0, "retired": 1}
    assert record.plan["price_changes"] == 1
    assert record.plan["changes"] == [
        {"action": "created", "external_id": "104", "name": "Чай улун", "price": "500.00", "quantity": 4},
        {
            "action": "updated",
            "external_id": "101",
            "name": "Чай зелёный Сенча 100 г",
            "fields": ["price"],
            "old_price": "349.90",
            "new_price": "379.90",
            "old_quantity": 25,
            "new_quantity": 25,
        },
        {
            "action": "updated",
            "external_id": "103",
            "name": "Чай чёрный",
            "fields": ["quantity"],
            "old_price": "199.50",
            "new_price": "199.50",
            "old_quantity": 7,
            "new_quantity": 3,
        },
        {
            "action": "retired",
            "external_id": "A-102",
            "name": 'Кофе в зёрнах "Арабика" 1 кг',
            "old_price": "1290.00",
            "new_price": "1290.00",
            "old_quantity": 0,
            "new_quantity": 0,
        },
    ]
    assert offer_state(shop) == {
        "101": ("Чай зелёный Сенча 100 г", Decimal("379.90"), 25, True),
        "A-102": ('Кофе в зёрнах "Арабика" 1 кг', Decimal("1290.00"), 0, False),
        "103": ("Чай чёрный", Decimal("199.50"), 3, True),
        "104": ("Чай улун", Decimal("500.00"), 4, True),
    }
    history = PriceHistory.objects.get()
    assert (history.offer.external_id, history.old_price, history.new_price, history.price_list_import) == (
        "101",
        Decimal("349.90"),
        Decimal("379.90"),
        record,
    )
    assert Offer.objects.get(external_id="101").updated_at > Offer.objects.get(
        external_id="104"
    ).created_at - timedelta(seconds=5)


def test_retired_offer_is_reactivated_when_it_returns():
    partner = PartnerFactory()
    run_import(partner, SMALL)
    run_import(partner, SMALL_CHANGED)

    record = run_import(partner, SMALL)

    assert record.plan["counts"] == {"created": 0, "updated": 3, "unchanged": 0, "retired": 1}
    offer = Offer.objects.get(external_id="A-102")
    assert (offer.is_active, offer.quantity) == (True, 0)
    assert Offer.objects.get(external_id="104").is_active is False


def test_same_product_from_two_shops_is_one_product_with_two_offers():
    run_import(PartnerFactory(), SMALL)
    other = SMALL.replace("shop: Чайная лавка".encode(), "shop: Другая лавка".encode())

    run_import(PartnerFactory(), other)

    assert Product.objects.count() == 3
    product = Product.objects.get(name="Чай чёрный")
    assert sorted(product.offers.values_list("shop__name", flat=True)) == ["Другая лавка", "Чайная лавка"]


def test_a_partner_owns_several_shops_picked_by_the_shop_name():
    partner = PartnerFactory()
    run_import(partner, SMALL)
    run_import(partner, SMALL.replace("shop: Чайная лавка".encode(), "shop: Вторая лавка".encode()))

    assert sorted(partner.shops.values_list("name", flat=True)) == ["Вторая лавка", "Чайная лавка"]
    assert Offer.objects.count() == 6


def test_number_of_statements_grows_with_batches_not_goods(settings):
    partner = PartnerFactory()
    counts = {}
    for goods in (300, 3000):
        with CaptureQueriesContext(connection) as first:
            record = run_import(partner, generated_price_list(goods, shop=f"Оптовик {goods}"))
        assert record.created_count == goods
        with CaptureQueriesContext(connection) as again:
            changed = run_import(partner, generated_price_list(goods, price=200, shop=f"Оптовик {goods}"))
        assert changed.updated_count == goods
        counts[goods] = (len(first), len(again))

    # A batch of updates costs a savepoint, the row locks, the price history, the update and the
    # release; a batch of staged goods one insert. Nothing is written per good.
    statements_per_batch = 6
    extra_batches = -(-3000 // importing_apply.UPDATE_BATCH) - 1
    # A fixed cost per import: claim, stage, shop lock, plan, apply phases, finish, clean up.
    assert counts[300][0] <= 40
    assert counts[300][1] <= 40
    assert counts[3000][0] <= counts[300][0] + statements_per_batch * extra_batches
    assert counts[3000][1] <= counts[300][1] + statements_per_batch * extra_batches


# --- Ownership and permissions -------------------------------------------------------------------


def test_partner_cannot_import_into_a_shop_owned_by_another_partner():
    owner = PartnerFactory()
    run_import(owner, SMALL)
    before = catalog_counts()
    state = offer_state(Shop.objects.get())
    intruder = PartnerFactory()

    record = run_import(intruder, SMALL_CHANGED.replace("Чайная лавка".encode(), "ЧАЙНАЯ ЛАВКА".encode()))

    assert record.status == PriceListImport.Status.FAILED
    assert record.errors == [
        {
            "path": "shop",
            "message": "The shop “Чайная лавка” belongs to another partner; choose another shop name.",
            "line": 1,
        }
    ]
    assert catalog_counts() == before
    assert offer_state(Shop.objects.get()) == state
    assert Shop.objects.get().owner == owner


def test_only_partners_can_create_imports():
    with pytest.raises(ValidationError) as caught:
        create_price_list_import(
            partner=UserFactory(), content=SMALL, file_name="a.yaml", source=PriceListImport.Source.API
        )

    assert caught.value.code == "not_partner"
    assert PriceListImport.objects.count() == 0


def test_file_over_the_limit_is_refused_when_the_import_is_created(settings):
    settings.PRICE_LIST_MAX_BYTES = 100

    with pytest.raises(ValidationError) as caught:
        create_price_list_import(
            partner=PartnerFactory(), content=SMALL, file_name="a.yaml", source=PriceListImport.Source.API
        )

    assert caught.value.code == "too_large"
    assert PriceListImport.objects.count() == 0


@pytest.mark.parametrize(
    ("file_name", "kept"),
    [
        ("price\x00list\n.yaml", "pricelist.yaml"),  # a URL path may carry %00 and %0A
        ("folder/sub\\prices.yml", "prices.yml"),
        ("\x00", "price-list.yaml"),
    ],
)
def test_file_name_keeps_only_printable_characters_of_its_last_part(settings, tmp_path, file_name, kept):
    settings.MEDIA_ROOT = str(tmp_path)

    record = create_price_list_import(
        partner=PartnerFactory(), content=SMALL, file_name=file_name, source=PriceListImport.Source.URL
    )

    record.refresh_from_db()
    assert record.file_name == kept
    assert record.file.read() == SMALL


# --- Dry runs and previews ------------------------------------------------------------------------


def test_dry_run_plans_without_writing_anything():
    record = run_import(PartnerFactory(), SMALL, dry_run=True)

    assert record.status == PriceListImport.Status.SUCCEEDED
    assert record.is_dry_run is True
    assert record.plan["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "retired": 0}
    assert (record.plan["shop_id"], record.shop) == (None, None)
    assert catalog_counts() == {"shops": 0, "categories": 0, "products": 0, "offers": 0, "history": 0}


def test_applying_a_preview_imports_its_file_without_replanning_when_nothing_changed():
    partner = PartnerFactory()
    run_import(partner, SMALL)
    preview = run_import(partner, SMALL_CHANGED, dry_run=True)
    assert Offer.objects.get(external_id="101").price == Decimal("349.90")

    applied = submit_previewed_import(preview=preview, actor=partner).record

    assert applied.pk != preview.pk
    assert (applied.status, applied.is_dry_run, applied.source) == ("succeeded", False, "api")
    assert applied.plan["counts"] == preview.plan["counts"]
    assert applied.plan["replanned"] is False
    assert Offer.objects.get(external_id="101").price == Decimal("379.90")


def test_applying_a_stale_preview_plans_again_and_says_so():
    partner = PartnerFactory()
    run_import(partner, SMALL)
    preview = run_import(partner, SMALL_CHANGED, dry_run=True)
    Offer.objects.filter(external_id="103").update(quantity=1)

    applied = submit_previewed_import(preview=preview, actor=ManagerFactory()).record

    assert applied.plan["replanned"] is True
    assert applied.plan["fingerprint"] != preview.plan["fingerprint"]
    assert Offer.objects.get(external_id="103").quantity == 3


def test_a_prepared_preview_checks_for_changes_when_it_runs_not_when_it_is_queued():
    partner = PartnerFactory()
    run_import(partner, SMALL)
    preview = run_import(partner, SMALL_CHANGED, dry_run=True)
    pending = prepare_previewed_import(preview=preview, actor=partner)
    assert pending.status == PriceListImport.Status.PENDING
    assert Offer.objects.get(external_id="101").price == Decimal("349.90")
    # The shop changes while the import waits in the queue.
    Offer.objects.filter(external_id="103").update(quantity=1)

    applied = run_price_list_import(price_list_import=pending)

    assert applied.status == PriceListImport.Status.SUCCEEDED
    assert applied.plan["replanned"] is True
    assert applied.plan["previewed_fingerprint"] == preview.plan["fingerprint"]
    assert Offer.objects.get(external_id="101").price == Decimal("379.90")


def test_only_a_succeeded_dry_run_of_ones_own_can_be_applied():
    partner = PartnerFactory()
    real = run_import(partner, SMALL)
    preview = run_import(partner, SMALL_CHANGED, dry_run=True)

    with pytest.raises(ValidationError) as not_preview:
        submit_previewed_import(preview=real, actor=partner)
    with pytest.raises(ValidationError) as not_yours:
        submit_previewed_import(preview=preview, actor=PartnerFactory())

    assert (not_preview.value.code, not_yours.value.code) == ("not_a_preview", "forbidden")
    assert PriceListImport.objects.count() == 2


# --- Idempotency, crash rule, progress ------------------------------------------------------------


def test_running_a_finished_import_again_does_nothing():
    partner = PartnerFactory()
    record = run_import(partner, SMALL)
    Offer.objects.filter(external_id="101").update(price=1)

    again = run_price_list_import(price_list_import=record)

    assert (again.status, again.attempts) == ("succeeded", 1)
    assert Offer.objects.get(external_id="101").price == Decimal("1.00")


def test_a_running_import_is_left_alone_until_it_is_stale_then_run_again():
    partner = PartnerFactory()
    record = create_price_list_import(
        partner=partner, content=SMALL, file_name="a.yaml", source=PriceListImport.Source.API
    )
    PriceListImport.objects.filter(pk=record.pk).update(
        status="running", started_at=timezone.now(), attempts=1
    )

    busy = run_price_list_import(price_list_import=record)
    assert (busy.status, Offer.objects.count()) == ("running", 0)

    PriceListImport.objects.filter(pk=record.pk).update(started_at=timezone.now() - workflow.STALE_AFTER * 2)
    retried = run_price_list_import(price_list_import=record)

    assert (retried.status, retried.attempts, Offer.objects.count()) == ("succeeded", 2, 3)


def test_a_stale_import_out_of_attempts_is_marked_failed():
    record = create_price_list_import(
        partner=PartnerFactory(), content=SMALL, file_name="a.yaml", source=PriceListImport.Source.API
    )
    PriceListImport.objects.filter(pk=record.pk).update(
        status="running", started_at=timezone.now() - workflow.STALE_AFTER * 2, attempts=workflow.MAX_ATTEMPTS
    )

    result = run_price_list_import(price_list_import=record)

    assert result.status == "failed"
    assert result.errors == [
        {"path": "", "message": "the import was interrupted too many times", "line": None}
    ]
    assert Offer.objects.count() == 0


def test_an_internal_error_changes_nothing_and_leaves_the_import_retryable():
    partner = PartnerFactory()
    record = create_price_list_import(
        partner=partner, content=SMALL, file_name="a.yaml", source=PriceListImport.Source.API
    )
    kept = record.file.name
    record.file.storage.delete(kept)  # the kept file is gone: not the partner's fault

    with pytest.raises(FileNotFoundError):
        run_price_list_import(price_list_import=record)

    record.refresh_from_db()
    assert (record.status, record.attempts) == ("pending", 1)
    assert record.errors == [
        {
            "path": "",
            "message": "an internal error (FileNotFoundError) interrupted the import; "
            "it is tried again automatically",
            "line": None,
        }
    ]
    assert catalog_counts() == {"shops": 0, "categories": 0, "products": 0, "offers": 0, "history": 0}
    record.file.storage.save(kept, ContentFile(SMALL))
    assert run_price_list_import(price_list_import=record).status == "succeeded"


def test_progress_reaches_the_total_when_done():
    record = run_import(PartnerFactory(), generated_price_list(50), progress_every=10)

    assert (record.goods_total, record.goods_processed, record.progress_percent) == (50, 50, 100)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_and_finished_batches_are_visible_while_a_customer_holds_an_offer(monkeypatch):
    partner = PartnerFactory()
    run_import(partner, generated_price_list(4500))
    record = create_price_list_import(
        partner=partner, content=generated_price_list(4500, price=100_000), file_name="a.yaml", source="api"
    )
    monkeypatch.setattr(importing_apply, "UPDATE_BATCH", 1000)
    last_offer = Offer.objects.order_by("-id").first()
    customer = connections.create_connection("default")
    customer.set_autocommit(False)
    with customer.cursor() as cursor:  # a customer's transaction holds the last offer
        cursor.execute("SELECT id FROM catalog_offer WHERE id = %s FOR UPDATE", [last_offer.pk])
    thread_errors: list[BaseException] = []

    def work():
        try:
            run_price_list_import(price_list_import=record, progress_every=1000)
        except BaseException as exc:  # pragma: no cover - reported below
            thread_errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        observer = connections.create_connection("default")
        seen = None
        for _ in range(200):  # until the import waits on the held offer (at most 10 s)
            with observer.cursor() as cursor:
                cursor.execute(
                    "SELECT goods_processed FROM partners_pricelistimport WHERE id = %s", [record.pk]
                )
                processed = cursor.fetchone()[0]
                cursor.execute("SELECT count(*) FROM catalog_offer WHERE price >= 100000")
                repriced = cursor.fetchone()[0]
            if processed == 4000:
                seen = (processed, repriced)
                break
            time.sleep(0.05)
        observer.close()
    finally:
        customer.rollback()
        customer.close()
        worker.join(60)

    assert thread_errors == []
    # The first four batches are committed and shown while the fifth waits for the customer.
    assert seen == (4000, 4000)
    record.refresh_from_db()
    assert (record.status, record.goods_processed, record.updated_count) == ("succeeded", 4500, 4500)
    assert Offer.objects.filter(price__gte=100_000).count() == 4500


# --- Shops, export, selectors ---------------------------------------------------------------------


def test_set_shops_accepting_orders_switches_the_flag():
    shop = ShopFactory(is_accepting_orders=True)

    set_shops_accepting_orders(shops=[shop], is_accepting_orders=False)

    shop.refresh_from_db()
    assert shop.is_accepting_orders is False


def test_exported_price_list_reimports_as_unchanged():
    partner = PartnerFactory()
    run_import(partner, SMALL)
    run_import(partner, SMALL_CHANGED)
    shop = Shop.objects.get()

    exported = export_price_list(shop=shop)
    record = run_import(partner, exported)

    assert record.status == "succeeded", record.errors
    assert record.plan["counts"] == {"created": 0, "updated": 0, "unchanged": 3, "retired": 0}
    assert exported.decode().startswith('shop: "Чайная лавка"\ncategories:\n')


def test_export_of_an_empty_shop_is_a_valid_price_list():
    partner = PartnerFactory()
    shop = ShopFactory(owner=partner, name="Пустая")

    record = run_import(partner, export_price_list(shop=shop))

    assert record.status == "succeeded", record.errors
    assert record.plan["counts"] == {"created": 0, "updated": 0, "unchanged": 0, "retired": 0}


def test_selectors_show_partners_their_own_and_staff_everything():
    partner, other = PartnerFactory(), PartnerFactory()
    mine = run_import(partner, SMALL)
    theirs = run_import(other, SMALL.replace("Чайная лавка".encode(), "Другая".encode()))
    manager = ManagerFactory()

    assert list(shops_visible_to(partner)) == [mine.shop]
    assert list(imports_visible_to(partner)) == [mine]
    assert set(shops_visible_to(manager)) == {mine.shop, theirs.shop}
    assert set(imports_visible_to(manager)) == {mine, theirs}
    assert list(shops_visible_to(UserFactory())) == []
    assert list(imports_visible_to(UserFactory())) == []


def test_renamed_good_moves_to_another_product_while_other_offers_keep_theirs():
    partner = PartnerFactory()
    run_import(partner, SMALL)
    old_product = Offer.objects.get(external_id="101").product
    black_tea = Offer.objects.get(external_id="103").product
    renamed = SMALL.replace("Чай зелёный Сенча 100 г".encode(), "Чай зелёный Сенча 200 г".encode()).replace(
        b"price: 199.5\n", b"price: 205\n"
    )

    record = run_import(partner, renamed)

    assert record.plan["counts"] == {"created": 0, "updated": 2, "unchanged": 1, "retired": 0}
    assert [change["fields"] for change in record.plan["changes"]] == [["product"], ["price"]]
    moved = Offer.objects.select_related("product__category").get(external_id="101")
    assert (moved.product.name, moved.product.category.name) == ("Чай зелёный Сенча 200 г", "Чай")
    assert Product.objects.filter(pk=old_product.pk).exists()
    other = Offer.objects.get(external_id="103")
    assert (other.product, other.price) == (black_tea, Decimal("205.00"))


def test_shop_error_points_at_the_line_of_the_shop_name():
    run_import(PartnerFactory(), SMALL)

    record = run_import(PartnerFactory(), b"# price list\n\n" + SMALL_CHANGED)

    assert record.errors == [
        {
            "path": "shop",
            "message": "The shop “Чайная лавка” belongs to another partner; choose another shop name.",
            "line": 3,
        }
    ]
