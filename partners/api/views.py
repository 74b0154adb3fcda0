"""Partner API: price-list imports (file or URL), import status, the order switch, price-list export."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import services as catalog_services
from catalog.models import Shop
from catalog.selectors import shops_visible_to
from config.api.errors import error_responses
from config.api.permissions import IsPartner, IsPartnerOrManager
from partners import selectors
from partners.api.serializers import (
    PartnerStateOutputSerializer,
    PriceListImportFailedOutputSerializer,
    PriceListImportOutputSerializer,
    PriceListUploadInputSerializer,
    PriceListUrlInputSerializer,
    ShopQueryInputSerializer,
    ShopStateInputSerializer,
)
from partners.importing.submit import submit_price_list
from partners.models import PriceListImport
from partners.pricelist.export import export_price_list

# Room for the multipart boundaries and headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
DRY_RUN_PARAMETER = OpenApiParameter(
    "dry_run",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description=gettext_lazy("1/true: only plan the import and return the plan; nothing is written."),
)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The price list is too large.")
    default_code = "too_large"


def _too_large(message: str | None = None) -> PayloadTooLarge:
    limit = settings.PRICE_LIST_MAX_BYTES
    return PayloadTooLarge(
        message or _("The price list is larger than the limit of %(limit)s bytes.") % {"limit": limit}
    )


def _api_error(error: DjangoValidationError, field: str) -> Exception:
    """A service's ValidationError as an API error: `too_large` → 413, the rest → 400 on `field`."""
    code = getattr(error, "code", None) or "invalid"
    message = " ".join(error.messages)
    if code == "too_large":
        return _too_large(message)
    return exceptions.ValidationError({field: [message]}, code=code)


def _dry_run_from_query(request: Request) -> bool:
    raw = request.query_params.get("dry_run")
    if raw is None:
        return False
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on", ""):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise exceptions.ValidationError({"dry_run": [_("Must be 1/true or 0/false.")]}, code="invalid")


def _failed_import_response(record: PriceListImport) -> Response:
    errors: dict[str, list[str]] = {}
    for error in record.errors:
        line = error.get("line")
        message = error["message"] if line is None else f"{error['message']} (line {line})"
        errors.setdefault(error.get("path") or "file", []).append(message)
    first_path, first_messages = next(iter(errors.items()), ("file", [_("invalid price list")]))
    body = {
        "detail": _("The price list has %(count)s problem(s); nothing was changed. First: %(first)s")
        % {"count": len(record.errors), "first": f"{first_path}: {first_messages[0]}"},
        "code": "invalid_price_list",
        "errors": errors,
        "import": PriceListImportOutputSerializer(record).data,
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class PartnerUpdateView(APIView):
    """Import a price list: a YAML `file` (multipart) or a `url` to fetch it from (JSON).

    With a task broker configured the import runs in the background: 202 with the pending import
    (poll `GET /partner_update/<id>/`); a URL is then fetched by the worker too, so only what can be
    refused without the network is refused here, and a fetch that fails later fails the import with
    the reason in its errors (path `url`). Without a broker it runs now: 200 with the finished import,
    400 with a refused URL or every problem of an invalid file (the import record is kept, marked
    failed), 413 for a file above the limit.
    """

    permission_classes = [IsPartner]

    @extend_schema(
        operation_id="partner_update",
        parameters=[DRY_RUN_PARAMETER],
        request={
            "multipart/form-data": PriceListUploadInputSerializer,
            "application/json": PriceListUrlInputSerializer,
        },
        responses={
            200: OpenApiResponse(PriceListImportOutputSerializer, description=gettext_lazy("Imported.")),
            202: OpenApiResponse(
                PriceListImportOutputSerializer, description=gettext_lazy("Queued; poll its status.")
            ),
            400: OpenApiResponse(
                PriceListImportFailedOutputSerializer,
                description=gettext_lazy(
                    "Invalid input, a refused URL, or an invalid price list (with every problem and the "
                    "failed import record)."
                ),
            ),
            **error_responses(401, 403, 413),
        },
    )
    def post(self, request: Request) -> Response:
        limit = settings.PRICE_LIST_MAX_BYTES
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
            raise _too_large()
        dry_run = _dry_run_from_query(request)
        if not isinstance(request.data, Mapping):  # a JSON null, number, string or list
            raise exceptions.ValidationError(
                _("Send a JSON object with a `url`, or a multipart `file`."), code="invalid"
            )
        has_file = "file" in request.FILES
        if has_file and "url" in request.data:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send either a file or a URL, not both.")]}, code="invalid"
            )
        if not has_file and "url" not in request.data:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("Send a price list: a multipart `file`, or a `url` to fetch it from.")
                    ]
                },
                code="required",
            )
        if has_file:
            serializer = PriceListUploadInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["file"]
            if upload.size > limit:
                raise _too_large()
            field, upload_kwargs = (
                "file",
                {
                    "source": PriceListImport.Source.API,
                    "content": b"".join(upload.chunks()),
                    "file_name": upload.name or "",
                },
            )
        else:
            serializer = PriceListUrlInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            field, upload_kwargs = (
                "url",
                {
                    "source": PriceListImport.Source.URL,
                    "url": serializer.validated_data["url"].strip(),
                },
            )
        try:
            submitted = submit_price_list(
                partner=request.user, dry_run=dry_run or serializer.validated_data["dry_run"], **upload_kwargs
            )
        except DjangoValidationError as error:
            raise _api_error(error, field=field) from error
        record = submitted.record
        if submitted.queued:
            return Response(
                PriceListImportOutputSerializer(record).data,
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": f"/partner_update/{record.pk}/"},
            )
        if record.status == PriceListImport.Status.FAILED:
            return _failed_import_response(record)
        return Response(PriceListImportOutputSerializer(record).data)


