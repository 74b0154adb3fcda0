"""The OpenAPI schema generator of the API (kept apart from config.api.errors, which DRF's settings import)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer

from config.api.errors import ApiErrorSerializer


class AutoSchema(_SpectacularAutoSchema):
    """The schema generator: a paginated list also documents the errors of `?page=` and `?page_size=`."""

    def get_tags(self) -> list[str]:
        """The app a view belongs to names its tag (`accounts`, `catalog`, `orders`, `partners`); what
        only partners call (`/partner…`) is under `partners` whichever app serves it. An explicit
        `tags=` on the view wins."""
        if self.path.startswith("/partner"):
            return ["partners"]
        app = type(self.view).__module__.split(".", 1)[0]
        known = {tag["name"] for tag in spectacular_settings.TAGS}
        return [app] if app in known else super().get_tags()

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        # A PATCH taking one of several whole shapes (the basket: one line, or `items`) validates each
        # shape whole; drf-spectacular would document every field of each as optional, and then every
        # body would match both.
        if self.method == "PATCH" and isinstance(serializer, PolymorphicProxySerializer):
            self.method = "POST"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def _get_parameters(self) -> Any:
        """Each alias of a declared query parameter (`config.api.query_parameters`) documented beside
        the parameter it stands for, with the same schema."""
        parameters = super()._get_parameters()
        aliases = getattr(self.view, "query_parameter_aliases", {}) if self.method == "GET" else {}
        by_name = {parameter["name"]: parameter for parameter in parameters if parameter.get("in") == "query"}
        for alias, name in aliases.items():
            if name in by_name and alias not in by_name:
                parameters.append(
                    {
                        **by_name[name],
                        "name": alias,
                        "description": str(
                            _("The same as `%(name)s` (the reference API's name).") % {"name": name}
                        ),
                    }
                )
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        if self.method == "GET" and self._get_pagination_parameters():
            for code in (400, 404):
                if str(code) not in responses:
                    error = OpenApiResponse(ApiErrorSerializer, description=_PAGE_ERROR_DESCRIPTIONS[code])
                    responses[str(code)] = self._get_response_for_code(error, str(code), direction=direction)
        return responses


_PAGE_ERROR_DESCRIPTIONS = {
    400: _(
        "An unknown query parameter (`errors` names it and the message lists the allowed ones), or a bad value: `page` and `page_size` are positive integers."
    ),
    404: _("The page is past the end of the list."),
}
