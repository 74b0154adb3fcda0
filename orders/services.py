"""Writes of the orders domain: the basket, and placing an order (`confirm_order`).

Placing an order splits its lines into one `Shipment` per shop; each shop's partner then moves its own
shipment (`orders.fulfilment`: the state machine, the derived order state, canceling). `basket → new`
happens only here: it takes the stock.

Stock: `confirm_order` takes an order's units from `Offer.quantity` and holds them in
`Offer.reserved_quantity` until the partner acknowledges its shipment (`new → confirmed`); a price-list
import sets the quantity to the partner's reported stock minus that reservation, so units sold after
the partner produced its file are never offered again. Canceling a shipment returns its units.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Contact, User
from accounts.services import phone_in_e164
from catalog.cities import clean_city
from catalog.delivery import delivery_costs
from catalog.models import Offer
from orders import emails, stock
from orders.models import Order, OrderEvent, OrderItem, Shipment

State = Order.State


# --- validation helpers ---------------------------------------------------------------------------


def _check_quantity(quantity: Any, *, allow_zero: bool = False) -> int:
    minimum = 0 if allow_zero else 1
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < minimum:
        if allow_zero:
            message = _("Quantity must be a whole number, 0 or more.")
        else:
            message = _("Quantity must be a whole number, 1 or more.")
        raise ValidationError(message, code="invalid_quantity")
    return quantity


def _get_offer(offer_id: Any) -> Offer:
    try:
        return Offer.objects.select_related("shop", "product").get(pk=int(offer_id))
    except (Offer.DoesNotExist, TypeError, ValueError) as error:
        raise Offer.DoesNotExist(_("No offer with id %(id)s.") % {"id": offer_id}) from error


def _orderability_problem(offer: Offer) -> ValidationError | None:
    names = {"product": offer.product.name, "shop": offer.shop.name}
    if not offer.is_active:
        return ValidationError(
            _("“%(product)s” from %(shop)s is no longer offered.") % names, code="offer_inactive"
        )
    if not offer.shop.is_accepting_orders:
        return ValidationError(
            _("%(shop)s is not accepting orders at the moment (“%(product)s”).") % names,
            code="shop_not_accepting_orders",
        )
    return None


def _stock_problem(offer: Offer, requested: int) -> ValidationError | None:
    if requested <= offer.quantity:
        return None
    return ValidationError(
        _("Not enough “%(product)s” from %(shop)s: requested %(requested)s, available %(available)s.")
        % {
            "product": offer.product.name,
            "shop": offer.shop.name,
            "requested": requested,
            "available": offer.quantity,
        },
        code="out_of_stock",
    )


def _max_order_total() -> Decimal:
    """The largest total `Order.total` can store (999999999999.99 for 14 digits, 2 after the point)."""
    field = Order._meta.get_field("total")
    return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(1).scaleb(-field.decimal_places)


def _total_problem(total: Decimal) -> ValidationError | None:
    """An order above what `Order.total` can store would fail in the database: refuse it clearly."""
    limit = _max_order_total()
    if total <= limit:
        return None
    return ValidationError(
        _(
            "The order total %(total)s is more than an order can hold (%(limit)s): "
            "order fewer units or split the order."
        )
        % {"total": total, "limit": limit},
        code="order_total_too_large",
    )


def _basket_total_problem(basket: Order) -> ValidationError | None:
    """The same check for the basket at the current offer prices, so it never holds what cannot be ordered."""
    items = basket.items.select_related("offer").only("quantity", "offer__price")
    return _total_problem(sum((item.offer.price * item.quantity for item in items), Decimal("0")))


def normalize_phone(phone: str) -> str:
    """A phone number in E.164 (`+79161234567`); numbers without a country code are Russian."""
    text = (phone or "").strip()
    if not text:
        raise ValidationError(_("A phone number is required."), code="invalid_phone")
    normalized = phone_in_e164(text)
    if normalized is None:
        raise ValidationError(_("“%(phone)s” is not a phone number.") % {"phone": text}, code="invalid_phone")
    return normalized


# --- basket ---------------------------------------------------------------------------------------


def _locked_basket(user: User, *, create: bool, city: str = "") -> Order | None:
    """The user's basket, row-locked for this transaction; created when asked and missing.

    Two first adds at once both miss the basket; the partial unique constraint lets only one insert
    through, and the other one (inside its savepoint) re-reads the basket the first one committed.
    """
    basket = Order.objects.select_for_update().filter(user=user, state=State.BASKET).first()
    if basket is not None or not create:
        return basket
    try:
        with transaction.atomic():
            return Order.objects.create(user=user, state=State.BASKET, city=city)
    except IntegrityError:
        return Order.objects.select_for_update().get(user=user, state=State.BASKET)


def _require_basket(user: User) -> Order:
    basket = _locked_basket(user, create=False)
    if basket is None:
        raise Order.DoesNotExist(_("Your basket is empty."))
    return basket


def _locked_basket_item(basket: Order, offer_id: Any) -> OrderItem:
    try:
        return OrderItem.objects.select_for_update().get(order=basket, offer_id=int(offer_id))
    except (OrderItem.DoesNotExist, TypeError, ValueError) as error:
        raise OrderItem.DoesNotExist(_("Offer %(id)s is not in your basket.") % {"id": offer_id}) from error


@transaction.atomic
def add_to_basket(*, user: User, offer_id: int, quantity: int, city: str = "") -> Order:
    """Add `quantity` of an offer to the user's basket (creating it); the same offer again adds up.

    Raises Offer.DoesNotExist for an unknown offer and ValidationError (`invalid_quantity`, `offer_inactive`,
    `shop_not_accepting_orders`, `out_of_stock`, `order_total_too_large`) when the offer cannot be
    ordered in that quantity.
    """
    quantity = _check_quantity(quantity)
    offer = _get_offer(offer_id)
    problem = _orderability_problem(offer)
    if problem:
        raise problem
    basket = _locked_basket(user, create=True, city=city)
    item = OrderItem.objects.select_for_update().filter(order=basket, offer=offer).first()
    problem = _stock_problem(offer, quantity + (item.quantity if item else 0))
    if problem:
        raise problem
    if item is None:
        OrderItem.objects.create(order=basket, offer=offer, quantity=quantity)
    else:
        item.quantity = F("quantity") + quantity
        item.save(update_fields=["quantity"])
    problem = _basket_total_problem(basket)
    if problem:
        raise problem  # the atomic block rolls the line back
    update_fields = ["updated_at"]
    if city and basket.city != city:
        basket.city = city
        update_fields.append("city")
    basket.save(update_fields=update_fields)
    return basket


@transaction.atomic
def update_basket_item(*, user: User, offer_id: int, quantity: int) -> Order:
    """Set the quantity of an offer already in the basket; 0 removes the line."""
    quantity = _check_quantity(quantity, allow_zero=True)
    basket = _require_basket(user)
    item = _locked_basket_item(basket, offer_id)
    if quantity == 0:
        item.delete()
    else:
        offer = _get_offer(item.offer_id)
        problem = (_orderability_problem(offer) if quantity > item.quantity else None) or _stock_problem(
            offer, quantity
        )
        if problem:
            raise problem
        item.quantity = quantity
        item.save(update_fields=["quantity"])
        problem = _basket_total_problem(basket)
        if problem:
            raise problem  # the atomic block rolls the change back
    basket.save(update_fields=["updated_at"])
    return basket


@transaction.atomic
def remove_from_basket(*, user: User, offer_id: int) -> Order:
    """Remove an offer's line from the basket."""
    basket = _require_basket(user)
    _locked_basket_item(basket, offer_id).delete()
    basket.save(update_fields=["updated_at"])
    return basket


