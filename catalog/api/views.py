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
    FacetsOutputSerializer,
    ProductDetailOutputSerializer,
    ProductIdInputSerializer,
    ProductListFilterInputSerializer,
    ProductListOutputSerializer,
    ShopOutputSerializer,
)
from catalog.models import Product
from catalog.selectors import (
    ListingFilters,
    categories_for_listing,
    parameter_facets,
    product_with_offers,
    products_for_listing,
    shops_for_listing,
)
from config.api.errors import error_responses
from config.api.pagination import PageOrCursorPagination
from config.api.query_parameters import DeclaredQueryParametersMixin


@extend_schema(
    tags=["catalog"],
    summary="Products with the offers customers can order now",
    description=(
        "Each product lists its active offers from shops that accept orders and match the filters; a "
        "product without such an offer is not listed. An invalid filter value is a 400. The page is "
        "always current; `count` is cached for a few seconds (CATALOG_LISTING_COUNT_CACHE_SECONDS).\n\n"
        "`search` finds words of the product name (Russian word forms and small typos on PostgreSQL), "
        "model numbers and shop names, best matches first. `param=name:value` filters by a parameter "
        "(repeat it: values of one name are alternatives, different names must all hold). Pages go by "
        "`page` or, as fast at any depth, by the `next_cursor` link (`cursor`)."
    ),
    parameters=[ProductListFilterInputSerializer],
    responses={200: ProductListOutputSerializer(many=True), **error_responses(400, 404, 429)},
)
class ProductListView(DeclaredQueryParametersMixin, generics.ListAPIView):
    permission_classes = (AllowAny,)
    serializer_class = ProductListOutputSerializer
    filter_backends = ()
    pagination_class = PageOrCursorPagination
    query_parameters = (
        "shop",
        "category",
        "search",
        "price_min",
        "price_max",
        "in_stock",
        "param",
        "ordering",
    )
    query_parameter_aliases = {"shop_id": "shop", "category_id": "category"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        return products_for_listing(filters=listing_filters(self.declared_query_params()))


def listing_filters(params) -> ListingFilters:
    """The listing's filters from the query string (a 400 naming each bad value)."""
    # A plain dict: with a QueryDict a missing boolean would read as False, not "not given".
    data = params.dict()
    if "param" in params:
        data["param"] = params.getlist("param")
    filters = ProductListFilterInputSerializer(data=data)
    filters.is_valid(raise_exception=True)
    return filters.to_filters()


@extend_schema(
    tags=["catalog"],
    summary="Parameter names and values of the listed offers, with offer counts",
    description=(
        "For a filter panel: every parameter of the offers `GET /products/` lists with the same filters "
        "(usually a `category`), each value with the number of those offers that have it, most frequent "
        "first (at most 50 values per name). Counts are cached for a few seconds, like the listing's."
    ),
    parameters=[ProductListFilterInputSerializer],
    responses={200: FacetsOutputSerializer, **error_responses(400, 429)},
)
class ProductFacetsView(DeclaredQueryParametersMixin, APIView):
    permission_classes = (AllowAny,)
    query_parameters = ("shop", "category", "search", "price_min", "price_max", "in_stock", "param")
    query_parameter_aliases = {"shop_id": "shop", "category_id": "category"}

    def get(self, request):
        filters = listing_filters(self.declared_query_params())
        return Response({"parameters": parameter_facets(filters=filters)})


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
