"""App configurations the project sets itself: the admin with the project's site class."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    # unfold is installed with its BasicAppConfig, which leaves `admin.site` to this setting.
    default_site = "config.admin_site.AdminSite"
