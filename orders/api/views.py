"""Orders API: the basket, confirming and canceling orders, the customer's orders, the partner's shipments."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, generics, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.email_confirmation import check_may_place_orders
from accounts.models import Contact
from config.api.errors import ApiErrorSerializer
from config.api.permissions import IsPartner
from config.api.query_parameters import DeclaredQueryParametersMixin
from config.metrics import ORDERS_PLACED
from orders import fulfilment, selectors, services
from orders.api.serializers import (
    BasketAddInputSerializer,
    BasketItemsAddInputSerializer,
    BasketItemsUpdateInputSerializer,
    BasketOutputSerializer,
    BasketQueryInputSerializer,
    BasketRemoveInputSerializer,
    BasketUpdateInputSerializer,
    OrderConfirmInputSerializer,
    OrderDetailOutputSerializer,
    OrderIdInputSerializer,
    OrderListOutputSerializer,
    PartnerShipmentOutputSerializer,
    ShipmentListQueryInputSerializer,
    ShipmentStateInputSerializer,
)
from orders.models import Order, Shipment

ERROR = ApiErrorSerializer


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ERROR, description=description)


def _basket_response(user: Any, *, city: str = "") -> Response:
    return Response(BasketOutputSerializer(selectors.basket_summary(user, city=city)).data)


def _contact_of(user: Any, contact_id: int, *, field: str = "contact") -> Contact:
    contact = Contact.objects.filter(user=user, pk=contact_id).first()
    if contact is None:
        raise exceptions.ValidationError(
            {field: [_("You have no contact with this id.")]}, code="invalid_contact"
        )
    return contact


def _order_detail_response(user: Any, order_id: int) -> Response:
    """One of the customer's placed orders with its lines and history (404 when it is not theirs)."""
    order = get_object_or_404(selectors.customer_order_detail(user), pk=order_id)
    return Response(OrderDetailOutputSerializer(order).data)


def _sends_items(request: Request) -> bool:
    """The reference API's shape: `{"items": [{"product_info", "quantity"}, ...]}` (or `items` as a JSON
    string from a form) instead of one `product_info` and `quantity`."""
    return hasattr(request.data, "keys") and "items" in request.data


def _lines(items: list[dict[str, int]]) -> list[tuple[int, int]]:
    return [(item["product_info"], item["quantity"]) for item in items]


class BasketAddView(APIView):
    """Add an offer (`product_info`) to the basket, or several (`items`); the same offer again adds up.

    `{"product_info", "quantity"}` adds one line; `{"items": [{"product_info", "quantity"}, ...]}` (also
    as a JSON string in `items`, as forms send it) adds several, all or nothing: any bad line refuses
    the whole call with a 400 naming every problem by index (`items[2].quantity`) and changes nothing.
    Always answers 200 with the whole basket (created on first use).
    """

    @extend_schema(
        operation_id="basket_add",
        request=PolymorphicProxySerializer(
            component_name="BasketAdd",
            serializers=[BasketAddInputSerializer, BasketItemsAddInputSerializer],
            resource_type_field_name=None,
        ),
        responses={
            200: BasketOutputSerializer,
            400: _error("Bad quantity, not enough stock, inactive offer or shop not accepting orders."),
            401: _error("Not logged in."),
            404: _error("Unknown offer."),
        },
    )
    def post(self, request: Request) -> Response:
        if _sends_items(request):
            serializer = BasketItemsAddInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.change_basket_lines(
                user=request.user,
                lines=_lines(serializer.validated_data["items"]),
                city=serializer.validated_data.get("contact", {}).get("city", "").strip(),
            )
            return _basket_response(request.user)
        serializer = BasketAddInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.add_to_basket(
            user=request.user,
            offer_id=data["product_info"],
            quantity=data["quantity"],
            city=data.get("contact", {}).get("city", "").strip(),
        )
        return _basket_response(request.user)


class BasketView(APIView):
    """The customer's basket: view it (by shop, with delivery costs to a city), set a line's quantity
    (0 removes), remove a line.

    PATCH takes one line (`{"product_info", "quantity"}`) or several (`{"items": [...]}`, also as a JSON
    string), all or nothing: any bad line refuses the whole call, naming every problem by index.
    """

    @extend_schema(
        operation_id="basket_retrieve",
        parameters=[BasketQueryInputSerializer],
        responses={
            200: BasketOutputSerializer,
            400: _error("A bad contact id, an empty city, or both given."),
            401: ERROR,
        },
    )
    def get(self, request: Request) -> Response:
        query = BasketQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        city = query.validated_data.get("city", "")
        if "contact" in query.validated_data:
            city = _contact_of(request.user, query.validated_data["contact"]).city
        return _basket_response(request.user, city=city)

    @extend_schema(
        operation_id="basket_update",
        request=PolymorphicProxySerializer(
            component_name="BasketUpdate",
            serializers=[BasketUpdateInputSerializer, BasketItemsUpdateInputSerializer],
            resource_type_field_name=None,
        ),
        responses={
            200: BasketOutputSerializer,
            400: _error("Bad quantity, not enough stock, inactive offer or shop not accepting orders."),
            401: ERROR,
            404: _error("The offer is not in the basket."),
        },
    )
    def patch(self, request: Request) -> Response:
        if _sends_items(request):
            serializer = BasketItemsUpdateInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.change_basket_lines(
                user=request.user, lines=_lines(serializer.validated_data["items"]), set_quantities=True
            )
            return _basket_response(request.user)
        serializer = BasketUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_basket_item(
            user=request.user,
            offer_id=serializer.validated_data["product_info"],
            quantity=serializer.validated_data["quantity"],
        )
        return _basket_response(request.user)

    @extend_schema(
        operation_id="basket_remove",
        request=BasketRemoveInputSerializer,
        responses={200: BasketOutputSerializer, 400: ERROR, 401: ERROR, 404: _error("Not in the basket.")},
    )
    def delete(self, request: Request) -> Response:
        serializer = BasketRemoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.remove_from_basket(user=request.user, offer_id=serializer.validated_data["product_info"])
        return _basket_response(request.user)


