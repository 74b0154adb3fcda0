"""One shop per name as people read it: imports, the shop services and the database constraint."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts.tests.factories import PartnerFactory, UserFactory
from catalog.models import Category, Offer, Product, Shop
from catalog.services import check_shop_name, create_shop, find_shop_by_name
from catalog.shop_names import shop_name_key
from catalog.tests.factories import ShopFactory
from partners.importing.workflow import create_price_list_import, run_price_list_import
from partners.models import PriceHistory, PriceListImport

pytestmark = pytest.mark.django_db

HONEST = "Связь-Маркет"

# Each of these created a new shop before (issue 8); the zero-width space is refused outright.
ISSUE_LOOK_ALIKES = {
    "trailing space": "Связь-Маркет ",
    "no-break space": "Связь-Маркет\u00a0",
    "Latin C": "Cвязь-Маркет",
    "no-break hyphen": "Связь\u2011Маркет",
    "Latin M": "Связь-Mаркет",
    "another case": "СВЯЗЬ-МАРКЕТ",
    "fullwidth hyphen-minus": "Связь\uff0dМаркет",
    "fullwidth Latin capitals among Cyrillic": "Связь-\uff2dаркет",
}
ZERO_WIDTH = "Связь\u200b-Маркет"
TAKEN = "The shop “Связь-Маркет” belongs to another partner; choose another shop name."
INVISIBLE = "The shop name contains the invisible or control character U+200B (ZERO WIDTH SPACE) at position 6; remove it."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def price_list(shop: str, *, price: str = "490") -> bytes:
    # The name as a JSON (YAML double-quoted) string, so its spaces survive as written.
    return (
        f"shop: {json.dumps(shop, ensure_ascii=False)}\n"
        "categories:\n"
        "  - id: 1\n"
        "    name: Кабели\n"
        "goods:\n"
        "  - id: 1\n"
        "    category: 1\n"
        "    name: Кабель USB-C 1 м\n"
        f"    price: {price}\n"
        "    quantity: 12\n"
    ).encode()


def run_import(partner, content: bytes, *, dry_run: bool = False) -> PriceListImport:
    record = create_price_list_import(
        partner=partner,
        content=content,
        file_name="prices.yaml",
        source=PriceListImport.Source.API,
        dry_run=dry_run,
    )
    return run_price_list_import(price_list_import=record)


def catalog_state() -> dict:
    return {
        "shops": sorted(Shop.objects.values_list("pk", "name", "name_key", "owner_id")),
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "offers": sorted(Offer.objects.values_list("pk", "shop_id", "price", "quantity", "is_active")),
        "history": PriceHistory.objects.count(),
    }


@pytest.fixture
def owner():
    partner = PartnerFactory()
    assert run_import(partner, price_list(HONEST)).status == PriceListImport.Status.SUCCEEDED
    return partner


# --- through the import -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ISSUE_LOOK_ALIKES.values(), ids=ISSUE_LOOK_ALIKES.keys())
def test_import_refuses_a_look_alike_of_another_catalog_shop_and_changes_nothing(owner, name):
    before = catalog_state()

    record = run_import(PartnerFactory(), price_list(name, price="100"))

    assert record.status == PriceListImport.Status.FAILED
    assert record.errors == [{"path": "shop", "message": TAKEN, "line": 1}]
    assert record.shop is None
    assert catalog_state() == before


@pytest.mark.parametrize("name", ISSUE_LOOK_ALIKES.values(), ids=ISSUE_LOOK_ALIKES.keys())
def test_import_under_a_look_alike_of_the_partners_own_shop_updates_that_shop(owner, name):
    shop = Shop.objects.get()

    record = run_import(owner, price_list(name, price="520"))

    assert record.status == PriceListImport.Status.SUCCEEDED, record.errors
    assert record.shop == shop
    assert list(Shop.objects.values_list("pk", "name")) == [(shop.pk, HONEST)]
    assert list(Offer.objects.values_list("shop_id", "price")) == [(shop.pk, Decimal("520.00"))]


@pytest.mark.parametrize("partner_is_the_owner", [True, False], ids=["owner", "another partner"])
def test_import_refuses_a_shop_name_with_a_zero_width_space_and_changes_nothing(owner, partner_is_the_owner):
    before = catalog_state()
    partner = owner if partner_is_the_owner else PartnerFactory()

    record = run_import(partner, price_list(ZERO_WIDTH, price="100"))
    preview = run_import(partner, price_list(ZERO_WIDTH, price="100"), dry_run=True)

    for result in (record, preview):
        assert result.status == PriceListImport.Status.FAILED
        assert result.errors == [{"path": "shop", "message": INVISIBLE, "line": 1}]
    assert catalog_state() == before


def test_import_of_an_honestly_different_name_creates_another_shop(owner):
    other = PartnerFactory()

    record = run_import(other, price_list("Связной"))

    assert record.status == PriceListImport.Status.SUCCEEDED
    assert sorted(Shop.objects.values_list("name", "owner_id")) == [("Связной", other.pk), (HONEST, owner.pk)]


def test_import_creates_the_shop_under_its_cleaned_name():
    partner = PartnerFactory()

    record = run_import(partner, price_list("  Связь \u00a0 Маркет\t"))

    assert record.status == PriceListImport.Status.SUCCEEDED
    assert list(Shop.objects.values_list("name", "name_key")) == [
        ("Связь Маркет", shop_name_key("Связь Маркет"))
    ]


def test_shops_api_lists_one_shop_after_every_look_alike_was_tried(client, owner):
    for name in [*ISSUE_LOOK_ALIKES.values(), ZERO_WIDTH]:
        run_import(PartnerFactory(), price_list(name))

    response = client.get("/shops/")

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": Shop.objects.get().pk, "name": HONEST}]


# --- the shop services --------------------------------------------------------------------------------


def test_create_shop_cleans_the_name_and_stores_its_key():
    partner = PartnerFactory()

    shop = create_shop(owner=partner, name=" Чайная\u00a0 лавка ")

    shop.refresh_from_db()
    assert (shop.name, shop.name_key, shop.owner) == ("Чайная лавка", shop_name_key("чайная лавка"), partner)


@pytest.mark.parametrize("name", ISSUE_LOOK_ALIKES.values(), ids=ISSUE_LOOK_ALIKES.keys())
def test_create_shop_refuses_a_look_alike_naming_the_existing_shop(name):
    ShopFactory(name=HONEST)
    before = catalog_state()

    with pytest.raises(ValidationError) as caught:
        create_shop(owner=PartnerFactory(), name=name)

    assert caught.value.code == "shop_name_taken"
    assert caught.value.messages == [
        "The name reads the same as the name of the shop “Связь-Маркет”; choose another name."
    ]
    assert catalog_state() == before


def test_create_shop_refuses_invisible_characters_and_users_who_are_not_partners():
    with pytest.raises(ValidationError) as invisible:
        create_shop(owner=PartnerFactory(), name=ZERO_WIDTH)
    with pytest.raises(ValidationError) as not_partner:
        create_shop(owner=UserFactory(), name="Связной")

    assert (invisible.value.code, invisible.value.messages) == ("shop_name_invisible_character", [INVISIBLE])
    assert not_partner.value.code == "not_partner"
    assert not Shop.objects.exists()


def test_a_shop_may_keep_or_recase_its_own_name_but_not_take_a_look_alike_of_another():
    shop = ShopFactory(name=HONEST)
    ShopFactory(name="Связной")

    assert check_shop_name(name="СВЯЗЬ-МАРКЕТ ", shop=shop) == "СВЯЗЬ-МАРКЕТ"
    with pytest.raises(ValidationError) as caught:
        check_shop_name(name="Cвязной", shop=shop)
    assert caught.value.messages == [
        "The name reads the same as the name of the shop “Связной”; choose another name."
    ]


def test_find_shop_by_name_finds_the_shop_by_any_look_alike():
    shop = ShopFactory(name=HONEST)

    assert {find_shop_by_name(name=name) for name in [*ISSUE_LOOK_ALIKES.values(), ZERO_WIDTH]} == {shop}
    assert find_shop_by_name(name="Связной") is None


# --- the database constraint, whatever writes ---------------------------------------------------------


@pytest.mark.parametrize("name", [*ISSUE_LOOK_ALIKES.values(), ZERO_WIDTH])
def test_database_refuses_a_look_alike_saved_without_the_services(name):
    ShopFactory(name=HONEST)

    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.create(name=name, owner=PartnerFactory())

    assert list(Shop.objects.values_list("name", flat=True)) == [HONEST]


def test_database_refuses_a_bulk_created_look_alike_and_a_shop_without_its_key():
    ShopFactory(name=HONEST)
    owner = PartnerFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.bulk_create(
            [Shop(name="Cвязь-Маркет", name_key=shop_name_key("Cвязь-Маркет"), owner=owner)]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.bulk_create([Shop(name="Связной", owner=owner)])

    assert list(Shop.objects.values_list("name", flat=True)) == [HONEST]


def test_saving_a_new_name_with_update_fields_stores_its_key():
    shop = ShopFactory(name=HONEST)

    shop.name = "Связной"
    shop.save(update_fields=["name"])

    assert Shop.objects.values_list("name", "name_key").get() == ("Связной", shop_name_key("связной"))


def test_constraint_violation_message_is_the_clear_one():
    constraint = next(c for c in Shop._meta.constraints if c.name == "shop_name_key_unique")

    assert constraint.violation_error_message == "A shop with this name already exists."