# Problems of one line in a call with several (`change_basket_lines`): which field of the line they are about.
_QUANTITY_PROBLEMS = frozenset({"invalid_quantity", "out_of_stock", "order_total_too_large"})


@transaction.atomic
def change_basket_lines(
    *, user: User, lines: Sequence[tuple[int, int]], set_quantities: bool = False, city: str = ""
) -> Order:
    """Several basket lines in one call, all or nothing: `(offer_id, quantity)` pairs added to the basket
    (`add_to_basket`), or with `set_quantities` each set as the line's quantity (`update_basket_item`:
    0 removes the line).

    Every line is tried, each in its own savepoint, so every problem is found; any problem raises one
    ValidationError naming each failing line by its index and field (`items[2].quantity`), and the
    transaction rolls back whatever the other lines did. An offer listed twice is a problem too.
    """
    problems: dict[str, list[ValidationError]] = {}
    first_index: dict[int, int] = {}
    for index, (offer_id, quantity) in enumerate(lines):
        if offer_id in first_index:
            problems[f"items[{index}].product_info"] = [
                ValidationError(
                    _("Offer %(id)s is already listed at items[%(index)s].")
                    % {"id": offer_id, "index": first_index[offer_id]},
                    code="duplicate_line",
                )
            ]
            continue
        first_index[offer_id] = index
        try:
            with transaction.atomic():
                if set_quantities:
                    update_basket_item(user=user, offer_id=offer_id, quantity=quantity)
                else:
                    add_to_basket(user=user, offer_id=offer_id, quantity=quantity, city=city)
        except ValidationError as error:
            for problem in error.error_list:
                field = "quantity" if problem.code in _QUANTITY_PROBLEMS else "product_info"
                problems.setdefault(f"items[{index}].{field}", []).append(problem)
        except (Offer.DoesNotExist, Order.DoesNotExist, OrderItem.DoesNotExist) as error:
            code = "unknown_offer" if isinstance(error, Offer.DoesNotExist) else "not_in_basket"
            problems[f"items[{index}].product_info"] = [ValidationError(str(error), code=code)]
    if problems:
        raise ValidationError(problems)
    basket = _locked_basket(user, create=False)
    if basket is None:
        raise Order.DoesNotExist(_("Your basket is empty."))
    return basket


# --- confirming -----------------------------------------------------------------------------------


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("user").get(pk=order.pk)


