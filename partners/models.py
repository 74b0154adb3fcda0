"""The supplier integration's records: every price-list import, what it changed, and its scratch rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import Offer, Shop


class PriceListImport(models.Model):
    """One upload of a price list: the kept file, who sent it, what the engine planned and did."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        # A newer upload of the same shop was applied first: this one is never applied after it.
        SUPERSEDED = "superseded", _("Superseded")

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin upload")
        API = "api", _("API upload")
        URL = "url", _("API, from a URL")
        CLI = "cli", _("Command line")

    shop = models.ForeignKey(
        Shop,
        verbose_name=_("shop"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="imports",
    )
    shop_name = models.CharField(_("shop in the file"), max_length=100, blank=True)
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="price_list_imports",
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    source_url = models.URLField(_("source URL"), max_length=2000, blank=True)
    file = models.FileField(_("file"), upload_to="price-lists/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # When the kept file was deleted after MEDIA_RETENTION_DAYS (partners.retention); the record stays.
    file_expired_at = models.DateTimeField(_("file deleted"), null=True, blank=True)
    is_dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    goods_total = models.PositiveIntegerField(_("goods in file"), default=0)
    goods_processed = models.PositiveIntegerField(_("goods processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    retired_count = models.PositiveIntegerField(_("retired"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    plan = models.JSONField(_("plan"), default=dict, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), null=True, blank=True)

    class Meta:
        verbose_name = _("price-list import")
        verbose_name_plural = _("price-list imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.shop_name or self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.goods_total:
            return 0
        return min(100, self.goods_processed * 100 // self.goods_total)


class PriceHistory(models.Model):
    """One price change of an offer, written by the import that changed it."""

    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.CASCADE, related_name="price_history"
    )
    old_price = models.DecimalField(_("old price"), max_digits=12, decimal_places=2, null=True)
    new_price = models.DecimalField(_("new price"), max_digits=12, decimal_places=2)
    old_recommended_price = models.DecimalField(
        _("old recommended price"), max_digits=12, decimal_places=2, null=True
    )
    new_recommended_price = models.DecimalField(
        _("new recommended price"), max_digits=12, decimal_places=2, null=True
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True, db_index=True)
    price_list_import = models.ForeignKey(
        PriceListImport,
        verbose_name=_("price-list import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price history")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.offer_id}: {self.old_price} → {self.new_price}"


FINISHED_STATUSES = frozenset(
    {
        PriceListImport.Status.SUCCEEDED,
        PriceListImport.Status.FAILED,
        PriceListImport.Status.SUPERSEDED,
    }
)


class StagedCategory(models.Model):
    """A category of a price list being imported: the partner's id and the name it maps to."""

    price_list_import = models.ForeignKey(
        PriceListImport, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    # The catalog category of that name, set just before applying (a dry run creates no categories).
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("staged category")
        verbose_name_plural = _("staged categories")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list_import", "external_id"], name="staged_category_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.name}"


class StagedOffer(models.Model):
    """One good of a price list being imported, parked between parsing and applying.

    The parser streams goods here, so an import never holds a whole file's goods in memory; planning
    and applying are then set-based statements that join these rows with the shop's offers. The rows
    of an import are deleted when it finishes (the table is UNLOGGED on PostgreSQL: it is scratch
    space, rebuilt from the kept file if a crash loses it).
    """

    price_list_import = models.ForeignKey(
        PriceListImport, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    position = models.PositiveIntegerField()  # order in the file, from 1
    line = models.PositiveIntegerField()
    external_id = models.CharField(max_length=64)
    category_external_id = models.CharField(max_length=64)
    product_name = models.CharField(max_length=255)
    model = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    recommended_price = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    quantity = models.PositiveIntegerField()
    parameters = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("staged offer")
        verbose_name_plural = _("staged offers")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list_import", "external_id"], name="staged_offer_unique_external_id"
            ),
        ]
        indexes = [models.Index(fields=["price_list_import", "position"], name="staged_offer_position")]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.product_name}"
