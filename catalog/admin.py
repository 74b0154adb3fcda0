"""Admin of the catalog app: categories, products with their offers, offers with their price history."""

from django.contrib import admin
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import (
    BooleanRadioFilter,
    RangeNumericFilter,
    RelatedDropdownFilter,
)
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import display

from accounts.partner_access import (
    OfferedFiltersOnlyMixin,
    OwnShopsFilter,
    PartnersCannotChangeMixin,
    is_partner_user,
)
from catalog.models import Category, Offer, PriceHistory, Product
from catalog.selectors import low_in_stock, low_stock_threshold


class PartnerScopedMixin(PartnersCannotChangeMixin):
    """Partners see only rows of their own shops (`partner_lookup` names the owner path); never edit here."""

    partner_lookup = "shop__owner"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_partner_user(request.user):
            queryset = queryset.filter(**{self.partner_lookup: request.user}).distinct()
        return queryset


class InStockFilter(admin.SimpleListFilter):
    title = _("in stock")
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("In stock")),
            ("low", _("Low in stock")),
            ("no", _("Out of stock")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "yes":
            return queryset.filter(quantity__gt=0)
        if value == "low":
            return low_in_stock(queryset)
        if value == "no":
            return queryset.filter(quantity=0)
        return queryset


class OfferResource(resources.ModelResource):
    shop = fields.Field(attribute="shop__name", column_name=_("shop"))
    product = fields.Field(attribute="product__name", column_name=_("product"))
    category = fields.Field(attribute="product__category__name", column_name=_("category"))

    class Meta:
        model = Offer
        fields = [
            "id",
            "shop",
            "external_id",
            "product",
            "category",
            "model",
            "price",
            "recommended_price",
            "quantity",
            "is_active",
            "updated_at",
        ]
        export_order = fields

    def get_export_headers(self, selected_fields=None):
        return [str(header) for header in super().get_export_headers(selected_fields)]


@admin.register(Category)
class CategoryAdmin(OfferedFiltersOnlyMixin, PartnersCannotChangeMixin, ModelAdmin):
    list_display = ["name", "product_total"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_total=Count("products"))

    @display(description=_("products"), ordering="product_total")
    def product_total(self, obj):
        return obj.product_total


class OfferInline(TabularInline):
    model = Offer
    show_title = False
    extra = 0
    fields = ["shop", "external_id", "model", "price", "recommended_price", "quantity", "is_active"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    tab = True

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("shop")
        if is_partner_user(request.user):
            queryset = queryset.filter(shop__owner=request.user)
        return queryset

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(OfferedFiltersOnlyMixin, PartnerScopedMixin, ModelAdmin):
    list_display = ["name", "category", "offer_total", "min_price"]
    list_select_related = ["category"]
    list_filter = [("category", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["name", "offers__model", "offers__external_id"]
    autocomplete_fields = ["category"]
    inlines = [OfferInline]

    def get_queryset(self, request):
        # Not the mixin's join: a product is visible to a partner that offers it, checked by a subquery.
        queryset = super(PartnerScopedMixin, self).get_queryset(request)
        active = Q(offers__is_active=True)
        if is_partner_user(request.user):
            queryset = queryset.filter(
                Exists(Offer.objects.filter(product=OuterRef("pk"), shop__owner=request.user))
            )
            active &= Q(offers__shop__owner=request.user)
        return queryset.annotate(
            offer_total=Count("offers", filter=active, distinct=True),
            min_price=Min("offers__price", filter=active),
        )

    @display(description=_("active offers"), ordering="offer_total")
    def offer_total(self, obj):
        return obj.offer_total

    @display(description=_("lowest price"), ordering="min_price")
    def min_price(self, obj):
        return obj.min_price


class PriceHistoryInline(TabularInline):
    model = PriceHistory
    show_title = False
    extra = 0
    fields = [
        "changed_at",
        "old_price",
        "new_price",
        "old_recommended_price",
        "new_recommended_price",
        "price_list_import",
    ]
    readonly_fields = fields
    can_delete = False
    tab = True
    per_page = 20

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(OfferedFiltersOnlyMixin, PartnerScopedMixin, ExportMixin, ModelAdmin):
    resource_classes = [OfferResource]
    export_form_class = ExportForm
    list_display = [
        "product",
        "shop",
        "category_name",
        "external_id",
        "price",
        "quantity_badge",
        "is_active",
        "updated_at",
    ]
    list_select_related = ["product__category", "shop"]
    list_filter = [
        ("shop", OwnShopsFilter),
        ("product__category", RelatedDropdownFilter),
        InStockFilter,
        ("is_active", BooleanRadioFilter),
        ("price", RangeNumericFilter),
    ]
    list_filter_submit = True
    search_fields = ["product__name", "model", "external_id", "shop__name"]
    inlines = [PriceHistoryInline]
    fieldsets = [
        (None, {"fields": ["shop", "product", "external_id", "model"]}),
        (_("Price and stock"), {"fields": ["price", "recommended_price", "quantity", "is_active"]}),
        (_("Parameters"), {"fields": ["parameters"]}),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]

    @display(description=_("category"), ordering="product__category__name")
    def category_name(self, obj):
        return obj.product.category.name

    @display(
        description=_("quantity"),
        ordering="quantity",
        label={"out": "danger", "low": "warning", "ok": "success"},
    )
    def quantity_badge(self, obj):
        if obj.quantity == 0:
            return "out", obj.quantity
        if obj.quantity <= low_stock_threshold():
            return "low", obj.quantity
        return "ok", obj.quantity

    def get_readonly_fields(self, request, obj=None):
        return [field for _name, options in self.fieldsets for field in options["fields"]]

    def has_add_permission(self, request):
        # Offers, their prices and stock come from price-list imports (with price history), never by hand.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("shop", "product__category")

    def has_export_permission(self, request):
        return self.has_view_permission(request)
