"""Reads of the orders domain: who may see which orders, shipments and lines, and the lists built on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from catalog.cities import clean_city
from catalog.delivery import delivery_costs
from catalog.models import Shop
from orders.models import Order, OrderEvent, OrderItem, Shipment


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
        return orders.filter(Exists(Shipment.objects.filter(order=OuterRef("pk"), shop__owner=user)))
    return orders.filter(user=user)


def shipments_visible_to(user: User, shipments: QuerySet[Shipment] | None = None) -> QuerySet[Shipment]:
    """Shipments in the back office and the partner API: managers see all, a partner its own shops'."""
    shipments = Shipment.objects.select_related("order", "shop") if shipments is None else shipments
    if getattr(user, "is_manager", False):
        return shipments
    if getattr(user, "is_authenticated", False) and user.is_active and user.is_partner:
        return shipments.filter(shop__owner=user)
    return shipments.none()


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
    """The customer's own placed orders with shipments, lines and state history, in a fixed number of
    queries (a shipment's lines are the order's, grouped: `shipment_lines`)."""
    if not user.is_authenticated:
        return Order.objects.none()
    return (
        _placed_orders()
        .filter(user=user)
        .prefetch_related(
            Prefetch("items", queryset=_lines()),
            Prefetch("shipments", queryset=Shipment.objects.select_related("shop").order_by("id")),
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
        )
    )


def shipment_lines(order: Order) -> dict[int | None, list[OrderItem]]:
    """The order's prefetched lines by shipment id, without another query."""
    lines: dict[int | None, list[OrderItem]] = {}
    for item in order.items.all():
        lines.setdefault(item.shipment_id, []).append(item)
    return lines


def basket_of(user: User) -> Order | None:
    """The user's basket with its lines (current offer prices), or None when there is none yet."""
    if not user.is_authenticated:
        return None
    return (
        Order.objects.filter(user=user, state=Order.State.BASKET)
        .prefetch_related(Prefetch("items", queryset=_lines()))
        .first()
    )


@dataclass
class BasketShop:
    """One shop's lines of a basket, their sum at current prices, and its delivery cost (None: no city)."""

    shop: Shop
    items: list[OrderItem] = field(default_factory=list)
    subtotal: Decimal = Decimal("0")
    delivery_cost: Decimal | None = None


@dataclass
class BasketSummary:
    """The basket grouped by shop, as it would be placed now to `delivery_city`."""

    basket: Order | None
    delivery_city: str
    items: list[OrderItem]
    shops: list[BasketShop]
    goods_total: Decimal
    delivery_total: Decimal | None

    @property
    def id(self) -> int | None:
        return self.basket.pk if self.basket else None

    @property
    def state(self) -> str:
        return Order.State.BASKET

    @property
    def city(self) -> str:
        return self.basket.city if self.basket else ""

    @property
    def total(self) -> Decimal:
        """Goods and delivery; goods alone while the delivery is not known (the note says so)."""
        return self.goods_total + (self.delivery_total or Decimal("0"))

    @property
    def delivery_known(self) -> bool:
        return self.delivery_total is not None


def basket_summary(user: User, *, city: str = "") -> BasketSummary:
    """The user's basket by shop at current prices, with each shop's delivery cost to `city` (else to
    the basket's city); the costs stay None while no city is known. Two queries, three with a city."""
    basket = basket_of(user)
    items = list(basket.items.all()) if basket else []
    delivery_city = clean_city(city) or (basket.city if basket else "")
    shops: dict[int, BasketShop] = {}
    for item in items:
        group = shops.setdefault(item.offer.shop_id, BasketShop(shop=item.offer.shop))
        group.items.append(item)
        group.subtotal += (item.price if item.price is not None else item.offer.price) * item.quantity
    goods_total = sum((group.subtotal for group in shops.values()), Decimal("0"))
    delivery_total: Decimal | None = Decimal("0") if not shops else None
    if delivery_city and shops:
        costs = delivery_costs(
            shops=[group.shop for group in shops.values()],
            subtotals={shop_id: group.subtotal for shop_id, group in shops.items()},
            city=delivery_city,
        )
        for shop_id, group in shops.items():
            group.delivery_cost = costs[shop_id]
        delivery_total = sum(costs.values(), Decimal("0"))
    return BasketSummary(
        basket=basket,
        delivery_city=delivery_city,
        items=items,
        shops=list(shops.values()),
        goods_total=goods_total,
        delivery_total=delivery_total,
    )


def with_partner_subtotal(orders: QuerySet[Order], *, partner: User) -> QuerySet[Order]:
    """`orders` annotated with `partner_subtotal`: the goods of the partner's own shipments of each order."""
    return orders.annotate(
        partner_subtotal=Coalesce(
            Sum("shipments__subtotal", filter=Q(shipments__shop__owner=partner)),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )


def partner_shipments(user: User, *, state: str | None = None) -> QuerySet[Shipment]:
    """The partner's shipments, newest first, each with its order, customer and lines loaded in a fixed
    number of queries; `state` narrows them to one state."""
    shipments = shipments_visible_to(
        user, Shipment.objects.select_related("order__user", "shop").order_by("-created_at", "-id")
    )
    if state:
        shipments = shipments.filter(state=state)
    return shipments.prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("offer__product").order_by("id"))
    )
