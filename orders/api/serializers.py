"""Input and output serializers of the orders API."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from config.api.inputs import StrictInputMixin
from orders.models import Order, OrderItem
from orders.services import normalize_phone


class StrictIntegerField(serializers.IntegerField):
    """An integer that must arrive as a JSON number (or a plain digit string from a form), never 1.5 or true."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- input ----------------------------------------------------------------------------------------


class BasketContactInputSerializer(serializers.Serializer):
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class BasketAddInputSerializer(serializers.Serializer):
    product_info = StrictIntegerField(min_value=1, help_text=_("Offer id."))
    quantity = StrictIntegerField(min_value=1)
    contact = BasketContactInputSerializer(required=False)


class BasketUpdateInputSerializer(serializers.Serializer):
    product_info = StrictIntegerField(min_value=1, help_text=_("Offer id."))
    quantity = StrictIntegerField(min_value=0, help_text=_("0 removes the line."))


class BasketRemoveInputSerializer(serializers.Serializer):
    product_info = StrictIntegerField(min_value=1, help_text=_("Offer id."))


# Lines in one call: enough for any real basket, few enough that a call stays a small transaction.
MAX_BASKET_LINES_PER_CALL = 100


class BasketLineInputSerializer(serializers.Serializer):
    product_info = StrictIntegerField(min_value=1, help_text=_("Offer id."))
    quantity = StrictIntegerField(min_value=1)


class BasketLineUpdateInputSerializer(serializers.Serializer):
    product_info = StrictIntegerField(min_value=1, help_text=_("Offer id."))
    quantity = StrictIntegerField(min_value=0, help_text=_("0 removes the line."))


class BasketLinesField(serializers.ListField):
    """`items`: a list of lines, or that list written as a JSON string (the reference API's clients
    send it so from forms)."""

    default_error_messages = {
        "invalid_json": _("Send a list of lines, or that list as a JSON string."),
    }

    def get_value(self, dictionary: Any) -> Any:
        # A form field is one string; ListField would read a form's values as a list of strings.
        if html.is_html_input(dictionary):
            return dictionary.get(self.field_name, empty)
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid_json")
        return super().to_internal_value(data)


class BasketItemsAddInputSerializer(StrictInputMixin, serializers.Serializer):
    """Several lines added at once, all or nothing."""

    items = BasketLinesField(
        child=BasketLineInputSerializer(),
        allow_empty=False,
        max_length=MAX_BASKET_LINES_PER_CALL,
        help_text=_("The lines; a form sends the same list written as a JSON string."),
    )
    contact = BasketContactInputSerializer(required=False)


class BasketItemsUpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    """Several lines' quantities set at once, all or nothing (0 removes a line)."""

    items = BasketLinesField(
        child=BasketLineUpdateInputSerializer(),
        allow_empty=False,
        max_length=MAX_BASKET_LINES_PER_CALL,
        help_text=_("The lines; a form sends the same list written as a JSON string."),
    )


class OrderConfirmInputSerializer(serializers.Serializer):
    id = StrictIntegerField(min_value=1)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    contact = StrictIntegerField(min_value=1, required=False, help_text=_("One of your contacts' ids."))

    def validate_phone(self, value: str) -> str:
        """A phone that is not a phone is reported on the `phone` field (the service checks it again)."""
        if value.strip():
            try:
                normalize_phone(value)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages, code="invalid_phone") from None
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "contact" in attrs and (attrs["address"] or attrs["phone"]):
            raise serializers.ValidationError(
                _("Send either a contact or an address and a phone, not both."), code="invalid"
            )
        if "contact" not in attrs:
            missing = {
                field: [_("This field is required when no contact is given.")]
                for field in ("address", "phone")
                if not attrs[field].strip()
            }
            if missing:
                raise serializers.ValidationError(missing, code="required")
        return attrs


class OrderIdInputSerializer(serializers.Serializer):
    id = StrictIntegerField(min_value=1)


# --- output ---------------------------------------------------------------------------------------


def _line_price(item: OrderItem) -> Decimal:
    """Price at order time for placed orders; the offer's current price while it is in the basket."""
    return item.price if item.price is not None else item.offer.price


class OrderLineOutputSerializer(serializers.ModelSerializer):
    product_info = serializers.IntegerField(source="offer_id", help_text=_("Offer id."))
    product = serializers.CharField(source="offer.product.name")
    model = serializers.CharField(source="offer.model")
    shop = serializers.CharField(source="offer.shop.name")
    shop_id = serializers.IntegerField(source="offer.shop_id")
    price = serializers.SerializerMethodField()
    sum = serializers.SerializerMethodField()

    class Meta:
        model = OrderItem
        fields = ["id", "product_info", "product", "model", "shop", "shop_id", "price", "quantity", "sum"]

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_price(self, item: OrderItem) -> str:
        return f"{_line_price(item):.2f}"

    # A basket shows current prices, which may have risen past what an order can hold (confirming then
    # refuses it), so a line's sum and the basket's total are documented without a digit limit.
    @extend_schema_field(serializers.DecimalField(max_digits=None, decimal_places=2))
    def get_sum(self, item: OrderItem) -> str:
        return f"{_line_price(item) * item.quantity:.2f}"


class BasketOutputSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(allow_null=True, help_text=_("null while the basket was never used."))
    items = OrderLineOutputSerializer(many=True)
    total = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["id", "state", "city", "items", "total"]

    @extend_schema_field(serializers.DecimalField(max_digits=None, decimal_places=2))
    def get_total(self, order: Order) -> str:
        total = sum((_line_price(item) * item.quantity for item in order.items.all()), Decimal("0"))
        return f"{total:.2f}"


class OrderListOutputSerializer(serializers.ModelSerializer):
    created = serializers.DateTimeField(source="created_at")
    items_count = serializers.IntegerField()

    class Meta:
        model = Order
        fields = ["id", "state", "created", "confirmed_at", "total", "items_count"]


class OrderEventOutputSerializer(serializers.Serializer):
    to = serializers.CharField(source="to_state")
    when = serializers.DateTimeField(source="created_at")
    note = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword, so it cannot be declared as a class attribute.
        return {"from": serializers.CharField(source="from_state"), **super().get_fields()}


class OrderDetailOutputSerializer(serializers.ModelSerializer):
    created = serializers.DateTimeField(source="created_at")
    items = OrderLineOutputSerializer(many=True)
    history = OrderEventOutputSerializer(source="events", many=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "state",
            "created",
            "confirmed_at",
            "city",
            "delivery_address",
            "phone",
            "total",
            "items",
            "history",
        ]


class PartnerOrderOutputSerializer(serializers.ModelSerializer):
    created = serializers.DateTimeField(source="created_at")
    items = OrderLineOutputSerializer(source="partner_lines", many=True, help_text=_("Only your lines."))
    subtotal = serializers.DecimalField(
        source="partner_subtotal", max_digits=14, decimal_places=2, help_text=_("Sum of your lines.")
    )

    class Meta:
        model = Order
        fields = ["id", "state", "created", "confirmed_at", "items", "subtotal"]
