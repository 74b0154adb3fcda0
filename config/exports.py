"""Admin exports (CSV and XLSX through django-import-export) of any size, without long work in a request.

An export of up to ADMIN_EXPORT_BACKGROUND_ROWS rows is written in the request, as before. A larger one
becomes an `AdminExport` record and a task on the `imports` queue (long work): the worker selects the
rows again through the same admin, as the same user (so the visibility rules of that admin apply when
the file is built), writes them a row at a time to a temporary file while recording its progress, and
keeps the file in the storage. The user follows the progress on the export's page and downloads the
file from there; the download checks again that the user may still see what was exported
(`config.admin_exports`). Without a broker the task runs in the request, and the page opens ready.

Both paths write with the same writers: CSV with a byte-order mark (Excel then reads the Cyrillic
right), XLSX in openpyxl's write-only mode (memory stays flat whatever the row count). A text cell of
XLSX that starts with "=" stays text: partners write the product names, and a name must never become a
formula in a manager's spreadsheet.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from celery import shared_task
from django.conf import settings
from django.contrib import admin
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.models import AdminExport
from config.storage import unique_name

logger = logging.getLogger(__name__)

Status = AdminExport.Status

TASK_NAME = "config.exports.build_admin_export"
# Rows between two progress updates of the record.
PROGRESS_EVERY = 2000


# --- Writers -------------------------------------------------------------------------------------


class CsvWriter:
    extension = "csv"
    content_type = "text/csv; charset=utf-8"
    native_values = False

    def __init__(self, stream: BinaryIO, *, title: str) -> None:
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)

    def write_header(self, headers: list[str]) -> None:
        self._csv.writerow(headers)

    def write_row(self, values: list[Any]) -> None:
        self._csv.writerow(values)

    def finish(self) -> None:
        self._text.flush()
        self._text.detach()


class XlsxWriter:
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    native_values = True

    def __init__(self, stream: BinaryIO, *, title: str) -> None:
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self._stream = stream
        self._illegal = ILLEGAL_CHARACTERS_RE
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(title=_sheet_title(title))
        self._sheet.freeze_panes = "A2"

    def write_header(self, headers: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        bold = Font(bold=True)
        cells = []
        for header in headers:
            cell = WriteOnlyCell(self._sheet, value=self._text(str(header)))
            cell.font = bold
            cells.append(cell)
        self._sheet.append(cells)

    def write_row(self, values: list[Any]) -> None:
        self._sheet.append([self._cell(value) for value in values])

    def _text(self, value: str) -> str:
        # Control characters are not allowed in the file format: dropped rather than failing the export.
        return self._illegal.sub("", value)

    def _cell(self, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        if value is None or isinstance(value, bool | int | float | datetime):
            return value
        if hasattr(value, "as_tuple"):  # Decimal
            return value
        text = self._text(str(value))
        if text.startswith("="):
            cell = WriteOnlyCell(self._sheet, value=text)
            cell.data_type = "s"  # text, never a formula
            return cell
        return text

    def finish(self) -> None:
        self._workbook.save(self._stream)


WRITERS: dict[str, type[CsvWriter] | type[XlsxWriter]] = {"csv": CsvWriter, "xlsx": XlsxWriter}


def _sheet_title(title: str) -> str:
    return "".join(char for char in title if char not in "\\*?:/[]")[:31] or "Export"


def format_key(file_format: Any) -> str:
    """ "csv" or "xlsx" for an import-export format object; ValueError for any other."""
    key = file_format.get_extension()
    if key not in WRITERS:
        raise ValueError(_("Exports are written as CSV or XLSX."))
    return key


def write_export(
    *,
    file_format: str,
    title: str,
    headers: list[str],
    rows: Iterable[list[Any]],
    stream: BinaryIO,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Write `headers` and `rows` to `stream` as `file_format`; returns the number of rows written.

    `on_rows(count)` is called every PROGRESS_EVERY rows.
    """
    writer = WRITERS[file_format](stream, title=title)
    writer.write_header(headers)
    count = 0
    for values in rows:
        writer.write_row(values)
        count += 1
        if on_rows is not None and count % PROGRESS_EVERY == 0:
            on_rows(count)
    writer.finish()
    return count


# --- Selecting the rows through the admin --------------------------------------------------------


def admin_request(*, user: Any, query_string: str) -> HttpRequest:
    """A GET of the changelist with `query_string`, made by `user`: what the admin's queryset,
    filters and permission checks need, for a worker that has no real request."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(query_string)
    request.user = user
    request.path = request.path_info = "/admin/"
    request.META = {"SERVER_NAME": "worker", "SERVER_PORT": "443", "REMOTE_ADDR": ""}
    return request


def model_admin_for(model_label: str):
    from django.apps import apps

    return admin.site.get_model_admin(apps.get_model(model_label))


def scope_digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()


def export_rows(
    *,
    model_admin: Any,
    request: HttpRequest,
    queryset: Any,
    resource_index: int,
    export_fields: list[str],
    native: bool,
) -> tuple[list[str], Iterable[list[Any]]]:
    """The headers and the rows (value lists) of the admin's export resource for `queryset`."""
    resource_class = model_admin.get_export_resource_classes(request)[resource_index]
    resource = resource_class(**model_admin.get_export_resource_kwargs(request))
    selected = export_fields or None
    headers = resource.get_export_headers(selected_fields=selected)
    queryset = resource.filter_export(queryset)

    def rows() -> Iterable[list[Any]]:
        for instance in resource.iter_queryset(queryset):
            yield resource.export_resource(instance, selected_fields=selected, force_native_type=native)

    return headers, rows()


def export_file_name(model_admin: Any, file_format: str) -> str:
    return f"{model_admin.model.__name__}-{timezone.localdate().isoformat()}.{file_format}"


