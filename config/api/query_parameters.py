"""Query parameters a listing declares: the names it reads, their aliases, and a 400 for any other."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings

SAFE_METHODS = ("GET", "HEAD")


class UnknownQueryParameter(exceptions.ValidationError):
    default_code = "unknown_parameter"


class DeclaredQueryParametersMixin:
    """A view whose GET reads only the query parameters it declares.

    `query_parameters` names what the view reads; `query_parameter_aliases` maps other names clients
    use to them (`{"shop_id": "shop"}`: the reference API's names). The paginator's parameters (`page`,
    `page_size`, `cursor`…) and DRF's `format` are allowed too. Any other name answers 400 naming the
    allowed ones: a typo (`?shoop=1`) must never answer with the unfiltered list as if it were filtered.

    Read the values through `declared_query_params()`, where each alias is folded into its name.
    """

    query_parameters: ClassVar[tuple[str, ...]] = ()
    query_parameter_aliases: ClassVar[dict[str, str]] = {}

    def allowed_query_parameters(self) -> list[str]:
        names = set(self.query_parameters) | set(self.query_parameter_aliases)
        paginator = getattr(self, "paginator", None)
        if paginator is not None:
            names |= {
                value
                for attribute in dir(paginator)
                if attribute.endswith("_query_param")
                and isinstance(value := getattr(paginator, attribute, None), str)
                and value
            }
        if api_settings.URL_FORMAT_OVERRIDE:
            names.add(api_settings.URL_FORMAT_OVERRIDE)
        return sorted(names)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method in SAFE_METHODS:
            self.check_query_parameters(request)

    def check_query_parameters(self, request: Request) -> None:
        allowed = self.allowed_query_parameters()
        unknown = sorted(set(request.query_params) - set(allowed))
        if unknown:
            message = _("Unknown query parameter. Allowed: %(allowed)s.") % {"allowed": ", ".join(allowed)}
            raise UnknownQueryParameter({name: [message] for name in unknown})
        for alias, name in self.query_parameter_aliases.items():
            both = alias in request.query_params and name in request.query_params
            if both and request.query_params.getlist(alias) != request.query_params.getlist(name):
                raise exceptions.ValidationError(
                    {
                        alias: [
                            _("Send either %(name)s or %(alias)s, not both.") % {"name": name, "alias": alias}
                        ]
                    },
                    code="invalid",
                )

    def declared_query_params(self) -> QueryDict:
        """The request's query parameters with every alias renamed to the name it stands for."""
        params = self.request.query_params.copy()
        for alias, name in self.query_parameter_aliases.items():
            if alias in params:
                values = params.pop(alias)
                if name not in params:
                    params.setlist(name, values)
        return params
