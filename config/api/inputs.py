"""Input serializers that refuse fields they do not declare."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictInputMixin:
    """Input serializers with this mixin refuse fields they do not declare instead of ignoring them.

    A client that sends `type` or `is_staff` gets a 400 naming the field, so nobody believes a change
    went through when it did not.
    """

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError(
                    {key: [_("This field cannot be set here.")] for key in unknown}, code="not_allowed"
                )
        return super().to_internal_value(data)
