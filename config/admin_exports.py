"""The admin side of exports: small ones in the request, large ones in the background with a page that
shows the progress and the download link (`config.exports` builds them).

`BackgroundExportMixin` replaces django-import-export's `ExportMixin` in an admin. Who may download a
background export: only the user who asked for it, while that user may still export from that admin
and still sees the same rows (`get_export_scope`: an admin whose rows depend on more than the user's
role, such as a partner's shops, says so by overriding it).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from config.exports import (
    WRITERS,
    export_file_name,
    export_rows,
    format_key,
    scope_digest,
    start_admin_export,
    write_export,
)
from config.models import AdminExport
from config.storage import download_response


class BackgroundExportMixin(ExportMixin):
    """CSV and XLSX exports of the changelist that never hold a web process for long."""

    export_formats = [CSV, XLSX]

    def get_export_scope(self, request: HttpRequest) -> str:
        """What decides which rows `request.user` sees here; a download needs the same as at build time."""
        user = request.user
        return f"user={user.pk};manager={bool(getattr(user, 'is_manager', False))}"

    # --- the export form's answer -------------------------------------------------------------------

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        # The one place import-export writes the file in the request (import_export.admin.ExportMixin).
        if not self.has_export_permission(request):
            raise PermissionDenied
        key = format_key(file_format)
        resource_index = self.get_resource_index(export_form) if export_form is not None else 0
        export_fields = self.get_export_resource_fields_from_form(export_form) or []
        rows_total = queryset.count()
        if rows_total > settings.ADMIN_EXPORT_BACKGROUND_ROWS:
            export = start_admin_export(
                model_admin=self,
                request=request,
                file_format=key,
                resource_index=resource_index,
                export_fields=export_fields,
                rows_total=rows_total,
            )
            if export.status != AdminExport.Status.SUCCEEDED:
                self.message_user(
                    request,
                    gettext(
                        "%(rows)s rows are being exported in the background. This page shows the progress "
                        "and the download link when the file is ready; you may leave it and come back."
                    )
                    % {"rows": rows_total},
                    messages.INFO,
                )
            return redirect(self._export_url("job", export.pk))
        return self._export_in_request(request, queryset, key, resource_index, export_fields)

    def _export_in_request(self, request, queryset, key, resource_index, export_fields):
        writer = WRITERS[key]
        headers, rows = export_rows(
            model_admin=self,
            request=request,
            queryset=queryset,
            resource_index=resource_index,
            export_fields=export_fields,
            native=writer.native_values,
        )
        # At most ADMIN_EXPORT_BACKGROUND_ROWS rows: small enough to answer from memory.
        buffer = io.BytesIO()
        write_export(
            file_format=key,
            title=str(self.model._meta.verbose_name_plural),
            headers=headers,
            rows=rows,
            stream=buffer,
        )
        response = HttpResponse(buffer.getvalue(), content_type=writer.content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=export_file_name(self, key)
        )
        return response

    def init_request_context_data(self, request, form):
        # The export form lists the user's recent background exports of this list, so a file whose
        # page was left while it was being written can still be found and downloaded.
        context = super().init_request_context_data(request, form)
        recent = AdminExport.objects.filter(user_id=request.user.pk, model_label=self.opts.label_lower)[:5]
        context["recent_exports"] = [(export, self._export_url("job", export.pk)) for export in recent]
        return context

    # --- the export's page, progress and download ---------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "export/<int:export_id>/",
                self.admin_site.admin_view(self.export_job_view),
                name="{}_{}_export_job".format(*info),
            ),
            path(
                "export/<int:export_id>/progress/",
                self.admin_site.admin_view(self.export_progress_view),
                name="{}_{}_export_progress".format(*info),
            ),
            path(
                "export/<int:export_id>/download/",
                self.admin_site.admin_view(self.export_download_view),
                name="{}_{}_export_download".format(*info),
            ),
            *super().get_urls(),
        ]

    def _export_url(self, kind: str, export_id: int) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_export_{kind}",
            args=[export_id],
            current_app=self.admin_site.name,
        )

    def get_own_export(self, request: HttpRequest, export_id: int) -> AdminExport:
        """The user's own export of this admin's model; anyone else's is not found."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        export = AdminExport.objects.filter(
            pk=export_id, user_id=request.user.pk, model_label=self.opts.label_lower
        ).first()
        if export is None:
            raise Http404(gettext("Export not found."))
        return export

    def export_job_view(self, request: HttpRequest, export_id: int) -> HttpResponse:
        export = self.get_own_export(request, export_id)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Export"),
            "subtitle": self.opts.verbose_name_plural,
            "opts": self.opts,
            "export": export,
            "progress_url": self._export_url("progress", export.pk),
            "download_url": self._export_url("download", export.pk),
            "changelist_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                current_app=self.admin_site.name,
            ),
        }
        return TemplateResponse(request, "admin/export_job.html", context)

    def export_progress_view(self, request: HttpRequest, export_id: int) -> JsonResponse:
        export = self.get_own_export(request, export_id)
        return JsonResponse(
            {
                "id": export.pk,
                "status": export.status,
                "status_display": export.get_status_display(),
                "rows_done": export.rows_done,
                "rows_total": export.rows_total,
                "percent": export.progress_percent,
                "is_finished": export.is_finished,
                "download_url": self._export_url("download", export.pk)
                if export.status == AdminExport.Status.SUCCEEDED and export.file
                else None,
            }
        )

    def export_download_view(self, request: HttpRequest, export_id: int) -> HttpResponse:
        export = self.get_own_export(request, export_id)
        if export.file_expired_at or (export.status == AdminExport.Status.SUCCEEDED and not export.file):
            raise Http404(gettext("The file of this export was deleted after the retention period."))
        if export.status != AdminExport.Status.SUCCEEDED:
            raise Http404(gettext("This export is not ready."))
        if export.scope != scope_digest(self.get_export_scope(request)):
            # The rows were chosen for what the user could see then (a partner's shops, say), and that
            # has changed: the file may hold rows the user may no longer see.
            self.message_user(
                request,
                gettext("What you may see has changed since this export was made: export again."),
                messages.ERROR,
            )
            return redirect(self._export_url("job", export.pk))
        try:
            return download_response(
                export.file.name,
                filename=export.file_name,
                size=export.file_size,
                content_type=WRITERS[export.file_format].content_type,
            )
        except FileNotFoundError:
            raise Http404(gettext("The file of this export is no longer kept.")) from None