class PartnerImportDetailView(APIView):
    """One of your imports: status (pending, running, succeeded, failed), progress, counts, errors."""

    permission_classes = [IsPartnerOrManager]

    @extend_schema(
        operation_id="partner_update_status",
        responses={200: PriceListImportOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, import_id: int) -> Response:
        record = get_object_or_404(selectors.imports_visible_to(request.user), pk=import_id)
        return Response(PriceListImportOutputSerializer(record).data)


def _own_shops(request: Request):
    # Partners act on their own shops only, staff included: the switch is the partner's decision.
    return shops_visible_to(request.user).filter(owner=request.user).order_by("id")


def _state_response(shops: list[Shop]) -> Response:
    body = {"state": bool(shops) and all(shop.is_accepting_orders for shop in shops), "shops": shops}
    return Response(PartnerStateOutputSerializer(body).data)


class PartnerStateView(APIView):
    """Read or switch whether your shops accept orders (all of them, or one with `shop`)."""

    permission_classes = [IsPartner]

    @extend_schema(
        operation_id="partner_state",
        parameters=[
            OpenApiParameter(
                "shop", OpenApiTypes.INT, OpenApiParameter.QUERY, description=gettext_lazy("Only this shop.")
            )
        ],
        responses={200: PartnerStateOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        query = ShopQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shops = _own_shops(request)
        if "shop" in query.validated_data:
            return _state_response([get_object_or_404(shops, pk=query.validated_data["shop"])])
        return _state_response(list(shops))

    @extend_schema(
        operation_id="partner_state_switch",
        request=ShopStateInputSerializer,
        responses={200: PartnerStateOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        serializer = ShopStateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        shops = _own_shops(request)
        if "shop" in data:
            targets = [get_object_or_404(shops, pk=data["shop"])]
        else:
            targets = list(shops)
            if not targets:
                raise exceptions.ValidationError(
                    _("You have no shops yet: upload a price list first."), code="no_shops"
                )
        return _state_response(
            catalog_services.set_shops_accepting_orders(shops=targets, is_accepting_orders=data["state"])
        )


class PartnerExportView(APIView):
    """Your shop's current price list as a YAML file in the import format (it re-imports unchanged)."""

    permission_classes = [IsPartner]

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # The answer is YAML whatever the client accepts; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="partner_export",
        parameters=[
            OpenApiParameter(
                "shop",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description=gettext_lazy("The shop to export; may be left out when you have exactly one."),
            )
        ],
        responses={
            (200, "application/x-yaml"): OpenApiResponse(
                OpenApiTypes.BINARY, description=gettext_lazy("The price list, as an attachment.")
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        query = ShopQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shops = _own_shops(request)
        if "shop" in query.validated_data:
            shop = get_object_or_404(shops, pk=query.validated_data["shop"])
        else:
            own = list(shops[:2])
            if len(own) != 1:
                message = (
                    _("You have several shops: name the one to export with ?shop=<id>.")
                    if own
                    else _("You have no shops yet: upload a price list first.")
                )
                raise exceptions.ValidationError({"shop": [message]}, code="required")
            shop = own[0]
        content = export_price_list(shop=shop)
        response = HttpResponse(content, content_type="application/x-yaml; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"{shop.name}.yaml"
        )
        return response
