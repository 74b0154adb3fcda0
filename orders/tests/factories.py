"""Factories for orders and their lines."""

import factory

from accounts.tests.factories import UserFactory
from catalog.tests.factories import OfferFactory
from orders.models import Order, OrderItem


class OrderFactory(factory.django.DjangoModelFactory):
    """A basket by default; pass `state=Order.State.NEW` etc. for a placed order."""

    class Meta:
        model = Order

    user = factory.SubFactory(UserFactory)
    state = Order.State.BASKET
    city = "Москва"


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    offer = factory.SubFactory(OfferFactory)
    quantity = 1
    price = factory.LazyAttribute(
        lambda item: None if item.order.state == Order.State.BASKET else item.offer.price
    )
