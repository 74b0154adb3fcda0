"""Admin dashboard data and unfold callbacks."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _


def environment_callback(request):
    if settings.DEBUG:
        return [_("development"), "warning"]
    return [_("production"), "danger"]


def dashboard_callback(request, context):
    return context
