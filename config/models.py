"""Infrastructure tables: the table of Django's database cache, created by `migrate`, and the admin
exports built in the background (`config.exports`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The `LOCATION` of the database cache in settings.CACHES.
CACHE_TABLE = "django_cache"


class CacheEntry(models.Model):
    """One entry of Django's `DatabaseCache`: the columns `createcachetable` would make, so `migrate`
    creates the table and nobody has to remember that command. Only the cache reads and writes it."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = CACHE_TABLE
        verbose_name = _("cache entry")
        verbose_name_plural = _("cache entries")
        # Nobody edits the cache through the admin or groups: no permissions to grant.
        default_permissions = ()

    def __str__(self) -> str:
        return self.cache_key


class AdminExport(models.Model):
    """One admin export (CSV or XLSX of a changelist) built by a worker: whose it is, what it selects,
    its progress and the kept file. Written and read by `config.exports` only."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    # The admin it came from ("catalog.offer") and the changelist's filters, search and ordering: the
    # worker selects the rows again, as this user, through that admin.
    model_label = models.CharField(_("model"), max_length=100)
    query_string = models.TextField(_("filters"), blank=True)
    file_format = models.CharField(_("format"), max_length=8)
    resource_index = models.PositiveSmallIntegerField(default=0)
    export_fields = models.JSONField(default=list, blank=True)
    # The language of the request that asked for it: the worker writes the headers in it.
    language = models.CharField(max_length=10, blank=True)
    # A digest of what the user could see when the rows were selected; the download requires the same.
    scope = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file_expired_at = models.DateTimeField(_("file deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("admin export")
        verbose_name_plural = _("admin exports")
        ordering = ["-created_at", "-id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.pk} {self.model_label} {self.file_format} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
