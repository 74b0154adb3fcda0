"""App configurations the project sets itself: its own app (infrastructure tables that belong to no
business app, such as the shared cache) and the admin with the project's site class."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    default = True
    name = "config"
    verbose_name = _("Infrastructure")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the project's system checks)


class AdminConfig(DjangoAdminConfig):
    default = False  # named in INSTALLED_APPS; the `config` app itself is ProjectConfig
    # unfold is installed with its BasicAppConfig, which leaves `admin.site` to this setting.
    default_site = "config.admin_site.AdminSite"
