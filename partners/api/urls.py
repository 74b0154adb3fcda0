"""API routes of the partners app (mounted at the root: these paths are the documented contract)."""

from django.urls import path

from partners.api import views

urlpatterns = [
    path("partner_update/", views.PartnerUpdateView.as_view(), name="partner-update"),
    path(
        "partner_update/<int:import_id>/",
        views.PartnerImportDetailView.as_view(),
        name="partner-update-status",
    ),
    path("partner/state/", views.PartnerStateView.as_view(), name="partner-state"),
    path("partner/export/", views.PartnerExportView.as_view(), name="partner-export"),
]
