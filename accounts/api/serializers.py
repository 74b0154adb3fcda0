"""Input and output shapes of the accounts API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from accounts.models import Contact, User
from config.api.inputs import StrictInputMixin


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "company",
            "position",
            "type",
            "is_email_verified",
        )
        read_only_fields = fields


class RegisterInputSerializer(StrictInputMixin, serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={
            "invalid": _("Use only letters, digits and @/./+/-/_ in the username."),
        },
    )
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    company = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    position = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class TokenInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1000)


_NAME_REQUIRED = _("Send your username or e-mail address.")


class CredentialsInputSerializer(serializers.Serializer):
    """`username` (the username or the e-mail address, any case) or `email`, and the password."""

    username = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text=_("The username or the e-mail address (any case)."),
    )
    email = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text=_("The e-mail address (any case), instead of `username`."),
    )
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    def to_internal_value(self, data: Any) -> Any:
        # A missing name is reported with the other missing fields, not after them.
        nameless = hasattr(data, "get") and not (data.get("username") or data.get("email"))
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if nameless and isinstance(error.detail, dict):
                error.detail.setdefault("username", [ErrorDetail(str(_NAME_REQUIRED), code="required")])
            raise
        if nameless:
            raise serializers.ValidationError({"username": [_NAME_REQUIRED]}, code="required")
        return attrs

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        username = attrs.pop("username", "") or ""
        email = attrs.pop("email", "") or ""
        if username and email and username.casefold() != email.casefold():
            raise serializers.ValidationError(
                {"email": [_("Send either username or email, not two different names.")]}, code="invalid"
            )
        if email:
            attrs["email"] = email
        else:
            attrs["username"] = username
        return attrs


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send it as `Authorization: Token <token>`."))


class MessageOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ProfileUpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    """PUT sends every profile field; PATCH any of them. A password change needs both password fields."""

    first_name = serializers.CharField(max_length=150, allow_blank=True)
    last_name = serializers.CharField(max_length=150, allow_blank=True)
    email = serializers.EmailField(max_length=254)
    company = serializers.CharField(max_length=100, allow_blank=True)
    position = serializers.CharField(max_length=100, allow_blank=True)
    current_password = serializers.CharField(
        max_length=128, required=False, trim_whitespace=False, write_only=True
    )
    new_password = serializers.CharField(
        max_length=128, required=False, trim_whitespace=False, write_only=True
    )


class ContactOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ("id", "city", "street", "house", "structure", "building", "apartment", "phone", "address")
        read_only_fields = fields

    address = serializers.CharField(read_only=True)


class ContactInputSerializer(StrictInputMixin, serializers.Serializer):
    city = serializers.CharField(max_length=100)
    street = serializers.CharField(max_length=200)
    house = serializers.CharField(max_length=20, required=False, allow_blank=True)
    structure = serializers.CharField(max_length=20, required=False, allow_blank=True)
    building = serializers.CharField(max_length=20, required=False, allow_blank=True)
    apartment = serializers.CharField(max_length=20, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, help_text=_("Any common format; stored as +79161234567."))


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInputSerializer(StrictInputMixin, serializers.Serializer):
    token = serializers.CharField(max_length=500, help_text=_("The token from the email (`<uid>-<token>`)."))
    uid = serializers.CharField(
        max_length=50, required=False, help_text=_("Only when the token is sent without its uid part.")
    )
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
