"""The tables on the order and shipment pages: an order's shipments (with the moves each may make), its
lines and its history; a shipment's lines and history. Each shows only what the user may see."""

from django.db.models import BooleanField, Q, Value
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import display

from config.admin_base import is_partner
from orders.admin.common import MOVES, money, state_label_html
from orders.fulfilment import SHIPMENT_TRANSITIONS
from orders.models import Order, OrderEvent, OrderItem, Shipment
from orders.selectors import lines_visible_to, shipments_visible_to

State = Order.State


class ShipmentInline(TabularInline):
    """The order's shipments (a partner sees its own), each with its state, amounts and the moves it may
    make: the buttons open the shipment admin's dialogs, which come back to this page."""

    model = Shipment
    show_title = False
    extra = 0
    fields = [
        "number",
        "shop",
        "state_badge",
        "subtotal_display",
        "delivery_cost_display",
        "tracking_number",
        "moves",
    ]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("shipments")

    def get_queryset(self, request):
        can_move = bool(request.user.has_perm("orders.change_shipment"))
        return shipments_visible_to(
            request.user, super().get_queryset(request).select_related("shop")
        ).annotate(can_move=Value(can_move, output_field=BooleanField()))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @display(description=_("shipment"))
    def number(self, obj):
        return format_html(
            '<a href="{}" class="text-primary-600 font-medium">#{}</a>',
            reverse("admin:orders_shipment_change", args=[obj.pk]),
            obj.pk,
        )

    @display(description=_("state"))
    def state_badge(self, obj):
        return state_label_html(obj.state, obj.get_state_display())

    @display(description=_("goods"))
    def subtotal_display(self, obj):
        return money(obj.subtotal)

    @display(description=_("delivery cost"))
    def delivery_cost_display(self, obj):
        return money(obj.delivery_cost)

    @display(description=_("actions"))
    def moves(self, obj):
        if not getattr(obj, "can_move", False):
            return "—"
        allowed = SHIPMENT_TRANSITIONS[obj.state]
        buttons = [
            (reverse(f"admin:orders_shipment_{name}_row", args=[obj.pk]), name, label)
            for to_state, name, label, _icon in [*MOVES, (State.CANCELED, "cancel", _("Cancel"), "cancel")]
            if to_state in allowed
        ]
        if not buttons:
            return "—"
        return format_html_join(
            " ",
            '<a href="{0}" hx-get="{0}" hx-target="#modal-content" hx-select="#dialog" '
            'x-on:htmx:after-on-load="openModal = true" data-shipment-move="{1}" '
            'class="border border-base-200 cursor-pointer font-medium inline-block px-2 py-1 rounded-default '
            'text-xs hover:text-primary-600 dark:border-base-700">{2}</a>',
            buttons,
        )


class _ReadOnlyInline(TabularInline):
    """A table on an order's or a shipment's page that nobody edits: lines and their history."""

    show_title = False
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _OrderLineColumns:
    """The read-only columns of an order line, for the order's and the shipment's pages."""

    @display(description=_("product"))
    def product_name(self, obj):
        return obj.offer.product.name

    @display(description=_("external id"))
    def external_id(self, obj):
        return obj.offer.external_id

    @display(description=_("sum"))
    def line_total(self, obj):
        if obj.price is None:
            return "—"
        return money(obj.price * obj.quantity)


class OrderItemInline(_OrderLineColumns, _ReadOnlyInline):
    model = OrderItem
    fields = ["product_name", "shop_name", "external_id", "quantity", "price", "line_total"]
    readonly_fields = fields
    verbose_name_plural = _("order lines (price at order time)")

    def get_queryset(self, request):
        return lines_visible_to(
            request.user, super().get_queryset(request).select_related("offer__product", "offer__shop")
        )

    @display(description=_("shop"))
    def shop_name(self, obj):
        return obj.offer.shop.name


class OrderEventInline(_ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "actor", "shipment_shop", "from_state", "to_state", "note"]
    readonly_fields = fields
    verbose_name_plural = _("state history")

    def get_queryset(self, request):
        # A partner reads the history of its own shipments and of the order itself, not of the others'.
        events = super().get_queryset(request).select_related("actor", "shipment__shop")
        if is_partner(request.user):
            events = events.filter(
                Q(shipment__isnull=True) | Q(shipment__in=shipments_visible_to(request.user))
            )
        return events

    @display(description=_("shipment"))
    def shipment_shop(self, obj):
        if obj.shipment is None:
            return "—"
        return f"#{obj.shipment_id} {obj.shipment.shop.name}"


class ShipmentLineInline(_OrderLineColumns, _ReadOnlyInline):
    model = OrderItem
    fk_name = "shipment"
    fields = ["product_name", "external_id", "quantity", "price", "line_total"]
    readonly_fields = fields
    verbose_name_plural = _("order lines (price at order time)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("offer__product")


class ShipmentEventInline(_ReadOnlyInline):
    model = OrderEvent
    fk_name = "shipment"
    fields = ["created_at", "actor", "from_state", "to_state", "note"]
    readonly_fields = fields
    verbose_name_plural = _("state history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")