class OrderConfirmView(APIView):
    """Place the basket as an order: `{"id", "address", "phone"}` or `{"id", "contact"}`."""

    @extend_schema(
        operation_id="order_confirm",
        request=OrderConfirmInputSerializer,
        responses={
            200: OrderDetailOutputSerializer,
            400: _error("Empty basket, not a phone number, unknown contact, or stock that ran out."),
            401: ERROR,
            403: _error("`email_not_confirmed`: confirm your e-mail address first (EMAIL_CONFIRMATION)."),
            404: _error("No such order of yours."),
            409: _error("The order is not a basket (already placed)."),
        },
    )
    def post(self, request: Request) -> Response:
        check_may_place_orders(user=request.user)
        serializer = OrderConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = get_object_or_404(Order.objects.filter(user=request.user), pk=data["id"])
        contact = _contact_of(request.user, data["contact"]) if "contact" in data else None
        order = services.confirm_order(
            order=order,
            customer=request.user,
            address=data["address"],
            phone=data["phone"],
            city=data["city"],
            contact=contact,
        )
        # The service's transaction has committed (requests are not atomic): the order is placed.
        ORDERS_PLACED.inc()
        return _order_detail_response(request.user, order.pk)


class OrderListView(DeclaredQueryParametersMixin, generics.ListAPIView):
    """The customer's placed orders (never the basket), newest first."""

    serializer_class = OrderListOutputSerializer

    def get_queryset(self) -> QuerySet[Order]:
        return selectors.customer_orders(self.request.user)

    @extend_schema(
        operation_id="orders_list", responses={200: OrderListOutputSerializer(many=True), 401: ERROR}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _order_id_from(request: Request) -> int:
    """`id` from the query string or, for old clients that send GET with a body, from the JSON body."""
    raw = request.query_params.get("id")
    if raw is None and isinstance(request.data, dict):
        raw = request.data.get("id")
    serializer = OrderIdInputSerializer(data={"id": raw} if raw is not None else {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["id"]


class OrderInfoView(APIView):
    """One of the customer's orders with its lines (price at order time), address and state history."""

    @extend_schema(
        operation_id="order_info",
        parameters=[
            OpenApiParameter(
                "id",
                int,
                OpenApiParameter.QUERY,
                required=False,
                description=_("Order id (or send it as `id` in a JSON body)."),
            )
        ],
        responses={
            200: OrderDetailOutputSerializer,
            400: _error("Missing or bad id."),
            401: ERROR,
            404: ERROR,
        },
    )
    def get(self, request: Request) -> Response:
        return _order_detail_response(request.user, _order_id_from(request))


class OrderCancelView(APIView):
    """Cancel one of your orders while none of its shipments is assembled; its stock goes back on sale."""

    @extend_schema(
        operation_id="order_cancel",
        request=OrderIdInputSerializer,
        responses={
            200: OrderDetailOutputSerializer,
            400: ERROR,
            401: ERROR,
            404: _error("No such order of yours."),
            409: _error(
                "A shipment of the order is assembled (or further), or the order is already canceled."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = OrderIdInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = get_object_or_404(selectors.customer_orders(request.user), pk=serializer.validated_data["id"])
        fulfilment.cancel_order(order=order, actor=request.user)
        return _order_detail_response(request.user, order.pk)


class PartnerShipmentListView(DeclaredQueryParametersMixin, generics.ListAPIView):
    """The partner's shipments, newest first: its own lines only, and where to deliver them."""

    query_parameters = ("state",)
    serializer_class = PartnerShipmentOutputSerializer
    permission_classes = [permissions.IsAuthenticated, IsPartner]

    def get_queryset(self) -> QuerySet[Shipment]:
        query = ShipmentListQueryInputSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.partner_shipments(self.request.user, state=query.validated_data.get("state"))

    @extend_schema(
        operation_id="partner_shipments_list",
        parameters=[ShipmentListQueryInputSerializer],
        responses={
            200: PartnerShipmentOutputSerializer(many=True),
            400: _error("A state that does not exist."),
            401: ERROR,
            403: _error("Not a partner."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PartnerShipmentStateView(APIView):
    """Move one of your shipments: confirm, assemble, send (with a tracking number), deliver, or cancel
    (with a reason the customer reads)."""

    permission_classes = [permissions.IsAuthenticated, IsPartner]

    @extend_schema(
        operation_id="partner_shipment_state",
        request=ShipmentStateInputSerializer,
        responses={
            200: PartnerShipmentOutputSerializer,
            400: _error(
                "A state that does not exist, a cancel without a reason, a misplaced tracking number."
            ),
            401: ERROR,
            403: _error("Not a partner."),
            404: _error("No such shipment of yours."),
            409: _error("The shipment cannot move there from its state; the message names where it can."),
        },
    )
    def post(self, request: Request, shipment_id: int) -> Response:
        shipment = get_object_or_404(selectors.shipments_visible_to(request.user), pk=shipment_id)
        serializer = ShipmentStateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fulfilment.move_shipment(
            shipment=shipment,
            to_state=data["state"],
            actor=request.user,
            note=data["reason"],
            tracking_number=data["tracking_number"],
        )
        moved = selectors.partner_shipments(request.user).get(pk=shipment.pk)
        return Response(PartnerShipmentOutputSerializer(moved).data)
