"""Catalog API: the product listing, product details, shops and categories."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import (
    CategoryOutputSerializer,
    ProductDetailOutputSerializer,
    ProductIdInputSerializer,
    ProductListFilterInputSerializer,
    ProductListOutputSerializer,
    ShopOutputSerializer,
)
from catalog.models import Product
from catalog.selectors import (
    categories_for_listing,
    product_with_offers,
    products_for_listing,
    shops_for_listing,
)
from config.api.errors import error_responses
from config.api.query_parameters import DeclaredQueryParametersMixin


@extend_schema(
    tags=["catalog"],
    summary="Products with the offers customers can order now",
    description=(
        "Each product lists its active offers from shops that accept orders and match the filters; a "
        "product without such an offer is not listed. An invalid filter value is a 400. The page is "
        "always current; `count` is cached for a few seconds (CATALOG_LISTING_COUNT_CACHE_SECONDS)."
    ),
    parameters=[ProductListFilterInputSerializer],
    responses={200: ProductListOutputSerializer(many=True), **error_responses(400, 404, 429)},
)
class ProductListView(DeclaredQueryParametersMixin, generics.ListAPIView):
    permission_classes = (AllowAny,)
    serializer_class = ProductListOutputSerializer
    filter_backends = ()
    query_parameters = ("shop", "category", "search", "price_min", "price_max", "in_stock", "ordering")
    query_parameter_aliases = {"shop_id": "shop", "category_id": "category"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        # A plain dict: with a QueryDict a missing boolean would read as False, not "not given".
        filters = ProductListFilterInputSerializer(data=self.declared_query_params().dict())
        filters.is_valid(raise_exception=True)
        return products_for_listing(filters=filters.to_filters())


def _id_from_request(request) -> object:
    """`id` from the query string, or from a JSON body (old clients send GET with a body)."""
    if "id" in request.query_params:
        return request.query_params["id"]
    data = request.data
    if hasattr(data, "get"):
        return data.get("id")
    raise exceptions.ValidationError({"id": [_("Send a JSON object with an id.")]}, code="invalid")


class ProductDetailView(APIView):
    @extend_schema(
        tags=["catalog"],
        summary="One product with every active offer",
        description=(
            "Pass `id` in the query string (`?id=5`) or, for old clients, in a JSON body of the GET. "
            "Offers of every shop are shown, with the shop's `is_accepting_orders`."
        ),
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.QUERY, required=True)],
        responses={200: ProductDetailOutputSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request):
        product_id = _id_from_request(request)
        serializer = ProductIdInputSerializer(data={} if product_id is None else {"id": product_id})
        serializer.is_valid(raise_exception=True)
        try:
            product = product_with_offers(product_id=serializer.validated_data["id"])
        except Product.DoesNotExist:
            raise Http404(_("No product with this id.")) from None
        return Response(ProductDetailOutputSerializer(product).data)


@extend_schema(
    tags=["catalog"],
    summary="Shops that accept orders now",
    responses={200: ShopOutputSerializer(many=True), **error_responses(404, 429)},
)
class ShopListView(DeclaredQueryParametersMixin, generics.ListAPIView):
    permission_classes = (AllowAny,)
    serializer_class = ShopOutputSerializer
    filter_backends = ()

    def get_queryset(self):
        return shops_for_listing()


@extend_schema(
    tags=["catalog"],
    summary="Categories with something to order now",
    responses={200: CategoryOutputSerializer(many=True), **error_responses(404, 429)},
)
class CategoryListView(DeclaredQueryParametersMixin, generics.ListAPIView):
    permission_classes = (AllowAny,)
    serializer_class = CategoryOutputSerializer
    filter_backends = ()

    def get_queryset(self):
        return categories_for_listing()