# --- Background exports --------------------------------------------------------------------------


def start_admin_export(
    *,
    model_admin: Any,
    request: HttpRequest,
    file_format: str,
    resource_index: int,
    export_fields: list[str],
    rows_total: int,
) -> AdminExport:
    """Record the export and hand it to a worker after the commit (or build it now without a broker)."""
    export = AdminExport.objects.create(
        user=request.user,
        model_label=model_admin.model._meta.label_lower,
        query_string=request.GET.urlencode(),
        file_format=file_format,
        resource_index=resource_index,
        export_fields=list(export_fields),
        language=translation.get_language() or "",
        rows_total=rows_total,
    )
    if build_admin_export.app.conf.task_always_eager:
        build_admin_export.apply(args=[export.pk])
        export.refresh_from_db()
        return export
    export_id = export.pk

    def enqueue() -> None:
        try:
            result = build_admin_export.apply_async(args=[export_id])
        except Exception:
            logger.exception("could not queue admin export %s", export_id)
            AdminExport.objects.filter(pk=export_id, status=Status.PENDING).update(
                status=Status.FAILED,
                error=_("The export could not be queued; try again in a moment."),
                finished_at=timezone.now(),
            )
        else:
            AdminExport.objects.filter(pk=export_id).update(task_id=result.id)

    transaction.on_commit(enqueue)
    return export


def _claim(export_id: int) -> bool:
    """Pending, or running longer than a task may live (its worker died): this run takes it."""
    abandoned = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return bool(
        AdminExport.objects.filter(
            Q(status=Status.PENDING) | Q(status=Status.RUNNING, started_at__lt=abandoned), pk=export_id
        ).update(status=Status.RUNNING, started_at=timezone.now(), rows_done=0, error="")
    )


def _fail(export: AdminExport, message: str) -> AdminExport:
    export.status = Status.FAILED
    export.error = message
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "error", "finished_at"])
    return export


def build_export_file(*, export_id: int) -> AdminExport | None:
    """Select the rows as the export's user, write them to a file, keep it; the record says how it went.

    Returns the record, or None when there is nothing to do (missing, finished, or another run has it).
    """
    if not _claim(export_id):
        return None
    export = AdminExport.objects.select_related("user").get(pk=export_id)
    with translation.override(export.language or settings.LANGUAGE_CODE):
        return _build(export)


def _build(export: AdminExport) -> AdminExport:
    export_id = export.pk
    try:
        model_admin = model_admin_for(export.model_label)
        request = admin_request(user=export.user, query_string=export.query_string)
        if not export.user.is_active or not model_admin.has_export_permission(request):
            return _fail(export, _("You are no longer allowed to export these rows."))
        queryset = model_admin.get_export_queryset(request)
        export.rows_total = queryset.count()
        export.scope = scope_digest(model_admin.get_export_scope(request))
        export.save(update_fields=["rows_total", "scope"])
        writer = WRITERS[export.file_format]
        headers, rows = export_rows(
            model_admin=model_admin,
            request=request,
            queryset=queryset,
            resource_index=export.resource_index,
            export_fields=export.export_fields,
            native=writer.native_values,
        )
        file_name = export_file_name(model_admin, export.file_format)
        with tempfile.TemporaryFile() as scratch:
            written = write_export(
                file_format=export.file_format,
                title=str(model_admin.model._meta.verbose_name_plural),
                headers=headers,
                rows=rows,
                stream=scratch,
                on_rows=lambda count: AdminExport.objects.filter(pk=export.pk).update(rows_done=count),
            )
            size = scratch.tell()
            scratch.seek(0)
            export.file.save(unique_name(file_name), File(scratch, name=file_name), save=False)
    except Exception as error:
        logger.exception("admin export %s failed", export_id)
        return _fail(
            export, _("The export failed with an internal error (%(kind)s).") % {"kind": type(error).__name__}
        )
    export.status = Status.SUCCEEDED
    export.rows_done = written
    export.rows_total = written
    export.file_name = file_name
    export.file_size = size
    export.finished_at = timezone.now()
    export.save(
        update_fields=["status", "rows_done", "rows_total", "file", "file_name", "file_size", "finished_at"]
    )
    logger.info("admin export %s ready: %d rows, %d bytes", export.pk, written, size)
    return export


@shared_task(bind=True, name=TASK_NAME, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def build_admin_export(self, export_id: int) -> str:
    """Build one admin export (queue `imports`: it can take a minute); returns its final status.

    A message delivered again while the export is still `running` (its worker died, or this is a
    duplicate) comes back once a task could no longer be alive, and takes the export over then.
    """
    export = build_export_file(export_id=export_id)
    if export is not None:
        return export.status
    running = AdminExport.objects.filter(pk=export_id, status=Status.RUNNING).values_list(
        "started_at", flat=True
    )
    started_at = running.first()
    if started_at is not None and not self.request.is_eager:
        wait = (
            started_at + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - timezone.now()
        ).total_seconds()
        raise self.retry(countdown=max(5, int(wait) + 5))
    return "skipped"


# --- Retention -------------------------------------------------------------------------------------


def delete_expired_exports(*, older_than: datetime) -> int:
    """Delete the files of exports made before `older_than` (records stay, marked); returns how many."""
    storage = AdminExport._meta.get_field("file").storage
    deleted = 0
    for pk, name in (
        AdminExport.objects.filter(created_at__lt=older_than)
        .exclude(file="")
        .values_list("pk", "file")
        .iterator()
    ):
        storage.delete(name)
        AdminExport.objects.filter(pk=pk, file=name).update(file="", file_expired_at=timezone.now())
        deleted += 1
    if deleted:
        logger.info("deleted the files of %d admin exports older than %s", deleted, older_than)
    return deleted
