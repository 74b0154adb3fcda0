"""Accounts API: registration, tokens, the profile, delivery contacts and password reset."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    ContactInputSerializer,
    ContactOutputSerializer,
    CredentialsInputSerializer,
    MessageOutputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    ProfileUpdateInputSerializer,
    RegisterInputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
    UserOutputSerializer,
)
from accounts.email_confirmation import check_may_sign_in
from accounts.login_limits import LoginRefused
from accounts.selectors import contacts_visible_to
from config.api.errors import error_responses
from config.api.query_parameters import DeclaredQueryParametersMixin
from config.api.throttling import AnonThrottle, LoginThrottle, PasswordResetThrottle, RegisterThrottle

PASSWORD_RESET_SENT = _("If an account with this email exists, we have sent it a password reset link.")


class PublicAPIView(APIView):
    """An endpoint for anonymous clients: a stray or stale token header must not get in the way."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_authenticate_header(self, request):
        # Wrong credentials stay a 401 (DRF turns a 401 without this header into a 403).
        return "Token"


class RegisterView(PublicAPIView):
    throttle_classes = (AnonThrottle, RegisterThrottle)

    @extend_schema(
        tags=["accounts"],
        summary="Register a buyer account",
        request=RegisterInputSerializer,
        responses={201: UserOutputSerializer, **error_responses(400, 429)},
    )
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class RegisterConfirmView(PublicAPIView):
    throttle_classes = (AnonThrottle, RegisterThrottle)

    @extend_schema(
        tags=["accounts"],
        summary="Confirm the email address with the token from the confirmation email",
        request=TokenInputSerializer,
        responses={200: UserOutputSerializer, **error_responses(400, 429)},
    )
    def post(self, request):
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.confirm_email(token=serializer.validated_data["token"])
        return Response(UserOutputSerializer(user).data)


CONFIRMATION_RESENT = _(
    "If an account with this address is waiting for confirmation, we have sent it a new link."
)


class RegisterConfirmResendView(PublicAPIView):
    throttle_classes = (AnonThrottle, RegisterThrottle)

    @extend_schema(
        tags=["accounts"],
        summary="E-mail a new confirmation link",
        description=(
            "Answers the same whether or not the address belongs to an account, and whether or not it is "
            "confirmed already. One e-mail per account every 10 minutes at most."
        ),
        request=PasswordResetInputSerializer,
        responses={200: MessageOutputSerializer, **error_responses(400, 429)},
    )
    def post(self, request):
        serializer = PasswordResetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.resend_email_confirmation(email=serializer.validated_data["email"])
        return Response({"detail": str(CONFIRMATION_RESENT)})


class LoginLocked(exceptions.Throttled):
    """429 with `Retry-After`: the sign-in limits refused to check these credentials."""

    default_code = "login_locked"

    def __init__(self, error: LoginRefused) -> None:
        super().__init__(detail=error.refusal.message)
        # Set after DRF's constructor, which would otherwise append its own English "Expected available".
        self.wait = error.refusal.retry_after


class _CredentialsView(PublicAPIView):
    throttle_classes = (AnonThrottle, LoginThrottle)

    def user_from_credentials(self, request):
        serializer = CredentialsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = services.authenticate_credentials(request=request, **serializer.validated_data)
        except LoginRefused as error:
            raise LoginLocked(error) from None
        if user is None:
            raise exceptions.AuthenticationFailed(
                _("Unable to log in with the provided username and password."), code="invalid_credentials"
            )
        # Only after the password was right: the refusal tells nothing to someone who does not know it.
        check_may_sign_in(user=user)
        return user


