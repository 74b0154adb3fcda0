"""Factories for orders, their shipments and their lines.

A line of a placed order (any state but `basket`) belongs to its shop's shipment, created on first use
in the order's state, and adds its amount to the shipment's goods. The order's totals are the test's to
set (`goods_total` and `total` together: a constraint keeps `total = goods_total + delivery_total`).
"""

import factory
from django.db.models import F

from accounts.tests.factories import UserFactory
from catalog.tests.factories import OfferFactory, ShopFactory
from orders.models import Order, OrderItem, Shipment


class OrderFactory(factory.django.DjangoModelFactory):
    """A basket by default; pass `state=Order.State.NEW` etc. for a placed order."""

    class Meta:
        model = Order

    user = factory.SubFactory(UserFactory)
    state = Order.State.BASKET
    city = "Москва"


class ShipmentFactory(factory.django.DjangoModelFactory):
    """A shop's part of a placed order, in the order's state; one per order and shop."""

    class Meta:
        model = Shipment
        django_get_or_create = ("order", "shop")

    order = factory.SubFactory(OrderFactory, state=Order.State.NEW)
    shop = factory.SubFactory(ShopFactory)
    state = factory.LazyAttribute(
        lambda shipment: Shipment.State.NEW
        if shipment.order.state == Order.State.BASKET
        else shipment.order.state
    )


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem
        skip_postgeneration_save = True

    order = factory.SubFactory(OrderFactory)
    offer = factory.SubFactory(OfferFactory)
    quantity = 1
    price = factory.LazyAttribute(
        lambda item: None if item.order.state == Order.State.BASKET else item.offer.price
    )
    shipment = factory.LazyAttribute(
        lambda item: None
        if item.order.state == Order.State.BASKET
        else ShipmentFactory(order=item.order, shop=item.offer.shop)
    )

    @factory.post_generation
    def amounts(item, create, extracted, **kwargs):
        """The line's amount joins its shipment's goods."""
        if not create or item.shipment_id is None or item.price is None:
            return
        Shipment.objects.filter(pk=item.shipment_id).update(
            subtotal=F("subtotal") + item.price * item.quantity
        )


def place_order(
    customer, *lines, basket_city="Москва", address="Москва, Тверская 7", phone="+79161234567", **details
):
    """A customer's order placed through the service, as the API places it: a basket of `(offer, quantity)`
    lines confirmed by `confirm_order` (stock taken, prices and delivery snapshotted, one shipment per
    shop). Extra keyword arguments go to `confirm_order`."""
    from orders.services import confirm_order

    basket = OrderFactory(user=customer, city=basket_city)
    for offer, quantity in lines:
        OrderItemFactory(order=basket, offer=offer, quantity=quantity)
    return confirm_order(order=basket, customer=customer, address=address, phone=phone, **details)
