"""Orders (a basket is an order in state `basket`), their lines with price snapshots, and the audit trail."""

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
        ]

    def __str__(self) -> str:
        return _("Order #%(id)s") % {"id": self.pk}


class OrderItem(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="items")
    offer = models.ForeignKey(
        "catalog.Offer", verbose_name=_("offer"), on_delete=models.PROTECT, related_name="order_items"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # Set when the basket becomes an order; a basket line shows the offer's current price.
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "offer"], name="order_item_unique_offer"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_item_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.offer} × {self.quantity}"


class OrderEvent(models.Model):
    """One move of an order between states: who, when, from, to, why."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
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
