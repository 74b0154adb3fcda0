"""Reads of the orders domain: who may see which orders and which of their lines."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from orders.models import Order, OrderEvent, OrderItem

_LINE_SUM = ExpressionWrapper(
    F("items__price") * F("items__quantity"), output_field=DecimalField(max_digits=14, decimal_places=2)
)


def _placed_orders() -> QuerySet[Order]:
    return Order.objects.exclude(state=Order.State.BASKET)


def _lines() -> QuerySet[OrderItem]:
    return OrderItem.objects.select_related("offer__product", "offer__shop").order_by("id")


def orders_visible_to(user: User, orders: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """Placed orders (never baskets): managers see all, partners those with their offers, customers theirs.

    `orders` narrows a queryset the caller built (an admin's), else placed orders are the start.
    """
    if not user.is_authenticated or not user.is_active:
        return Order.objects.none()
    orders = _placed_orders() if orders is None else orders.exclude(state=Order.State.BASKET)
    if user.is_manager:
        return orders
    if user.is_partner:
        return orders.filter(Exists(OrderItem.objects.filter(order=OuterRef("pk"), offer__shop__owner=user)))
    return orders.filter(user=user)


def lines_visible_to(user: User, lines: QuerySet[OrderItem] | None = None) -> QuerySet[OrderItem]:
    """Lines of placed orders in the back office: managers see all, a partner its own shops' lines."""
    lines = _lines() if lines is None else lines
    lines = lines.exclude(order__state=Order.State.BASKET)
    if getattr(user, "is_manager", False):
        return lines
    if user.is_authenticated and user.is_active and user.is_partner:
        return lines.filter(offer__shop__owner=user)
    return lines.none()


def order_lines_visible_to(user: User, order: Order) -> QuerySet[OrderItem]:
    """The lines of `order` the user may see: its customer all, otherwise as `lines_visible_to` says."""
    if not user.is_authenticated or not user.is_active:
        return OrderItem.objects.none()
    lines = _lines().filter(order=order)
    if order.user_id == user.pk:
        return lines
    return lines_visible_to(user, lines)


def customer_orders(user: User) -> QuerySet[Order]:
    """The customer's own placed orders, newest first, with the number of lines."""
    if not user.is_authenticated:
        return Order.objects.none()
    return (
        _placed_orders().filter(user=user).annotate(items_count=Count("items")).order_by("-created_at", "-id")
    )


def customer_order_detail(user: User) -> QuerySet[Order]:
    """The customer's own placed orders with lines and state history loaded in a fixed number of queries."""
    if not user.is_authenticated:
        return Order.objects.none()
    return (
        _placed_orders()
        .filter(user=user)
        .prefetch_related(
            Prefetch("items", queryset=_lines()),
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
        )
    )


def basket_of(user: User) -> Order | None:
    """The user's basket with its lines (current offer prices), or None when there is none yet."""
    if not user.is_authenticated:
        return None
    return (
        Order.objects.filter(user=user, state=Order.State.BASKET)
        .prefetch_related(Prefetch("items", queryset=_lines()))
        .first()
    )


def with_partner_subtotal(orders: QuerySet[Order], *, partner: User) -> QuerySet[Order]:
    """`orders` annotated with `partner_subtotal`: the sum of the partner's own lines of each order."""
    return orders.annotate(
        partner_subtotal=Coalesce(
            Sum(_LINE_SUM, filter=Q(items__offer__shop__owner=partner)),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )


def partner_orders(user: User) -> QuerySet[Order]:
    """Orders containing the partner's offers, each with only the partner's lines (`partner_lines`)
    and their sum (`partner_subtotal`); newest first."""
    if not user.is_authenticated:
        return Order.objects.none()
    return (
        with_partner_subtotal(
            _placed_orders().filter(
                Exists(OrderItem.objects.filter(order=OuterRef("pk"), offer__shop__owner=user))
            ),
            partner=user,
        )
        .prefetch_related(
            Prefetch("items", queryset=_lines().filter(offer__shop__owner=user), to_attr="partner_lines")
        )
        .order_by("-created_at", "-id")
    )