def _lines_out_of_stock(items: list[OrderItem]) -> ValidationError:
    """Which lines another order emptied between the check and the update (a database without row
    locks): the offers are read again, so each failing line is named with what is left."""
    left = dict(Offer.objects.filter(pk__in=[item.offer_id for item in items]).values_list("pk", "quantity"))
    problems = []
    for item in items:
        item.offer.quantity = left.get(item.offer_id, 0)
        problem = _stock_problem(item.offer, item.quantity)
        if problem:
            problems.append(problem)
    return ValidationError(problems or [_("Not enough stock: nothing was ordered.")], code="out_of_stock")


@transaction.atomic
def confirm_order(
    *,
    order: Order,
    customer: User,
    address: str = "",
    phone: str = "",
    contact: Contact | None = None,
    city: str = "",
) -> Order:
    """Turn the customer's basket into a `new` order of one shipment per shop: take the stock, snapshot
    prices, address and each shipment's delivery cost.

    The delivery city is the contact's, else `city`, else the basket's; each shop charges its tariff's
    cost for it (its default cost for a city it does not list, or when no city is known at all).
    Everything happens in one transaction with the offers locked in pk order, so two customers buying
    the last unit cannot both get it. Any failing line refuses the whole order (every failing line is
    named) and nothing changes. A fixed number of statements whatever the lines and shops, but for one
    e-mail per shop; emails go out after commit.
    """
    if order.user_id != customer.pk:
        raise Order.DoesNotExist(_("No such order."))
    order = _lock_order(order)
    if order.state != State.BASKET:
        raise ValidationError(
            _("Order #%(id)s is already placed (state: %(state)s).")
            % {"id": order.pk, "state": order.get_state_display()},
            code="not_a_basket",
        )
    items = list(order.items.order_by("offer_id"))
    if not items:
        raise ValidationError(_("The basket is empty."), code="empty_basket")

    if contact is not None:
        if contact.user_id != customer.pk:
            raise ValidationError(_("Choose one of your own contacts."), code="invalid_contact")
        address, phone, city = contact.address, contact.phone, contact.city
    address = " ".join((address or "").split())
    if not address:
        raise ValidationError(_("A delivery address is required."), code="address_required")
    phone = normalize_phone(phone)
    city = clean_city(city) or order.city

    offers = {
        offer.pk: offer
        # NO KEY UPDATE: baskets may still add these offers (their foreign keys take KEY SHARE locks).
        for offer in Offer.objects.select_for_update(of=("self",), no_key=True)
        .select_related("shop", "shop__owner", "product")
        .filter(pk__in=[item.offer_id for item in items])
        .order_by("pk")
    }
    problems = []
    for item in items:
        item.offer = offers[item.offer_id]
        problem = _orderability_problem(item.offer) or _stock_problem(item.offer, item.quantity)
        if problem:
            problems.append(problem)
    if problems:
        # The stock problem is the one callers act on: name it first so its code is the error's code.
        problems.sort(key=lambda problem: problem.code != "out_of_stock")
        raise ValidationError(problems)

    shops = {item.offer.shop_id: item.offer.shop for item in items}
    subtotals: dict[int, Decimal] = defaultdict(Decimal)
    for item in items:
        subtotals[item.offer.shop_id] += item.offer.price * item.quantity
    costs = delivery_costs(shops=shops.values(), subtotals=subtotals, city=city)
    goods_total = sum(subtotals.values(), Decimal("0"))
    delivery_total = sum(costs.values(), Decimal("0"))
    problem = _total_problem(goods_total + delivery_total)
    if problem:
        raise problem

    # The units stay reserved until the partner acknowledges its shipment (stock rule, README).
    if not stock.take_units((item.offer_id, item.quantity) for item in items):
        raise _lines_out_of_stock(items)  # a database without row locks raced us: never oversell

    shipments = {
        shipment.shop_id: shipment
        for shipment in Shipment.objects.bulk_create(
            Shipment(
                order=order, shop=shops[shop_id], subtotal=subtotals[shop_id], delivery_cost=costs[shop_id]
            )
            for shop_id in sorted(shops)
        )
    }
    for item in items:
        item.offer.quantity -= item.quantity
        item.price = item.offer.price
        item.shipment = shipments[item.offer.shop_id]
    OrderItem.objects.bulk_update(items, ["price", "shipment"])

    order.state = State.NEW
    order.contact = contact
    order.delivery_address = address[:500]
    order.phone = phone
    order.city = city
    order.goods_total = goods_total
    order.delivery_total = delivery_total
    order.total = goods_total + delivery_total
    order.confirmed_at = timezone.now()
    order.save(
        update_fields=[
            "state",
            "contact",
            "delivery_address",
            "phone",
            "city",
            "goods_total",
            "delivery_total",
            "total",
            "confirmed_at",
            "updated_at",
        ]
    )
    OrderEvent.objects.create(order=order, actor=customer, from_state=State.BASKET, to_state=State.NEW)
    emails.queue_confirmation_emails(order, list(shipments.values()), items)
    return order
