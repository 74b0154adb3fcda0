"""Categories, products, and the offers partners make for them (with their price history)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """One thing customers can buy; the same name in the same category is one product across shops."""

    name = models.CharField(_("name"), max_length=255)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="product_unique_per_category"),
        ]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """A shop's offer of a product: its price, stock and the parameters exactly as the partner wrote them."""

    shop = models.ForeignKey(
        "partners.Shop", verbose_name=_("shop"), on_delete=models.CASCADE, related_name="offers"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="offers"
    )
    external_id = models.CharField(_("external id"), max_length=64)
    model = models.CharField(_("model"), max_length=255, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    recommended_price = models.DecimalField(
        _("recommended price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    # Units in placed orders the partner has not acknowledged yet. A price list reports the partner's
    # stock as its own systems see it, which does not know these orders: an import sets the quantity
    # to the reported stock minus these units, so nothing sold is offered again (README, "Stock rule").
    reserved_quantity = models.PositiveIntegerField(_("reserved, not yet acknowledged"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "external_id"], name="offer_unique_external_id"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="offer_quantity_gte_0"),
            models.CheckConstraint(
                condition=models.Q(reserved_quantity__gte=0), name="offer_reserved_quantity_gte_0"
            ),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="offer_price_gte_0"),
            models.CheckConstraint(
                condition=models.Q(recommended_price__isnull=True) | models.Q(recommended_price__gte=0),
                name="offer_recommended_price_gte_0",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "is_active"], name="offer_product_active"),
            models.Index(fields=["price"], name="offer_price"),
        ]

    def __str__(self) -> str:
        return f"{self.product} — {self.shop}"


class PriceHistory(models.Model):
    """One price change of an offer, written by the import that changed it."""

    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.CASCADE, related_name="price_history"
    )
    old_price = models.DecimalField(_("old price"), max_digits=12, decimal_places=2, null=True)
    new_price = models.DecimalField(_("new price"), max_digits=12, decimal_places=2)
    old_recommended_price = models.DecimalField(
        _("old recommended price"), max_digits=12, decimal_places=2, null=True
    )
    new_recommended_price = models.DecimalField(
        _("new recommended price"), max_digits=12, decimal_places=2, null=True
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True, db_index=True)
    price_list_import = models.ForeignKey(
        "partners.PriceListImport",
        verbose_name=_("price-list import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price history")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.offer_id}: {self.old_price} → {self.new_price}"
