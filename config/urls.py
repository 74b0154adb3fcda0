"""Root URLs: the admin, the API of every app at the root (the documented contract), the schema."""

from functools import wraps

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config.health import healthz, readyz
from config.metrics_view import metrics

# The docs pages may load nothing from other sites: ReDoc's bundle would fetch its logo from a CDN.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'"
)


def own_files_only(view):
    """The view's pages tell the browser to load scripts, styles and images from this site only."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response

    return wrapped


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", own_files_only(SpectacularSwaggerView.as_view(url_name="schema")), name="swagger-ui"),
    path("api/redoc/", own_files_only(SpectacularRedocView.as_view(url_name="schema")), name="redoc"),
    path("account/", include("accounts.urls")),
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("orders.api.urls")),
]

# Errors raised outside the API views answer in the API's error shape too (the admin keeps its pages).
handler400 = "config.api.errors.bad_request"
handler403 = "config.api.errors.permission_denied"
handler404 = "config.api.errors.page_not_found"
handler500 = "config.api.errors.server_error"
