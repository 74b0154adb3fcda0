"""The data migration that gives existing shops their name key, run on the historical models."""

from __future__ import annotations

import importlib
import logging

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from catalog.shop_names import KEY_MAX_LENGTH, shop_name_key

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("partners", "0002_superseded_imports_and_staging")
AFTER = ("partners", "0004_shop_name_key_unique")


@pytest.fixture
def migrate_partners():
    """Move the partners app to a migration and return the historical apps there; back to the latest after."""
    executor = MigrationExecutor(connection)

    def migrate(target):
        executor.loader.build_graph()
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

    yield migrate
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_shops_get_their_keys_and_look_alikes_are_kept_with_a_suffix_and_logged(
    migrate_partners, caplog
):
    apps = migrate_partners(BEFORE)
    User = apps.get_model("accounts", "User")
    Shop = apps.get_model("partners", "Shop")
    first = User.objects.create(username="first", type="shop")
    second = User.objects.create(username="second", type="shop")
    # The old rule (unique lower-cased name) let all of these in.
    honest = Shop.objects.create(name="Связь-Маркет", owner=first)
    latin_c = Shop.objects.create(name="Cвязь-Маркет", owner=second)
    spaced = Shop.objects.create(name="Связь-Маркет ", owner=second)
    other = Shop.objects.create(name="Связной", owner=second)

    with caplog.at_level(logging.WARNING, logger="partners.migrations"):
        apps = migrate_partners(AFTER)

    Shop = apps.get_model("partners", "Shop")
    key = shop_name_key("Связь-Маркет")
    assert dict(Shop.objects.values_list("pk", "name_key")) == {
        honest.pk: key,
        latin_c.pk: f"{key}#{latin_c.pk}",
        spaced.pk: f"{key}#{spaced.pk}",
        other.pk: shop_name_key("Связной"),
    }
    assert list(Shop.objects.order_by("pk").values_list("name", flat=True)) == [
        "Связь-Маркет",
        "Cвязь-Маркет",
        "Связь-Маркет ",
        "Связной",
    ]
    assert [record.getMessage() for record in caplog.records if record.name == "partners.migrations"] == [
        f"shop {latin_c.pk} ('Cвязь-Маркет') reads the same as shop {honest.pk}; its name key was stored as "
        f"'{key}#{latin_c.pk}': rename one of them",
        f"shop {spaced.pk} ('Связь-Маркет ') reads the same as shop {honest.pk}; its name key was stored as "
        f"'{key}#{spaced.pk}': rename one of them",
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.create(name="СВЯЗЬ-МАРКЕТ", name_key=key, owner_id=first.pk)


def test_a_suffixed_key_never_takes_a_key_an_earlier_shop_already_has():
    unique_key = importlib.import_module("partners.migrations.0003_shop_name_key").unique_key

    assert unique_key("ʌabka", 7, set()) == "ʌabka"
    assert unique_key("ʌabka", 7, {"ʌabka"}) == "ʌabka#7"
    assert unique_key("ʌabka", 7, {"ʌabka", "ʌabka#7"}) == "ʌabka#7.1"
    assert unique_key("ʌabka", 7, {"ʌabka", "ʌabka#7", "ʌabka#7.1"}) == "ʌabka#7.2"
    assert unique_key("", 8, set()) == "#8"  # a name of nothing but invisible characters
    long_key = "я" * KEY_MAX_LENGTH
    assert unique_key(long_key, 9, {long_key}) == "я" * (KEY_MAX_LENGTH - 2) + "#9"


def test_shops_and_price_history_keep_their_rows_when_they_move_between_apps(migrate_partners):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    before = [("partners", "0004_shop_name_key_unique"), ("catalog", "0004_offer_reserved_quantity")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    partner = apps.get_model("accounts", "User").objects.create(username="lavka", type="shop")
    shop = apps.get_model("partners", "Shop").objects.create(
        name="Чайная лавка", name_key=shop_name_key("Чайная лавка"), owner=partner
    )
    category = apps.get_model("catalog", "Category").objects.create(name="Чай")
    product = apps.get_model("catalog", "Product").objects.create(name="Сенча", category=category)
    offer = apps.get_model("catalog", "Offer").objects.create(
        shop=shop, product=product, external_id="101", price=100, quantity=5
    )
    record = apps.get_model("partners", "PriceListImport").objects.create(
        partner=partner, shop=shop, source="api", status="succeeded"
    )
    apps.get_model("catalog", "PriceHistory").objects.create(
        offer=offer, old_price=90, new_price=100, price_list_import=record
    )

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django.contrib.contenttypes.models import ContentType

    from catalog.models import Offer, Shop
    from partners.models import PriceHistory, PriceListImport

    moved = Shop.objects.get()
    assert (moved.pk, moved.name, moved.owner.username) == (shop.pk, "Чайная лавка", "lavka")
    assert Offer.objects.get().shop == moved
    assert PriceListImport.objects.get().shop == moved
    history = PriceHistory.objects.get()
    assert (history.offer_id, history.old_price, history.price_list_import_id) == (offer.pk, 90, record.pk)
    assert ContentType.objects.get_for_model(Shop).app_label == "catalog"
    assert ContentType.objects.get_for_model(PriceHistory).app_label == "partners"
    assert not ContentType.objects.filter(app_label="partners", model="shop").exists()
