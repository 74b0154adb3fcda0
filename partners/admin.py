"""Admin of the partners app: price-list uploads with a preview, the import history, and what the supplier
integration adds to the catalog's shop and offer pages (uploading from a shop, an offer's price history)."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import (
    BooleanRadioFilter,
    ChoicesDropdownFilter,
    RangeDateFilter,
)
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from catalog import admin as catalog_admin
from catalog.models import Offer, Shop
from catalog.shop_names import shop_name_key
from config.admin_base import (
    LargeTableAdminMixin,
    OfferedFiltersOnlyMixin,
    is_partner,
    report_validation_error,
)
from config.storage import download_response
from partners.forms import PriceListUploadForm
from partners.importing.submit import Submitted, submit_previewed_import, submit_price_list
from partners.models import PriceHistory, PriceListImport
from partners.selectors import imports_visible_to

STATUS_COLORS = {
    PriceListImport.Status.PENDING.value: "info",
    PriceListImport.Status.RUNNING.value: "warning",
    PriceListImport.Status.SUCCEEDED.value: "success",
    PriceListImport.Status.FAILED.value: "danger",
    PriceListImport.Status.SUPERSEDED.value: "info",
}


class PriceListUploadMixin:
    """The upload → preview → apply flow, shared by the shop and the import admins."""

    def has_upload_permission(self, request, obj=None):
        return request.user.has_perm("partners.add_pricelistimport")

    def upload_response(self, request, *, shop: Shop | None = None):
        partner_user = is_partner(request.user)
        initial_partner = shop.owner if shop is not None else None
        form = PriceListUploadForm(
            request.POST or None,
            request.FILES or None,
            choose_partner=not partner_user,
            initial_partner=initial_partner,
        )
        if request.method == "POST" and form.is_valid():
            partner = request.user if partner_user else form.cleaned_data["partner"]
            upload = form.cleaned_data["file"]
            try:
                submitted = submit_price_list(
                    partner=partner,
                    content=upload.read(),
                    file_name=upload.name,
                    source=PriceListImport.Source.ADMIN,
                    dry_run=True,
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return self.show_preview(request, submitted, shop=shop)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Upload price list"),
            "subtitle": shop.name if shop else None,
            "opts": self.model._meta,
            "form": form,
            "shop": shop,
        }
        return TemplateResponse(request, "admin/partners/upload.html", context)

    def show_preview(self, request, submitted: Submitted, *, shop: Shop | None = None):
        """The preview page, or the import's page while a worker is still checking the file."""
        preview = submitted.record
        if submitted.queued:
            self.message_user(
                request,
                gettext(
                    "The price list is large: it is being checked in the background. "
                    "The preview opens from this page when the check is done."
                ),
                messages.INFO,
            )
            return redirect("admin:partners_pricelistimport_change", preview.pk)
        if shop is not None and preview.shop_name and shop_name_key(preview.shop_name) != shop.name_key:
            # The file names its shop; uploading it from another shop's page must not surprise anyone.
            self.message_user(
                request,
                gettext("This price list is for the shop “%(file_shop)s”, not “%(shop)s”.")
                % {"file_shop": preview.shop_name, "shop": shop.name},
                messages.WARNING,
            )
        return redirect("admin:partners_pricelistimport_preview", preview.pk)


admin.site.unregister(Shop)


@admin.register(Shop)
class ShopAdmin(PriceListUploadMixin, catalog_admin.ShopAdmin):
    """The catalog's shop pages, with "Upload price list" on the list and on each shop."""

    actions_list = ["upload_price_list"]
    actions_detail = ["upload_price_list_for_shop", *catalog_admin.ShopAdmin.actions_detail]

    @action(description=_("Upload price list"), icon="upload_file", permissions=["upload"])
    def upload_price_list(self, request):
        return self.upload_response(request)

    @action(
        description=_("Upload price list"),
        icon="upload_file",
        permissions=["upload"],
        variant=ActionVariant.PRIMARY,
    )
    def upload_price_list_for_shop(self, request, object_id):
        return self.upload_response(request, shop=self.get_visible_shop(request, object_id))


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


