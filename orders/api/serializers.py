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
from orders.models import Order, OrderItem, Shipment
from orders.selectors import BasketSummary, shipment_lines
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


class BasketQueryInputSerializer(serializers.Serializer):
    contact = StrictIntegerField(
        min_value=1, required=False, help_text=_("One of your contacts' ids: delivery costs to its city.")
    )
    city = serializers.CharField(
        max_length=100,
        required=False,
        help_text=_("Delivery costs to this city (case, ё/е and spaces do not matter)."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "contact" in attrs and "city" in attrs:
            raise serializers.ValidationError(_("Send either a contact or a city, not both."), code="invalid")
        return attrs


class OrderConfirmInputSerializer(serializers.Serializer):
    id = StrictIntegerField(min_value=1)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    city = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Delivery city, for each shop's delivery cost; else the basket's city."),
    )
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
        if "contact" in attrs and (attrs["address"] or attrs["phone"] or attrs["city"]):
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


MOVES = [state for state in Shipment.State.values if state != Shipment.State.NEW]


class ShipmentStateInputSerializer(StrictInputMixin, serializers.Serializer):
    state = serializers.ChoiceField(choices=MOVES, help_text=_("Where the shipment moves."))
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text=_("With `sent` only.")
    )
    reason = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required with `canceled`, and only there: the customer reads it."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {}
        if attrs["state"] == Shipment.State.CANCELED and not attrs["reason"].strip():
            errors["reason"] = [_("Say why the shipment is canceled: the customer reads the reason.")]
        if attrs["state"] != Shipment.State.CANCELED and attrs["reason"]:
            errors["reason"] = [_("A reason goes only with `canceled`.")]
        if attrs["state"] != Shipment.State.SENT and attrs["tracking_number"]:
            errors["tracking_number"] = [_("A tracking number goes only with `sent`.")]
        if errors:
            raise serializers.ValidationError(errors, code="invalid")
        return attrs


class ShipmentListQueryInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Shipment.State.values, required=False)


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


MONEY = {"max_digits": None, "decimal_places": 2}


class ShopRefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BasketShopOutputSerializer(serializers.Serializer):
    shop = ShopRefOutputSerializer()
    items = OrderLineOutputSerializer(many=True)
    subtotal = serializers.DecimalField(**MONEY, help_text=_("This shop's lines at current prices."))
    delivery_cost = serializers.DecimalField(
        **MONEY, allow_null=True, help_text=_("null until a delivery city is known.")
    )


class BasketOutputSerializer(serializers.Serializer):
    """The basket: its lines (`items`), the same lines by shop with delivery costs (`shops`), and totals."""

    id = serializers.IntegerField(allow_null=True, help_text=_("null while the basket was never used."))
    state = serializers.CharField()
    city = serializers.CharField(help_text=_("The city given when adding goods."))
    items = OrderLineOutputSerializer(many=True)
    # A basket shows current prices, which may have risen past what an order can hold (confirming then
    # refuses it), so its amounts are documented without a digit limit.
    total = serializers.DecimalField(
        **MONEY, help_text=_("Goods and delivery; goods alone while the delivery is not known.")
    )
    shops = BasketShopOutputSerializer(many=True)
    goods_total = serializers.DecimalField(**MONEY)
    delivery_total = serializers.DecimalField(
        **MONEY, allow_null=True, help_text=_("null until a delivery city is known.")
    )
    delivery_city = serializers.CharField(
        allow_null=True, help_text=_("The city the delivery costs are for.")
    )
    delivery_note = serializers.SerializerMethodField(
        help_text=_("Why the delivery is not known yet, if it is not.")
    )

    def to_representation(self, summary: BasketSummary) -> dict[str, Any]:
        data = super().to_representation(summary)
        data["delivery_city"] = summary.delivery_city or None
        return data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_delivery_note(self, summary: BasketSummary) -> str | None:
        if summary.delivery_known:
            return None
        return str(
            _(
                "Delivery costs depend on the city: pass ?city=<name> or ?contact=<id>, or give the city "
                "when adding goods. An order placed without a city pays each shop's default delivery cost."
            )
        )


class OrderListOutputSerializer(serializers.ModelSerializer):
    created = serializers.DateTimeField(source="created_at")
    items_count = serializers.IntegerField()

    class Meta:
        model = Order
        fields = [
            "id",
            "state",
            "created",
            "confirmed_at",
            "goods_total",
            "delivery_total",
            "total",
            "items_count",
        ]


class OrderEventOutputSerializer(serializers.Serializer):
    to = serializers.CharField(source="to_state")
    when = serializers.DateTimeField(source="created_at")
    note = serializers.CharField()
    shipment = serializers.IntegerField(
        source="shipment_id",
        allow_null=True,
        help_text=_("The shipment that moved; null for the order's own events."),
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword, so it cannot be declared as a class attribute.
        return {"from": serializers.CharField(source="from_state"), **super().get_fields()}


class OrderShipmentOutputSerializer(serializers.ModelSerializer):
    shop = ShopRefOutputSerializer()
    items = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = ["id", "shop", "state", "subtotal", "delivery_cost", "tracking_number", "items"]

    @extend_schema_field(OrderLineOutputSerializer(many=True))
    def get_items(self, shipment: Shipment) -> list[dict[str, Any]]:
        return OrderLineOutputSerializer(self.context["lines"].get(shipment.pk, []), many=True).data


class OrderDetailOutputSerializer(serializers.ModelSerializer):
    created = serializers.DateTimeField(source="created_at")
    items = OrderLineOutputSerializer(many=True)
    shipments = serializers.SerializerMethodField(help_text=_("One per shop: each moves on its own."))
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
            "goods_total",
            "delivery_total",
            "total",
            "items",
            "shipments",
            "history",
        ]

    @extend_schema_field(OrderShipmentOutputSerializer(many=True))
    def get_shipments(self, order: Order) -> list[dict[str, Any]]:
        return OrderShipmentOutputSerializer(
            order.shipments.all(), many=True, context={"lines": shipment_lines(order)}
        ).data


class PartnerShipmentLineOutputSerializer(serializers.ModelSerializer):
    offer = serializers.IntegerField(source="offer_id", help_text=_("Offer id."))
    external_id = serializers.CharField(source="offer.external_id", help_text=_("Your id of the good."))
    product = serializers.CharField(source="offer.product.name")
    sum = serializers.SerializerMethodField()

    class Meta:
        model = OrderItem
        fields = ["offer", "external_id", "product", "quantity", "price", "sum"]

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_sum(self, item: OrderItem) -> str:
        return f"{item.price * item.quantity:.2f}"


class ShipmentOrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    confirmed_at = serializers.DateTimeField()


class ShipmentDeliveryOutputSerializer(serializers.Serializer):
    city = serializers.CharField()
    address = serializers.CharField(source="delivery_address")
    phone = serializers.CharField()
    recipient = serializers.SerializerMethodField()

    def get_recipient(self, order: Order) -> str:
        return order.user.get_full_name() or order.user.username


class PartnerShipmentOutputSerializer(serializers.ModelSerializer):
    """A partner's shipment: its lines only, and where to deliver them."""

    order = ShipmentOrderOutputSerializer()
    shop = ShopRefOutputSerializer()
    items = PartnerShipmentLineOutputSerializer(many=True)
    delivery = ShipmentDeliveryOutputSerializer(source="order")

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "shop",
            "state",
            "items",
            "subtotal",
            "delivery_cost",
            "tracking_number",
            "delivery",
        ]
