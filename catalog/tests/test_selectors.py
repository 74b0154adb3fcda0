"""Catalog selectors used outside the API: who may see which shops, offers and products, listing edge cases."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.tests.factories import ManagerFactory, UserFactory
from catalog.selectors import (
    ListingFilters,
    offers_visible_to,
    products_for_listing,
    products_visible_to,
    shops_visible_to,
)
from catalog.tests.factories import OfferFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers():
    own_shop = ShopFactory()
    return {
        "active": OfferFactory(),
        "inactive": OfferFactory(is_active=False),
        "own_inactive": OfferFactory(shop=own_shop, is_active=False),
        "partner": own_shop.owner,
    }


def test_managers_see_every_offer(offers):
    visible = set(offers_visible_to(ManagerFactory()).values_list("pk", flat=True))

    assert visible == {offers["active"].pk, offers["inactive"].pk, offers["own_inactive"].pk}


def test_a_partner_sees_the_offers_of_its_own_shops_only(offers):
    visible = set(offers_visible_to(offers["partner"]).values_list("pk", flat=True))

    assert visible == {offers["own_inactive"].pk}


@pytest.mark.parametrize("make_user", [UserFactory, AnonymousUser])
def test_buyers_and_anonymous_users_see_no_offer_in_the_back_office(offers, make_user):
    # The public catalogue has its own selectors (products_for_listing, product_details).
    assert list(offers_visible_to(make_user())) == []


def test_a_partner_sees_its_own_shops_and_the_products_they_offer(offers):
    partner = offers["partner"]

    assert list(shops_visible_to(partner)) == [offers["own_inactive"].shop]
    assert list(products_visible_to(partner)) == [offers["own_inactive"].product]
    assert shops_visible_to(ManagerFactory()).count() == 3
    assert list(shops_visible_to(UserFactory())) == []


def test_listing_refuses_an_unknown_ordering():
    with pytest.raises(ValueError, match="unknown ordering"):
        products_for_listing(filters=ListingFilters(ordering="popularity"))


def test_listing_is_read_in_pages_only():
    with pytest.raises(TypeError):
        products_for_listing()[0]


def test_a_page_past_the_end_is_empty(settings):
    settings.CATALOG_LISTING_COUNT_CACHE_SECONDS = 0
    OfferFactory()
    listing = products_for_listing()

    assert listing.count() == 1
    assert listing[50:100] == []
