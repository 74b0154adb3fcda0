"""Factories for shops."""

import factory

from accounts.tests.factories import PartnerFactory
from partners.models import Shop


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Shop {n}")
    owner = factory.SubFactory(PartnerFactory)
    is_accepting_orders = True
