"""The one error shape of the API: the exception handler, its schema, and Django's error views."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# Business-rule codes that mean "the object is not in a state that allows this".
CONFLICT_CODES = frozenset({"invalid_transition", "not_a_basket", "state_conflict"})


def _flatten(detail: Any) -> Any:
    """DRF error details → plain strings, keeping the field structure."""
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


_NON_FIELD_KEYS = ("non_field_errors", "__all__")


def _error_paths(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as one flat mapping of path → messages, e.g. `contact.city` or `items[2].quantity`.

    Nested serializers report their errors as nested objects; flattening them keeps the documented
    shape (`errors` maps a name to a list of strings) and still says exactly where the problem is.
    A nested object's own errors (e.g. "expected an object") are filed under the object's name.
    """
    paths: dict[str, list[str]] = {}

    def add(path: str, messages: list[str]) -> None:
        paths.setdefault(path or "non_field_errors", []).extend(messages)

    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in _NON_FIELD_KEYS:
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub_path, messages in _error_paths(value, path).items():
                add(sub_path, messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            add(prefix, [str(item) for item in detail])
        else:
            for index, item in enumerate(detail):
                for sub_path, messages in _error_paths(item, f"{prefix}[{index}]").items():
                    add(sub_path, messages)
    else:
        add(prefix, [str(detail)])
    return paths


def _first_message(errors: Any) -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            message = _first_message(value)
            return message if key in _NON_FIELD_KEYS else f"{key}: {message}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def _first_code(codes: Any) -> str:
    if isinstance(codes, dict):
        return _first_code(next(iter(codes.values()), "invalid"))
    if isinstance(codes, list):
        return _first_code(codes[0]) if codes else "invalid"
    return str(codes)


def django_validation_error_to_drf(error: DjangoValidationError) -> exceptions.APIException:
    code = getattr(error, "code", None) or "invalid"
    if hasattr(error, "error_dict"):
        detail = {
            field: [msg for e in errs for msg in e.messages] for field, errs in error.error_dict.items()
        }
        codes = [e.code for errs in error.error_dict.values() for e in errs]
        code = codes[0] if codes and codes[0] else "invalid"
    else:
        detail = error.messages
        codes = [e.code for e in error.error_list]
        code = next((c for c in codes if c), code)
    exc = exceptions.ValidationError(detail, code=code)
    if code in CONFLICT_CODES:
        exc.status_code = status.HTTP_409_CONFLICT
    return exc


# Django's get_object_or_404 says "No Order matches the given query.": English whatever the language,
# and naming an internal class. It answers the translated "Not found." instead.
_GET_OBJECT_OR_404_MESSAGE = re.compile(r"No \w+ matches the given query\.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error answers `{"detail": str, "code": str, "errors": {...}?}` with its right status."""
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_drf(exc)
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        # Services say "not found" in the domain's words (a model's DoesNotExist with a message).
        message = str(exc)
        if not message or _GET_OBJECT_OR_404_MESSAGE.fullmatch(message):
            message = _("Not found.")
        exc = exceptions.NotFound(message)
    elif isinstance(exc, PermissionDenied):
        # A domain refusal may name itself (`code`, e.g. `email_not_confirmed`) for clients to act on.
        exc = exceptions.PermissionDenied(str(exc) or None, code=getattr(exc, "code", None))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        errors = _flatten(exc.detail)
        codes = exc.get_codes()
        body: dict[str, Any] = {"code": _first_code(codes)}
        if isinstance(errors, dict) and not (len(errors) == 1 and "detail" in errors):
            errors = _error_paths(exc.detail)
            body["detail"] = _first_message(errors)
            body["errors"] = errors
        elif isinstance(errors, list):
            body["detail"] = " ".join(errors)
            if len(errors) > 1:
                body["errors"] = {"non_field_errors": errors}
        else:
            body["detail"] = errors["detail"] if isinstance(errors, dict) else errors
        response.data = body
    return response


class ApiErrorSerializer(serializers.Serializer):
    """The one error shape, for the API schema."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Messages per field, when the input had problems."),
    )


def error_responses(*statuses: int) -> dict[int, Any]:
    """`responses=` entries for drf-spectacular: each status answers with the error shape."""
    from drf_spectacular.utils import OpenApiResponse

    return {
        code: OpenApiResponse(ApiErrorSerializer, description=_ERROR_DESCRIPTIONS[code]) for code in statuses
    }


_ERROR_DESCRIPTIONS = {
    400: _("Invalid input: `errors` names every field with its problems."),
    401: _("No token, or an invalid or expired token or credentials."),
    403: _("Not allowed for this user."),
    404: _("Not found (or not yours)."),
    405: _("Method not allowed."),
    409: _("The object is not in a state that allows this."),
    413: _("The upload is too large."),
    429: _("Too many requests: try again later."),
}


# --- Errors outside DRF views (unknown URLs, crashes): the same JSON shape, except in the admin ------


def _is_admin_path(request: Any) -> bool:
    return request.path.startswith("/admin/")


def _error_response(detail: Any, code: str, status_code: int) -> Any:
    return JsonResponse(
        {"detail": str(detail), "code": code}, status=status_code, json_dumps_params={"ensure_ascii": False}
    )


def page_not_found(request: Any, exception: Exception | None = None) -> Any:
    """`handler404`: an unknown API path answers in the error shape; the admin keeps its HTML page."""
    if _is_admin_path(request):
        return defaults.page_not_found(request, exception)
    return _error_response(_("Not found."), "not_found", 404)


def bad_request(request: Any, exception: Exception | None = None) -> Any:
    """`handler400`: e.g. a request for a host that is not allowed, or a suspicious request."""
    if _is_admin_path(request):
        return defaults.bad_request(request, exception)
    return _error_response(_("Bad request."), "bad_request", 400)


def permission_denied(request: Any, exception: Exception | None = None) -> Any:
    """`handler403`: e.g. a failed CSRF check outside DRF."""
    if _is_admin_path(request):
        return defaults.permission_denied(request, exception)
    return _error_response(_("Permission denied."), "permission_denied", 403)


def server_error(request: Any) -> Any:
    """`handler500`: never a stack trace; the error is logged by Django with the request id."""
    if _is_admin_path(request):
        return defaults.server_error(request)
    return _error_response(_("Server error."), "server_error", 500)
