"""Orders (a basket is an order in state `basket`), their shipments (one shop's part each), their lines
with price snapshots, and the audit trail."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Order(models.Model):
    class State(models.TextChoices):
        BASKET = "basket", _("Basket")
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed")
        ASSEMBLED = "assembled", _("Assembled")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        CANCELED = "canceled", _("Canceled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.BASKET, db_index=True
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Snapshots taken at confirmation: editing or deleting a contact never changes an order.
    delivery_address = models.CharField(_("delivery address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Snapshots of what was ordered: goods at their prices then, and every shipment's delivery cost.
    # They stay as placed when a shipment is canceled; each shipment keeps its own amounts and state.
    goods_total = models.DecimalField(_("goods"), max_digits=14, decimal_places=2, default=0)
    delivery_total = models.DecimalField(_("delivery"), max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    confirmed_at = models.DateTimeField(_("placed"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state="basket"),
                name="order_one_basket_per_user",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_gte_0"),
            models.CheckConstraint(
                condition=models.Q(goods_total__gte=0, delivery_total__gte=0), name="order_parts_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(total=models.F("goods_total") + models.F("delivery_total")),
                name="order_total_is_goods_and_delivery",
            ),
        ]

    def __str__(self) -> str:
        return _("Order #%(id)s") % {"id": self.pk}


class Shipment(models.Model):
    """One shop's part of a placed order: its partner confirms, assembles and ships it on its own.

    The order's state is derived from its shipments' (`orders.services` keeps it in step).
    """

    class State(models.TextChoices):
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed")
        ASSEMBLED = "assembled", _("Assembled")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        CANCELED = "canceled", _("Canceled")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="shipments"
    )
    shop = models.ForeignKey(
        "catalog.Shop", verbose_name=_("shop"), on_delete=models.PROTECT, related_name="shipments"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    # Snapshots taken at confirmation: the shop's goods at their prices then, and its delivery cost.
    subtotal = models.DecimalField(_("goods"), max_digits=14, decimal_places=2, default=0)
    delivery_cost = models.DecimalField(_("delivery cost"), max_digits=12, decimal_places=2, default=0)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    cancel_reason = models.TextField(_("reason for canceling"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    assembled_at = models.DateTimeField(_("assembled"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "shop"], name="shipment_one_per_shop"),
            models.CheckConstraint(
                condition=models.Q(subtotal__gte=0, delivery_cost__gte=0), name="shipment_amounts_gte_0"
            ),
        ]
        indexes = [
            # A partner's work lists: its shops' shipments in one state, newest first.
            models.Index(fields=["shop", "state", "-created_at"], name="shipment_shop_state"),
            models.Index(fields=["state", "-created_at"], name="shipment_state"),
        ]

    def __str__(self) -> str:
        return _("Shipment #%(id)s") % {"id": self.pk}


class OrderItem(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="items")
    offer = models.ForeignKey(
        "catalog.Offer", verbose_name=_("offer"), on_delete=models.PROTECT, related_name="order_items"
    )
    # Both set when the basket becomes an order, together (a constraint says so): a basket line has no
    # shipment yet and shows the offer's current price.
    shipment = models.ForeignKey(
        Shipment,
        verbose_name=_("shipment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="items",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "offer"], name="order_item_unique_offer"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_item_quantity_gte_1"),
            models.CheckConstraint(
                condition=models.Q(shipment__isnull=True, price__isnull=True)
                | models.Q(shipment__isnull=False, price__isnull=False),
                name="order_item_priced_in_a_shipment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer} × {self.quantity}"


class OrderEvent(models.Model):
    """One move between states: who, when, from, to, why. A shipment's move names the shipment; the
    order's own events (placing it) name none."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    shipment = models.ForeignKey(
        Shipment,
        verbose_name=_("shipment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_state = models.CharField(_("from"), max_length=10, choices=Order.State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=10, choices=Order.State.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"