class GetTokenView(_CredentialsView):
    @extend_schema(
        tags=["accounts"],
        summary="Get an API token",
        description=(
            "Sign in with `username` (the username, or the e-mail address in any case) or `email`, and "
            "`password`. The token is shown only here; the server keeps only its hash. An account that "
            "has never confirmed an e-mail address gets 403 `email_not_confirmed` while "
            "EMAIL_CONFIRMATION is `mandatory` (the default)."
        ),
        request=CredentialsInputSerializer,
        responses={200: TokenOutputSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        user = self.user_from_credentials(request)
        return Response({"token": services.issue_token(user=user)})


class RefreshTokenView(_CredentialsView):
    @extend_schema(
        tags=["accounts"],
        summary="Replace all API tokens of the user with a new one",
        request=CredentialsInputSerializer,
        responses={200: TokenOutputSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        user = self.user_from_credentials(request)
        return Response({"token": services.rotate_tokens(user=user)})


class UserView(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="The current user",
        responses={200: UserOutputSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)

    def _update(self, request, *, partial: bool):
        serializer = ProfileUpdateInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        current_password = data.pop("current_password", None)
        new_password = data.pop("new_password", None)
        user = services.update_profile(
            user=request.user,
            data=data,
            current_password=current_password,
            new_password=new_password,
            keep_token_digest=getattr(request.auth, "digest", None),
        )
        return Response(UserOutputSerializer(user).data)

    @extend_schema(
        tags=["accounts"],
        summary="Change some profile fields (or the password)",
        description=(
            "Any of first_name, last_name, email, company, position; `current_password` with "
            "`new_password` changes the password and ends the user's other API sessions. A new email "
            "must be confirmed again. Any other field (type, is_staff, username...) is refused with 400."
        ),
        request=ProfileUpdateInputSerializer,
        responses={200: UserOutputSerializer, **error_responses(400, 401)},
    )
    def patch(self, request):
        return self._update(request, partial=True)

    @extend_schema(
        tags=["accounts"],
        summary="Replace the profile",
        request=ProfileUpdateInputSerializer,
        responses={200: UserOutputSerializer, **error_responses(400, 401)},
    )
    def put(self, request):
        return self._update(request, partial=False)


class ContactListView(DeclaredQueryParametersMixin, APIView):
    pagination_class = None

    @extend_schema(
        tags=["accounts"],
        summary="The user's delivery contacts",
        responses={200: ContactOutputSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        return Response(ContactOutputSerializer(contacts_visible_to(request.user), many=True).data)

    @extend_schema(
        tags=["accounts"],
        summary="Add a delivery contact (at most 5)",
        request=ContactInputSerializer,
        responses={201: ContactOutputSerializer, **error_responses(400, 401)},
    )
    def post(self, request):
        serializer = ContactInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = services.create_contact(user=request.user, data=serializer.validated_data)
        return Response(ContactOutputSerializer(contact).data, status=status.HTTP_201_CREATED)


class ContactDetailView(APIView):
    def get_contact(self, request, contact_id: int):
        return get_object_or_404(contacts_visible_to(request.user), pk=contact_id)

    @extend_schema(
        tags=["accounts"],
        summary="One delivery contact",
        responses={200: ContactOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request, contact_id: int):
        return Response(ContactOutputSerializer(self.get_contact(request, contact_id)).data)

    @extend_schema(
        tags=["accounts"],
        summary="Change a delivery contact",
        request=ContactInputSerializer,
        responses={200: ContactOutputSerializer, **error_responses(400, 401, 404)},
    )
    def patch(self, request, contact_id: int):
        contact = self.get_contact(request, contact_id)
        serializer = ContactInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        contact = services.update_contact(contact=contact, data=serializer.validated_data)
        return Response(ContactOutputSerializer(contact).data)

    @extend_schema(
        tags=["accounts"],
        summary="Delete a delivery contact (orders keep their own copy of the address)",
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request, contact_id: int):
        services.delete_contact(contact=self.get_contact(request, contact_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicAPIView):
    throttle_classes = (AnonThrottle, PasswordResetThrottle)

    @extend_schema(
        tags=["accounts"],
        summary="Email a password reset token",
        description="Answers the same whether or not the address belongs to an account.",
        request=PasswordResetInputSerializer,
        responses={200: MessageOutputSerializer, **error_responses(400, 429)},
    )
    def post(self, request):
        serializer = PasswordResetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_password_reset(email=serializer.validated_data["email"])
        return Response({"detail": str(PASSWORD_RESET_SENT)})


class PasswordResetConfirmView(PublicAPIView):
    throttle_classes = (AnonThrottle, PasswordResetThrottle)

    @extend_schema(
        tags=["accounts"],
        summary="Set a new password with the token from the reset email",
        description="Every API token of the user stops working.",
        request=PasswordResetConfirmInputSerializer,
        responses={200: MessageOutputSerializer, **error_responses(400, 429)},
    )
    def post(self, request):
        serializer = PasswordResetConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.reset_password(**serializer.validated_data)
        return Response({"detail": str(_("Your password has been changed. Get a new token to continue."))})
