"""System checks of the project's own settings (`manage.py check`, run at every start)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register()
def metrics_have_a_reader(app_configs=None, **kwargs):
    if settings.METRICS_ENABLED and not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_ADDRESSES):
        return [
            Warning(
                "METRICS_ENABLED is on but neither METRICS_TOKEN nor METRICS_ALLOWED_ADDRESSES is set, so "
                "/metrics answers nobody.",
                hint="Set METRICS_TOKEN (scrapers send `Authorization: Bearer <token>`) or "
                "METRICS_ALLOWED_ADDRESSES (the scrapers' addresses or networks).",
                id="procurement.W001",
            )
        ]
    return []
