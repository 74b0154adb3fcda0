"""Input and output shapes of the catalog API."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.models import Category, Offer, Product
from catalog.selectors import LISTING_ORDERINGS, ListingFilters, Shop

MAX_PARAMETER_FILTERS = 20


class ProductListFilterInputSerializer(serializers.Serializer):
    shop = serializers.IntegerField(min_value=1, required=False, help_text=_("Shop id."))
    category = serializers.IntegerField(min_value=1, required=False, help_text=_("Category id."))
    search = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=_("Words of the product name, its model or the shop name (see the README's Search)."),
    )
    price_min = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    price_max = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    in_stock = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("true: only offers with stock; false: only offers without."),
    )
    param = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=MAX_PARAMETER_FILTERS,
        help_text=_(
            "A parameter filter `name:value` (repeatable): several values of one name are alternatives, "
            "different names must all hold. GET /products/facets/ lists the names and values."
        ),
    )
    ordering = serializers.ChoiceField(
        choices=LISTING_ORDERINGS,
        required=False,
        help_text=_(
            "`price` is the lowest price among the product's matching offers. `relevance` (the default "
            "with `search`) lists exact model numbers first, then names with the words, then similar "
            "names and models; without `search` the default is `name`."
        ),
    )

    def validate_param(self, value: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        wanted: dict[str, list[str]] = {}
        for item in value:
            name, separator, wanted_value = item.partition(":")
            name, wanted_value = name.strip(), wanted_value.strip()
            if not separator or not name or not wanted_value:
                raise serializers.ValidationError(
                    _("Write each parameter filter as name:value, e.g. %(example)s; got %(value)s.")
                    % {"example": "Цвет:черный", "value": item},
                    code="invalid",
                )
            values = wanted.setdefault(name, [])
            if wanted_value not in values:
                values.append(wanted_value)
        return tuple((name, tuple(sorted(values))) for name, values in sorted(wanted.items()))

    def validate(self, attrs):
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"price_max": [_("Must be greater than or equal to price_min.")]}, code="invalid"
            )
        return attrs

    def to_filters(self) -> ListingFilters:
        data = self.validated_data
        search = data.get("search", "").strip()
        return ListingFilters(
            shop_id=data.get("shop"),
            category_id=data.get("category"),
            search=search,
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            in_stock=data.get("in_stock"),
            parameters=data.get("param", ()),
            ordering=data.get("ordering") or ("relevance" if search else "name"),
        )


class FacetValueOutputSerializer(serializers.Serializer):
    value = serializers.CharField(help_text=_("As `param=name:value` takes it."))
    count = serializers.IntegerField(help_text=_("Listed offers with this value that match the filters."))


class FacetOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    values = FacetValueOutputSerializer(many=True)


class FacetsOutputSerializer(serializers.Serializer):
    parameters = FacetOutputSerializer(many=True)


class ProductIdInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, help_text=_("Product id (query string or JSON body)."))


class ShopOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = ("id", "name")
        read_only_fields = fields


class ShopWithStateOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = ("id", "name", "is_accepting_orders")
        read_only_fields = fields


class CategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name")
        read_only_fields = fields


class OfferOutputSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text=_("The offer id: `product_info` when ordering."))
    shop = ShopOutputSerializer(read_only=True)
    parameters = serializers.DictField(
        read_only=True, help_text=_("Characteristics exactly as the partner wrote them: name → value.")
    )

    class Meta:
        model = Offer
        fields = ("id", "shop", "price", "recommended_price", "quantity", "model", "parameters")
        read_only_fields = fields


class OfferDetailOutputSerializer(OfferOutputSerializer):
    shop = ShopWithStateOutputSerializer(read_only=True)


def _money(value: Decimal | None) -> str | None:
    # Prices come from the database with their two decimal places, as DRF's DecimalField prints them.
    return None if value is None else str(value)


class ProductListOutputSerializer(serializers.ModelSerializer):
    """The declared fields document the shape; `to_representation` builds it directly.

    A page is up to 100 products with several offers each: the generic field machinery would cost
    more than the database does, so the hot path writes the same dictionaries by hand (a test holds
    it equal to the declared serializers).
    """

    category = CategoryOutputSerializer(read_only=True)
    offers = OfferOutputSerializer(source="listed_offers", many=True, read_only=True)

    class Meta:
        model = Product
        fields = ("id", "name", "category", "offers")
        read_only_fields = fields

    def to_representation(self, instance: Product) -> dict:
        category = instance.category
        return {
            "id": instance.id,
            "name": instance.name,
            "category": {"id": category.id, "name": category.name},
            "offers": [
                {
                    "id": offer.id,
                    "shop": {"id": offer.shop.id, "name": offer.shop.name},
                    "price": _money(offer.price),
                    "recommended_price": _money(offer.recommended_price),
                    "quantity": offer.quantity,
                    "model": offer.model,
                    "parameters": offer.parameters,
                }
                for offer in instance.listed_offers
            ],
        }


class ProductDetailOutputSerializer(serializers.ModelSerializer):
    category = CategoryOutputSerializer(read_only=True)
    offers = OfferDetailOutputSerializer(source="all_offers", many=True, read_only=True)

    class Meta:
        model = Product
        fields = ("id", "name", "category", "offers")
        read_only_fields = fields
