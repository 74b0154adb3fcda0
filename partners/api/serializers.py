"""Input and output serializers of the partner API: price-list imports, the order switch, exports."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Shop
from config.api.errors import ApiErrorSerializer
from config.api.inputs import StrictInputMixin
from partners.models import PriceListImport

TRUE_STRINGS = frozenset({"true", "on", "1", "yes"})
FALSE_STRINGS = frozenset({"false", "off", "0", "no"})


class SwitchField(serializers.Field):
    """A boolean that also takes the strings the original service accepted: true/false, on/off, 1/0."""

    default_error_messages = {
        "invalid": _('Must be true or false (also accepted: "on"/"off", "1"/"0").'),
    }

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, int) and data in (0, 1):
            return bool(data)
        if isinstance(data, str):
            lowered = data.strip().lower()
            if lowered in TRUE_STRINGS:
                return True
            if lowered in FALSE_STRINGS:
                return False
        self.fail("invalid")

    def to_representation(self, value: bool) -> bool:
        return bool(value)


extend_schema_field({"type": "boolean"})(SwitchField)


class StrictIdField(serializers.IntegerField):
    """A positive id as a JSON number or a digit string (forms, query strings), never true or 1.5."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- input ----------------------------------------------------------------------------------------


class PriceListUploadInputSerializer(StrictInputMixin, serializers.Serializer):
    file = serializers.FileField(help_text=_("The price list, a YAML file."))
    dry_run = SwitchField(required=False, default=False, help_text=_("Only plan; write nothing."))


class PriceListUrlInputSerializer(StrictInputMixin, serializers.Serializer):
    url = serializers.CharField(
        max_length=2000, help_text=_("An http or https URL of the price list on a public server.")
    )
    dry_run = SwitchField(required=False, default=False, help_text=_("Only plan; write nothing."))


class ShopStateInputSerializer(StrictInputMixin, serializers.Serializer):
    state = SwitchField(help_text=_("true opens the shops for orders, false closes them."))
    shop = StrictIdField(
        min_value=1, required=False, help_text=_("Switch only this shop; all your shops when absent.")
    )


class ShopQueryInputSerializer(serializers.Serializer):
    shop = StrictIdField(min_value=1, required=False)


# --- output ---------------------------------------------------------------------------------------


class ImportShopOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = ["id", "name"]


class ImportCountsOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField(source="created_count")
    updated = serializers.IntegerField(source="updated_count")
    unchanged = serializers.IntegerField(source="unchanged_count")
    retired = serializers.IntegerField(source="retired_count")


class ImportErrorOutputSerializer(serializers.Serializer):
    path = serializers.CharField(help_text=_("Where in the file, e.g. goods[3].price."))
    message = serializers.CharField()
    line = serializers.IntegerField(allow_null=True, help_text=_("Line of the YAML file, when known."))


class PriceListImportOutputSerializer(serializers.ModelSerializer):
    shop = ImportShopOutputSerializer(allow_null=True, help_text=_("Known once the import succeeded."))
    dry_run = serializers.BooleanField(source="is_dry_run")
    counts = ImportCountsOutputSerializer(source="*")
    progress_percent = serializers.IntegerField()
    superseded_by = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text=_("With status `superseded`: the newer upload of the same shop that was applied first."),
    )
    errors = ImportErrorOutputSerializer(many=True)
    file_expired_at = serializers.DateTimeField(
        allow_null=True,
        help_text=_(
            "When the kept file was deleted (files are kept MEDIA_RETENTION_DAYS days, 90 by default); "
            "null while it is kept. The import record itself is never deleted."
        ),
    )
    plan = serializers.DictField(
        help_text=_(
            "Summary of the plan: counts, price changes, the first changed offers (old → new price and "
            "quantity) and whether it was planned again."
        )
    )

    class Meta:
        model = PriceListImport
        fields = [
            "id",
            "status",
            "dry_run",
            "shop",
            "shop_name",
            "source",
            "source_url",
            "file_name",
            "file_size",
            "file_expired_at",
            "counts",
            "goods_total",
            "goods_processed",
            "progress_percent",
            "superseded_by",
            "errors",
            "plan",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "duration_ms",
        ]


class PriceListImportFailedOutputSerializer(ApiErrorSerializer):
    """A refused upload: the error shape, plus the kept import record when the file itself was invalid.

    Refusals of the request (no file or URL, a refused URL, a bad `dry_run`) store nothing, so they
    answer the plain error shape without `import`.
    """

    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Messages per field, or per place in the file (with line numbers)."),
    )
    import_ = PriceListImportOutputSerializer(
        required=False, help_text=_("The failed import record, when the price list itself was invalid.")
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["import"] = fields.pop("import_")
        return fields


class ShopStateOutputSerializer(serializers.ModelSerializer):
    state = serializers.BooleanField(source="is_accepting_orders")

    class Meta:
        model = Shop
        fields = ["id", "name", "url", "state"]


class PartnerStateOutputSerializer(serializers.Serializer):
    state = serializers.BooleanField(help_text=_("True when every shop shown accepts orders."))
    shops = ShopStateOutputSerializer(many=True)
