"""Admin of the catalog app: shops, categories, products with their offers, and offers.

The partners app extends the shop and offer admins with what belongs to the supplier integration
(uploading a price list, an offer's price history), so the catalog knows nothing of it.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Count, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import (
    BooleanRadioFilter,
    RangeNumericFilter,
    RelatedDropdownFilter,
)
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display

from accounts.admin import UserAdmin
from accounts.models import User
from catalog.forms import DeliveryRateForm, DeliveryRateFormSet, ShopAdminForm
from catalog.models import Category, DeliveryRate, Offer, Product, Shop
from catalog.selectors import (
    delivery_rates_visible_to,
    low_in_stock,
    low_stock_threshold,
    offers_visible_to,
    products_found_by,
    products_visible_to,
    shops_visible_to,
)
from catalog.services import set_shops_accepting_orders
from config.admin_base import (
    LargeTableAdminMixin,
    OfferedFiltersOnlyMixin,
    PartnersCannotChangeMixin,
    VisibleRowsMixin,
    finish_dialog,
    is_partner,
)
from config.admin_exports import BackgroundExportMixin


def _total(rows: QuerySet, *, per: str) -> Coalesce:
    """A count of `rows` (filtered by an `OuterRef`) for each listed row: a subquery PostgreSQL runs for
    the page's rows only, where a join and GROUP BY would first count for every row of the table."""
    # COUNT(*): an index-only scan can answer it (COUNT(id) would read every row for its id).
    totals = rows.order_by().values(per).annotate(total=Count("*")).values("total")
    return Coalesce(Subquery(totals[:1], output_field=IntegerField()), 0)


def _lowest_price(rows: QuerySet, *, per: str) -> Subquery:
    return Subquery(rows.order_by().values(per).annotate(lowest=Min("price")).values("lowest")[:1])


class SearchIndexMixin:
    """Admin search through the catalog's search (full-text and trigram indexes on PostgreSQL, README
    "Search") instead of a substring match of every search field across joins."""

    search_found_lookup = "pk__in"
    # A row whose this field is exactly the words is found too (an offer's external id, a product's
    # name). Being an OR, it also keeps PostgreSQL from turning the IN into a join over every found
    # product: it checks the rows of the list's ordered walk against the hashed found set instead,
    # and stops when the page is full.
    search_exact_field: str | None = None

    def get_search_results(self, request, queryset, search_term):
        words = search_term.strip()
        if not words:
            return queryset, False
        return queryset.filter(self.search_condition(words)), False

    def search_condition(self, words: str) -> Q:
        found = Q(**{self.search_found_lookup: products_found_by(words)})
        return found | Q(**{self.search_exact_field: words}) if self.search_exact_field else found


class OwnShopsFilter(RelatedDropdownFilter):
    """A shop filter whose choices are the shops the user may see; it accepts no other."""

    def field_choices(self, field, request, model_admin):
        if not is_partner(request.user):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        visible = Q(pk__in=shops_visible_to(request.user).values("pk"))
        return field.get_choices(include_blank=False, limit_choices_to=visible, ordering=ordering)

    def queryset(self, request, queryset):
        if is_partner(request.user) and self.lookup_val:
            offered = {str(pk) for pk, _name in self.lookup_choices}
            if not set(self.lookup_val) <= offered:
                raise IncorrectLookupParameters("a shop that is not offered")
        return super().queryset(request, queryset)


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
class CategoryAdmin(LargeTableAdminMixin, OfferedFiltersOnlyMixin, PartnersCannotChangeMixin, ModelAdmin):
    list_display = ["name", "product_total"]
    search_fields = ["name"]

    def get_queryset(self, request):
        products = Product.objects.filter(category=OuterRef("pk"))
        return super().get_queryset(request).annotate(product_total=_total(products, per="category"))

    @display(description=_("products"), ordering="product_total")
    def product_total(self, obj):
        return obj.product_total


