"""The data migration that gives existing shops their name key, run on the historical models."""

from __future__ import annotations

import importlib
import logging

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from partners.shop_names import KEY_MAX_LENGTH, shop_name_key

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
