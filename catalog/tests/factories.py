"""Factories for shops, categories, products and offers."""

from decimal import Decimal

import factory

from accounts.tests.factories import PartnerFactory
from catalog.models import Category, Offer, Product, Shop


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Shop {n}")
    owner = factory.SubFactory(PartnerFactory)
    is_accepting_orders = True


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    shop = factory.SubFactory(ShopFactory)
    product = factory.SubFactory(ProductFactory)
    external_id = factory.Sequence(lambda n: str(1000 + n))
    model = factory.Sequence(lambda n: f"brand/model-{n}")
    price = Decimal("1000.00")
    recommended_price = Decimal("1200.00")
    quantity = 10
    is_active = True
    parameters = factory.LazyFunction(lambda: {"Цвет": "черный"})