class OfferInline(VisibleRowsMixin, TabularInline):
    model = Offer
    visible_rows = offers_visible_to
    show_title = False
    extra = 0
    fields = ["shop", "external_id", "model", "price", "recommended_price", "quantity", "is_active"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    tab = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("shop")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(
    LargeTableAdminMixin,
    SearchIndexMixin,
    OfferedFiltersOnlyMixin,
    VisibleRowsMixin,
    PartnersCannotChangeMixin,
    ModelAdmin,
):
    visible_rows = products_visible_to
    list_display = ["name", "category", "offer_total", "min_price"]
    list_select_related = ["category"]
    list_filter = [("category", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["name", "offers__model", "offers__external_id"]
    search_exact_field = "name"
    autocomplete_fields = ["category"]
    inlines = [OfferInline]

    def get_queryset(self, request):
        # The offer count and lowest price of the offers the user may see (a partner: its own).
        active = offers_visible_to(request.user, Offer.objects.filter(product=OuterRef("pk"), is_active=True))
        return (
            super()
            .get_queryset(request)
            .annotate(
                offer_total=_total(active, per="product"),
                min_price=_lowest_price(active, per="product"),
            )
        )

    @display(description=_("active offers"), ordering="offer_total")
    def offer_total(self, obj):
        return obj.offer_total

    @display(description=_("lowest price"), ordering="min_price")
    def min_price(self, obj):
        return obj.min_price


@admin.register(Offer)
class OfferAdmin(
    LargeTableAdminMixin,
    SearchIndexMixin,
    OfferedFiltersOnlyMixin,
    VisibleRowsMixin,
    PartnersCannotChangeMixin,
    BackgroundExportMixin,
    ModelAdmin,
):
    visible_rows = offers_visible_to
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
    search_found_lookup = "product_id__in"
    search_exact_field = "external_id"
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

    def get_export_scope(self, request):
        # A partner sees the offers of the shops it owns: an export made before it lost a shop holds
        # that shop's offers, and is then no longer its to download.
        shops = ",".join(
            str(pk) for pk in shops_visible_to(request.user).order_by("pk").values_list("pk", flat=True)
        )
        return f"{super().get_export_scope(request)};shops={shops if is_partner(request.user) else '*'}"


TOGGLE_ACTION = {
    "description": _("Switch order acceptance"),
    "icon": "toggle_on",
    "permissions": ["toggle"],
    "dialog": {
        "title": _("Switch order acceptance"),
        "description": _("Customers cannot order from a shop that does not accept orders."),
        "form_submit_text": _("Switch"),
    },
}


class DeliveryRateInline(VisibleRowsMixin, TabularInline):
    """The shop's delivery cost per city, edited on the shop's page by managers and by its partner."""

    model = DeliveryRate
    visible_rows = delivery_rates_visible_to
    form = DeliveryRateForm
    formset = DeliveryRateFormSet
    fields = ["city", "cost"]
    extra = 0
    tab = True
    verbose_name_plural = _("delivery costs per city")


@admin.register(Shop)
class ShopAdmin(LargeTableAdminMixin, OfferedFiltersOnlyMixin, VisibleRowsMixin, ModelAdmin):
    visible_rows = shops_visible_to
    form = ShopAdminForm
    list_display = ["name", "owner", "accepting_badge", "offer_total", "active_offer_total", "created_at"]
    list_select_related = ["owner"]
    list_filter = [("is_accepting_orders", BooleanRadioFilter), ("owner", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["name", "owner__username", "owner__email", "url"]
    readonly_fields = ["is_accepting_orders", "created_at"]
    actions_row = ["toggle_accepting_orders_row"]
    actions_detail = ["toggle_accepting_orders_detail"]
    fieldsets = [
        (None, {"fields": ["name", "owner", "url", "is_accepting_orders", "created_at"]}),
        (_("Delivery tariff"), {"fields": ["city", "default_delivery_cost", "free_delivery_from"]}),
    ]
    inlines = [DeliveryRateInline]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError:
            # Another shop took a name that reads the same between this form's check and its save, and
            # the unique key refused it (everything was rolled back): answer the form again, whose
            # check now names that shop. Any other integrity error fails the same way again.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                offer_total=_total(Offer.objects.filter(shop=OuterRef("pk")), per="shop"),
                active_offer_total=_total(
                    Offer.objects.filter(shop=OuterRef("pk"), is_active=True), per="shop"
                ),
            )
        )

    def get_list_filter(self, request):
        if is_partner(request.user):
            return [("is_accepting_orders", BooleanRadioFilter)]
        return super().get_list_filter(request)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if is_partner(request.user):
            readonly.append("owner")
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = User.objects.filter(type=User.Type.SHOP).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return not is_partner(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return not is_partner(request.user) and super().has_delete_permission(request, obj)

    def has_toggle_permission(self, request, obj=None):
        return self.has_change_permission(request)

    @display(
        description=_("accepting orders"),
        ordering="is_accepting_orders",
        label={True: "success", False: "danger"},
    )
    def accepting_badge(self, obj):
        return obj.is_accepting_orders, gettext("Accepting") if obj.is_accepting_orders else gettext("Paused")

    @display(description=_("offers"), ordering="offer_total")
    def offer_total(self, obj):
        return obj.offer_total

    @display(description=_("active offers"), ordering="active_offer_total")
    def active_offer_total(self, obj):
        return obj.active_offer_total

    def get_visible_shop(self, request, object_id) -> Shop:
        # get_object limits to the visible shops and takes an id that is not a number as not found.
        shop = self.get_object(request, object_id)
        if shop is None:
            raise Http404(gettext("Shop not found."))
        return shop

    def toggle_accepting_orders(self, request, object_id):
        shop = self.get_visible_shop(request, object_id)
        if not self.has_change_permission(request, shop):
            raise PermissionDenied
        [shop] = set_shops_accepting_orders(shops=[shop], is_accepting_orders=not shop.is_accepting_orders)
        if shop.is_accepting_orders:
            message = gettext("%(shop)s accepts orders again.") % {"shop": shop.name}
        else:
            message = gettext("%(shop)s no longer accepts orders.") % {"shop": shop.name}
        self.message_user(request, message, messages.SUCCESS)

    @action(**TOGGLE_ACTION)
    def toggle_accepting_orders_row(self, request, form, object_id):
        self.toggle_accepting_orders(request, object_id)
        return finish_dialog(request, reverse("admin:catalog_shop_changelist"))

    @action(**TOGGLE_ACTION)
    def toggle_accepting_orders_detail(self, request, form, object_id):
        self.toggle_accepting_orders(request, object_id)
        return finish_dialog(request, reverse("admin:catalog_shop_change", args=[object_id]))


# The users list shows how many shops each user owns: the catalog adds it, since accounts knows no shop.
admin.site.unregister(User)


@admin.register(User)
class UserWithShopsAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display[:5], "shop_count", *UserAdmin.list_display[5:]]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(shop_total=Count("shops", distinct=True))

    @display(description=_("shops"), ordering="shop_total")
    def shop_count(self, obj):
        return obj.shop_total
