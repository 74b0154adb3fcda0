"""The order e-mails: the confirmation to the customer, the invoice to the managers, each partner's own
lines, and every state change; written into the outbox in the transaction that causes them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings

from accounts.emails import queue_email
from accounts.models import User
from orders.models import Order, OrderEvent, OrderItem

State = Order.State


def _line_context(item: OrderItem) -> dict[str, Any]:
    return {
        "product": item.offer.product.name,
        "model": item.offer.model,
        "shop": item.offer.shop.name,
        "price": item.price,
        "quantity": item.quantity,
        "sum": item.price * item.quantity,
    }


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


def queue_confirmation_emails(order: Order, items: Iterable[OrderItem]) -> None:
    items = list(items)
    customer = order.user
    lines = [_line_context(item) for item in items]
    base = {"order": order, "customer": customer, "lines": lines, "total": order.total}
    queue_email(
        to=[customer.email],
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
    by_partner: dict[int, list[OrderItem]] = defaultdict(list)
    for item in items:
        by_partner[item.offer.shop.owner_id].append(item)
    for partner_id, partner_items in sorted(by_partner.items()):
        partner = partner_items[0].offer.shop.owner
        queue_email(
            to=[partner.email],
            template="order_new_partner",
            context={
                "order": order,
                "partner": partner,
                "lines": [_line_context(item) for item in partner_items],
                "subtotal": sum((item.price * item.quantity for item in partner_items), Decimal("0")),
            },
            idempotency_key=f"order-{order.pk}-new-partner-{partner_id}",
        )


def queue_state_email(order: Order, event: OrderEvent) -> None:
    queue_email(
        to=[order.user.email],
        template="order_state_changed",
        context={
            "order": order,
            "customer": order.user,
            "from_state": State(event.from_state).label,
            "to_state": State(event.to_state).label,
            "note": event.note,
        },
        idempotency_key=f"order-{order.pk}-{event.to_state}",
    )
