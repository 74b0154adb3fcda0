"""Admin dashboard data and unfold callbacks: a fixed handful of aggregate queries, whatever the data size."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import OutboxEmail
from catalog.models import Offer, Shop
from catalog.selectors import low_in_stock, low_stock_threshold, offers_visible_to, shops_visible_to
from orders.models import Order, Shipment
from orders.selectors import orders_visible_to, shipments_visible_to
from partners.selectors import imports_visible_to

CHART_DAYS = 30
RECENT_IMPORTS = 6
MONEY = DecimalField(max_digits=14, decimal_places=2)


def environment_callback(request):
    if settings.DEBUG:
        return [_("development"), "warning"]
    return [_("production"), "danger"]


def _changelist(name: str, **params) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _money(value: Decimal | None) -> str:
    return gettext("%(amount)s ₽") % {"amount": formats.number_format(value or 0, 0, force_grouping=True)}


def _order_figures(user, today, week_start) -> dict:
    """Counts of orders, and revenue: the goods and delivery of the shipments not canceled (a partner's
    own shipments only), of orders placed today and this week. Two queries."""
    orders = orders_visible_to(user)
    # Orders count on the day they were placed; the basket may have been started long before.
    figures = orders.aggregate(
        awaiting=Count("id", filter=Q(state=Order.State.NEW)),
        today_count=Count("id", filter=Q(confirmed_at__date=today)),
        week_count=Count("id", filter=Q(confirmed_at__date__gte=week_start)),
    )
    shipments = shipments_visible_to(user, Shipment.objects.exclude(state=Shipment.State.CANCELED))
    amount = F("subtotal") + F("delivery_cost")
    figures.update(
        shipments.aggregate(
            today_revenue=Coalesce(
                Sum(amount, filter=Q(order__confirmed_at__date=today)), Value(0), output_field=MONEY
            ),
            week_revenue=Coalesce(
                Sum(amount, filter=Q(order__confirmed_at__date__gte=week_start)), Value(0), output_field=MONEY
            ),
            to_confirm=Count("id", filter=Q(state=Shipment.State.NEW)),
            to_ship=Count("id", filter=Q(state__in=[Shipment.State.CONFIRMED, Shipment.State.ASSEMBLED])),
        )
    )
    return figures


def _chart(user, today) -> str:
    start = today - timedelta(days=CHART_DAYS - 1)
    per_day = dict(
        orders_visible_to(user)
        .filter(confirmed_at__date__gte=start)
        .annotate(day=TruncDate("confirmed_at"))
        .values("day")
        .annotate(total=Count("id"))
        .values_list("day", "total")
    )
    days = [start + timedelta(days=offset) for offset in range(CHART_DAYS)]
    return json.dumps(
        {
            "labels": [formats.date_format(day, "d.m") for day in days],
            "datasets": [
                {
                    "label": str(_("Orders")),
                    "data": [per_day.get(day, 0) for day in days],
                    "backgroundColor": "var(--color-primary-600)",
                }
            ],
        }
    )


def dashboard_callback(request, context):
    user = request.user
    today = timezone.localdate()
    week_start = today - timedelta(days=6)
    threshold = low_stock_threshold()

    figures = _order_figures(user, today, week_start)

    offers = low_in_stock(offers_visible_to(user, Offer.objects.all()))
    shops = shops_visible_to(user, Shop.objects.filter(is_accepting_orders=False))
    imports = imports_visible_to(user)
    low_stock_count = offers.count()
    paused_count = shops.count()
    paused_shops = list(shops.order_by("name").values_list("name", flat=True)[:3])
    recent_imports = list(imports.order_by("-created_at", "-id")[:RECENT_IMPORTS])

    today_iso = today.isoformat()
    week_iso = week_start.isoformat()
    if user.is_partner:
        # A partner works on its shipments: what to acknowledge, and what to assemble and send.
        work_cards = [
            {
                "title": _("Shipments to confirm"),
                "value": figures["to_confirm"],
                "footer": _("New shipments of your shops"),
                "icon": "pending_actions",
                "href": _changelist("orders_shipment", state=Shipment.State.NEW),
            },
            {
                "title": _("To ship"),
                "value": figures["to_ship"],
                "footer": _("Confirmed or assembled, not sent yet"),
                "icon": "local_shipping",
                "href": _changelist("orders_shipment", state="to_ship"),
            },
        ]
    else:
        work_cards = [
            {
                "title": _("Awaiting confirmation"),
                "value": figures["awaiting"],
                "footer": _("New orders to confirm"),
                "icon": "pending_actions",
                "href": _changelist("orders_order", state__exact=Order.State.NEW),
            }
        ]
    cards = [
        *work_cards,
        {
            "title": _("Orders today"),
            "value": figures["today_count"],
            "footer": _("Revenue: %(amount)s") % {"amount": _money(figures["today_revenue"])},
            "icon": "today",
            "href": _changelist("orders_order", confirmed_at_from=today_iso, confirmed_at_to=today_iso),
        },
        {
            "title": _("Orders in 7 days"),
            "value": figures["week_count"],
            "footer": _("Revenue: %(amount)s") % {"amount": _money(figures["week_revenue"])},
            "icon": "date_range",
            "href": _changelist("orders_order", confirmed_at_from=week_iso, confirmed_at_to=today_iso),
        },
        {
            "title": _("Low in stock"),
            "value": low_stock_count,
            "footer": _("Active offers with %(threshold)d or fewer left") % {"threshold": threshold},
            "icon": "inventory",
            "href": _changelist("catalog_offer", stock="low"),
        },
        {
            "title": _("Shops not accepting orders"),
            "value": paused_count,
            "footer": ", ".join(paused_shops) or _("All shops accept orders"),
            "icon": "storefront",
            "href": _changelist("catalog_shop", is_accepting_orders__exact="0"),
        },
    ]
    context.update(
        {
            "title": _("Dashboard"),
            "dashboard_cards": cards,
            "dashboard_chart": _chart(user, today),
            "dashboard_chart_days": CHART_DAYS,
            "dashboard_imports": recent_imports,
            "dashboard_imports_url": _changelist("partners_pricelistimport"),
            "dashboard_is_partner": user.is_partner,
        }
    )
    return context


# --- sidebar callbacks ------------------------------------------------------------------------------


def _can(user, permission: str) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(permission))


def can_view_orders(request) -> bool:
    return _can(request.user, "orders.view_order")


def can_view_shipments(request) -> bool:
    return _can(request.user, "orders.view_shipment")


def can_view_offers(request) -> bool:
    return _can(request.user, "catalog.view_offer")


def can_view_products(request) -> bool:
    return _can(request.user, "catalog.view_product")


def can_view_categories(request) -> bool:
    return _can(request.user, "catalog.view_category")


def can_view_shops(request) -> bool:
    return _can(request.user, "catalog.view_shop")


def can_view_imports(request) -> bool:
    return _can(request.user, "partners.view_pricelistimport")


def can_manage_people(request) -> bool:
    """Users, contacts and groups are for managers only, never for partners."""
    return not request.user.is_partner and _can(request.user, "accounts.view_user")


def can_view_outbox(request) -> bool:
    """Outgoing emails hold customers' addresses and orders: managers only, never partners."""
    return not request.user.is_partner and _can(request.user, "accounts.view_outboxemail")


def failed_emails_badge(request) -> str:
    if not can_view_outbox(request):
        return ""
    count = OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).count()
    return str(count) if count else ""


def new_orders_badge(request) -> str:
    if not can_view_orders(request):
        return ""
    count = orders_visible_to(request.user).filter(state=Order.State.NEW).count()
    return str(count) if count else ""


def new_shipments_badge(request) -> str:
    """Shipments waiting for their partner's acknowledgement (a partner's own)."""
    if not can_view_shipments(request):
        return ""
    count = shipments_visible_to(request.user, Shipment.objects.filter(state=Shipment.State.NEW)).count()
    return str(count) if count else ""
