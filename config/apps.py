"""The project's own app: infrastructure tables that belong to no business app (the shared cache)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = _("Infrastructure")
    default_auto_field = "django.db.models.BigAutoField"
