"""What is sold, by whom, at what price: categories, products, partner shops (with their delivery
tariffs) and their offers."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.cities import CITY_MAX_LENGTH, city_key
from catalog.shop_names import KEY_MAX_LENGTH, shop_name_key

# A delivery cost or threshold: up to 9,999,999,999.99, never negative.
DELIVERY_MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


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
        # The admin's product list, in this ordering, walks it instead of sorting a million products.
        indexes = [models.Index(fields=["name", "id"], name="product_name_id")]

    def __str__(self) -> str:
        return self.name


class Shop(models.Model):
    """A partner's shop. Its name is unique as people read it: see `catalog.shop_names`."""

    name = models.CharField(_("name"), max_length=100)
    # Derived from the name on every save; the unique constraint is on it, so two shops whose names read
    # the same (case, spaces, look-alike letters of another script) cannot exist, whoever writes them.
    name_key = models.CharField(_("name as compared"), max_length=KEY_MAX_LENGTH, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="shops",
    )
    url = models.URLField(_("website"), blank=True)
    is_accepting_orders = models.BooleanField(_("accepting orders"), default=True)
    # The delivery tariff: a cost per city (`DeliveryRate`), this cost for every other city, and free
    # delivery of a part of an order worth at least `free_delivery_from` (no threshold: never free).
    # Database defaults too, so a row written without the ORM (another tool, a raw insert) still gets them.
    city = models.CharField(
        _("city"),
        max_length=CITY_MAX_LENGTH,
        blank=True,
        default="",
        db_default="",
        help_text=_("Where the shop ships from."),
    )
    default_delivery_cost = models.DecimalField(
        _("delivery to other cities"),
        default=Decimal("0"),
        db_default=Decimal("0"),
        help_text=_("The delivery cost to a city that has no cost of its own below. Empty: free."),
        **DELIVERY_MONEY,
    )
    free_delivery_from = models.DecimalField(
        _("free delivery from"),
        null=True,
        blank=True,
        help_text=_(
            "Goods of this shop worth at least this much in one order are delivered free. Empty: never."
        ),
        **DELIVERY_MONEY,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_delivery_cost__gte=0), name="shop_default_delivery_cost_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(free_delivery_from__isnull=True) | models.Q(free_delivery_from__gte=0),
                name="shop_free_delivery_from_gte_0",
            ),
            models.UniqueConstraint(
                fields=["name_key"],
                name="shop_name_key_unique",
                violation_error_message=_("A shop with this name already exists."),
            ),
            # A writer that skips save() (bulk_create, a raw insert) must still set the key.
            models.CheckConstraint(condition=~models.Q(name_key=""), name="shop_name_key_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Pure normalisation of a derived column, no side effects: computed here so that every path that
        # saves a shop (services, admin, factories, get_or_create) stores the key of its current name.
        self.name_key = shop_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


class DeliveryRate(models.Model):
    """What a shop charges to deliver to one city (cities compare as `catalog.cities.city_key` says)."""

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="delivery_rates"
    )
    city = models.CharField(_("city"), max_length=CITY_MAX_LENGTH)
    # Derived from the city on every save: the unique constraint is on it, so "Москва", " москва " and
    # "МОСКВА" are one city of a tariff, and "Орёл" is "Орел".
    city_key = models.CharField(_("city as compared"), max_length=CITY_MAX_LENGTH, editable=False)
    cost = models.DecimalField(_("delivery cost"), **DELIVERY_MONEY)

    class Meta:
        verbose_name = _("delivery cost")
        verbose_name_plural = _("delivery costs")
        ordering = ["shop", "cost", "city"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "city_key"],
                name="delivery_rate_unique_city",
                violation_error_message=_("This shop already has a delivery cost for this city."),
            ),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="delivery_rate_cost_gte_0"),
            models.CheckConstraint(condition=~models.Q(city_key=""), name="delivery_rate_city_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.shop} → {self.city}: {self.cost}"

    def save(self, *args, **kwargs):
        # A derived column, as `Shop.name_key`: every path that saves a rate stores the key of its city.
        self.city = " ".join(self.city.split())
        self.city_key = city_key(self.city)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "city" in update_fields:
            kwargs["update_fields"] = {*update_fields, "city_key"}
        super().save(*args, **kwargs)


class Offer(models.Model):
    """A shop's offer of a product: its price, stock and the parameters exactly as the partner wrote them."""

    # No index of its own: the unique (shop, external_id) index starts with the shop. A second index on
    # shop alone cost every import a write per offer, and once misled the planner into scanning a
    # whole shop per staged row (an import's NOT EXISTS check, right after the shop's first offers).
    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="offers", db_index=False
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
