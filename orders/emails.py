"""The order e-mails: the confirmation to the customer, the invoice to the managers, each new shipment to
its shop's partner, and every shipment move to the customer; written into the outbox in the transaction
that causes them, one idempotency key per shipment and state."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from accounts.emails import queue_email
from accounts.models import User
from orders.models import Order, OrderItem, Shipment

State = Order.State


def _line_context(item: OrderItem) -> dict[str, Any]:
    return {
        "product": item.offer.product.name,
        "model": item.offer.model,
        "external_id": item.offer.external_id,
        "shop": item.offer.shop.name,
        "price": item.price,
        "quantity": item.quantity,
        "sum": item.price * item.quantity,
    }


def _recipient(order: Order) -> str:
    customer = order.user
    return customer.get_full_name() or customer.username


def manager_emails() -> list[str]:
    """Who receives invoices: `ORDER_NOTIFY_EMAILS`, else every active manager (staff, not a partner)."""
    configured = [address for address in getattr(settings, "ORDER_NOTIFY_EMAILS", []) or [] if address]
    if configured:
        return configured
    return list(
        User.objects.filter(is_staff=True, is_active=True)
        .exclude(type=User.Type.SHOP)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def queue_confirmation_emails(order: Order, shipments: list[Shipment], items: Iterable[OrderItem]) -> None:
    """The placed order to its customer and to the managers, and each shipment to its shop's partner."""
    items = list(items)
    lines_of: dict[int, list[OrderItem]] = defaultdict(list)
    for item in items:
        lines_of[item.shipment_id].append(item)
    shipments = sorted(shipments, key=lambda shipment: shipment.shop.name)
    parts = [
        {
            "shop": shipment.shop.name,
            "lines": [_line_context(item) for item in lines_of[shipment.pk]],
            "subtotal": shipment.subtotal,
            "delivery_cost": shipment.delivery_cost,
        }
        for shipment in shipments
    ]
    base = {
        "order": order,
        "customer": order.user,
        "lines": [_line_context(item) for item in items],
        "parts": parts,
        "goods_total": order.goods_total,
        "delivery_total": order.delivery_total,
        "total": order.total,
    }
    queue_email(
        to=[order.user.email],
        template="order_confirmed_customer",
        context=base,
        idempotency_key=f"order-{order.pk}-new-customer",
    )
    queue_email(
        to=manager_emails(),
        template="order_invoice_managers",
        context=base,
        idempotency_key=f"order-{order.pk}-new-managers",
    )
    for shipment in shipments:
        partner = shipment.shop.owner
        queue_email(
            to=[partner.email],
            template="order_new_partner",
            context={
                "order": order,
                "shipment": shipment,
                "partner": partner,
                "lines": [_line_context(item) for item in lines_of[shipment.pk]],
                "subtotal": shipment.subtotal,
                "delivery_cost": shipment.delivery_cost,
                "recipient": _recipient(order),
            },
            idempotency_key=f"order-{order.pk}-shipment-{shipment.pk}-new-partner",
        )


def _moved_key(order: Order, shipment_ids: list[int], to_state: str) -> str:
    """A shipment reaches a state once (the moves never go back), so its id and the state name the
    message; a move of several at once names them all."""
    ids = "-".join(str(pk) for pk in sorted(shipment_ids))
    if len(ids) > 120:  # the outbox key holds 200 characters
        ids = hashlib.sha256(ids.encode()).hexdigest()
    return f"order-{order.pk}-shipment-{ids}-{to_state}-customer"


def queue_shipments_moved_email(
    *,
    order: Order,
    moved: list[tuple[Shipment, str]],
    to_state: str,
    order_state_before: str,
    note: str,
) -> None:
    """One e-mail to the customer for one move: which suppliers' parts moved (with the tracking number
    of a sent one) and, when the whole order is now in that state, that it is."""
    parts = [
        {
            "shop": shipment.shop.name,
            "from_state": State(from_state).label,
            "to_state": State(shipment.state).label,
            "tracking_number": shipment.tracking_number if shipment.state == State.SENT else "",
        }
        for shipment, from_state in sorted(moved, key=lambda pair: pair[0].shop.name)
    ]
    queue_email(
        to=[order.user.email],
        template="order_state_changed",
        context={
            "order": order,
            "customer": order.user,
            "parts": parts,
            "shops": ", ".join(part["shop"] for part in parts),
            "whole_order": order.state == to_state,
            "from_state": State(order_state_before).label,
            "to_state": State(to_state).label,
            "order_state": order.get_state_display(),
            "note": note,
        },
        idempotency_key=_moved_key(order, [shipment.pk for shipment, _from in moved], to_state),
    )