admin.site.unregister(Offer)


@admin.register(Offer)
class OfferAdmin(catalog_admin.OfferAdmin):
    """The catalog's offer pages, with the price history the imports wrote."""

    inlines = [PriceHistoryInline]


@admin.register(PriceListImport)
class PriceListImportAdmin(LargeTableAdminMixin, OfferedFiltersOnlyMixin, PriceListUploadMixin, ModelAdmin):
    list_display = [
        "id",
        "shop_display",
        "partner",
        "source",
        "status_badge",
        "is_dry_run",
        "counts_display",
        "duration_display",
        "created_at",
    ]
    list_display_links = ["id", "shop_display"]
    list_select_related = ["shop", "partner"]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        ("source", ChoicesDropdownFilter),
        ("shop", catalog_admin.OwnShopsFilter),
        ("is_dry_run", BooleanRadioFilter),
        ("created_at", RangeDateFilter),
    ]
    list_filter_submit = True
    search_fields = ["=id", "shop__name", "shop_name", "file_name", "partner__username"]
    actions_list = ["upload_price_list"]
    change_form_outer_before_template = "admin/partners/pricelistimport/summary.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "shop",
                    "shop_name",
                    "partner",
                    "source",
                    "source_url",
                    "is_dry_run",
                    "status",
                    "superseded_by_link",
                ]
            },
        ),
        (_("File"), {"fields": ["file_link", "file_name", "file_size", "file_sha256", "file_expired_at"]}),
        (
            _("Result"),
            {
                "fields": [
                    "goods_total",
                    "goods_processed",
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "retired_count",
                    "attempts",
                ]
            },
        ),
        (_("Timing"), {"fields": ["created_at", "started_at", "finished_at", "duration_ms"]}),
    ]

    def get_queryset(self, request):
        return imports_visible_to(request.user, super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        # Imports are made by uploading a file, never typed in by hand.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("shop"), ordering="shop__name")
    def shop_display(self, obj):
        return obj.shop.name if obj.shop_id else obj.shop_name or "—"

    @display(description=_("status"), ordering="status", label=STATUS_COLORS)
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("new / changed / unchanged / retired"))
    def counts_display(self, obj):
        return f"{obj.created_count} / {obj.updated_count} / {obj.unchanged_count} / {obj.retired_count}"

    @display(description=_("duration"), ordering="duration_ms")
    def duration_display(self, obj):
        if obj.duration_ms is None:
            return "—"
        return gettext("%(seconds).1f s") % {"seconds": obj.duration_ms / 1000}

    @display(description=_("superseded by"))
    def superseded_by_link(self, obj):
        if not obj.superseded_by_id:
            return "—"
        url = reverse("admin:partners_pricelistimport_change", args=[obj.superseded_by_id])
        return format_html(
            '<a class="text-primary-600 underline" href="{}">{}</a>',
            url,
            gettext("import #%(id)s") % {"id": obj.superseded_by_id},
        )

    @display(description=_("file"))
    def file_link(self, obj):
        if obj.file_expired_at:
            return gettext("Deleted on %(date)s: files are kept %(days)s days after their upload.") % {
                "date": date_format(timezone.localtime(obj.file_expired_at), "SHORT_DATE_FORMAT"),
                "days": settings.MEDIA_RETENTION_DAYS,
            }
        if not obj.file:
            return "—"
        url = reverse("admin:partners_pricelistimport_download", args=[obj.pk])
        return format_html(
            '<a class="text-primary-600 underline" href="{}">{}</a>', url, obj.file_name or obj.file.name
        )

    @action(description=_("Upload price list"), icon="upload_file", permissions=["upload"])
    def upload_price_list(self, request):
        return self.upload_response(request)

    def get_urls(self):
        custom = [
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="partners_pricelistimport_preview",
            ),
            path(
                "<int:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="partners_pricelistimport_progress",
            ),
            path(
                "<int:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="partners_pricelistimport_download",
            ),
        ]
        return custom + super().get_urls()

    def get_visible_import(self, request, object_id) -> PriceListImport:
        if not self.has_view_permission(request):
            raise PermissionDenied
        price_list_import = self.get_queryset(request).filter(pk=object_id).first()
        if price_list_import is None:
            raise Http404(gettext("Import not found."))
        return price_list_import

    def preview_view(self, request, object_id):
        preview = self.get_visible_import(request, object_id)
        change_url = reverse("admin:partners_pricelistimport_change", args=[preview.pk])
        if not preview.is_dry_run or preview.status in (
            PriceListImport.Status.PENDING,
            PriceListImport.Status.RUNNING,
        ):
            # Applied imports and checks still running in the background live on the record page.
            return redirect(change_url)
        if request.method == "POST":
            if not self.has_upload_permission(request):
                raise PermissionDenied
            if "cancel" in request.POST:
                self.message_user(request, gettext("The import was canceled: nothing was changed."))
                return redirect("admin:partners_pricelistimport_changelist")
            if "apply" in request.POST:
                return self.apply_preview(request, preview)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Price-list preview"),
            "subtitle": preview.shop_name or preview.file_name,
            "opts": self.model._meta,
            "preview": preview,
            "plan": preview.plan or {},
            "changes": (preview.plan or {}).get("changes", []),
            "errors": preview.errors or [],
            "can_apply": preview.status == PriceListImport.Status.SUCCEEDED,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/partners/preview.html", context)

    def apply_preview(self, request, preview: PriceListImport):
        if preview.status != PriceListImport.Status.SUCCEEDED:
            self.message_user(request, gettext("A price list with errors cannot be applied."), messages.ERROR)
            return redirect("admin:partners_pricelistimport_preview", preview.pk)
        try:
            submitted = submit_previewed_import(preview=preview, actor=request.user)
        except ValidationError as error:
            report_validation_error(self, request, error)
            return redirect("admin:partners_pricelistimport_preview", preview.pk)
        applied = submitted.record
        if submitted.queued:
            self.message_user(
                request, gettext("The price list is being imported in the background."), messages.INFO
            )
            return redirect("admin:partners_pricelistimport_change", applied.pk)
        if (applied.plan or {}).get("replanned"):
            self.message_user(
                request,
                gettext(
                    "The shop's offers changed after the preview, so the price list was planned again "
                    "against the current offers before applying."
                ),
                messages.WARNING,
            )
        if applied.status == PriceListImport.Status.SUCCEEDED:
            self.message_user(
                request,
                gettext(
                    "Price list applied: %(created)d new, %(updated)d changed, %(unchanged)d unchanged, "
                    "%(retired)d retired."
                )
                % {
                    "created": applied.created_count,
                    "updated": applied.updated_count,
                    "unchanged": applied.unchanged_count,
                    "retired": applied.retired_count,
                },
                messages.SUCCESS,
            )
        else:
            self.message_user(request, gettext("The import failed; nothing was changed."), messages.ERROR)
        return redirect("admin:partners_pricelistimport_change", applied.pk)

    def progress_view(self, request, object_id):
        price_list_import = self.get_visible_import(request, object_id)
        return JsonResponse(
            {
                "id": price_list_import.pk,
                "status": price_list_import.status,
                "status_display": price_list_import.get_status_display(),
                "goods_processed": price_list_import.goods_processed,
                "goods_total": price_list_import.goods_total,
                "percent": price_list_import.progress_percent,
                "is_finished": price_list_import.is_finished,
            }
        )

    def download_view(self, request, object_id):
        price_list_import = self.get_visible_import(request, object_id)
        if price_list_import.file_expired_at:
            raise Http404(gettext("The file of this import was deleted after the retention period."))
        if not price_list_import.file:
            raise Http404(gettext("This import has no file."))
        try:
            return download_response(
                price_list_import.file.name,
                filename=price_list_import.file_name or price_list_import.file.name.rsplit("/", 1)[-1],
                size=price_list_import.file_size or None,
                content_type="application/x-yaml; charset=utf-8",
            )
        except FileNotFoundError:
            raise Http404(gettext("The file of this import is no longer kept.")) from None
