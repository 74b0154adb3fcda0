"""Writes of the accounts app: registration, email confirmation, API tokens, profile, contacts, password reset,
and the partner role."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from knox.models import get_token_model

from accounts.emails import queue_email
from accounts.login_limits import LoginRefused, counted_username, login_refusal
from accounts.models import MAX_CONTACTS_PER_USER, Contact, User
from accounts.partner_permissions import PARTNERS_GROUP
from config.api.client_address import client_rate_key

EMAIL_CONFIRMATION_SALT = "accounts.email-confirmation"
PROFILE_FIELDS = ("first_name", "last_name", "email", "company", "position")
CONTACT_FIELDS = ("city", "street", "house", "structure", "building", "apartment", "phone")
PHONE_REGION = "RU"


def _email_confirmation_max_age() -> int:
    return settings.EMAIL_CONFIRMATION_MAX_AGE


def _email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    """Another account has this address, or has it as its username: both sign in with the name
    (`accounts.selectors.user_for_login`), so one name must mean one account."""
    users = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


# --- Registration and email confirmation ---------------------------------------------------------


def make_email_confirmation_token(*, user: User) -> str:
    """A signed, timestamped token naming the user and the address being confirmed."""
    return signing.dumps({"user": user.pk, "email": user.email.lower()}, salt=EMAIL_CONFIRMATION_SALT)


def send_email_confirmation(*, user: User, idempotency_key: str | None = None) -> None:
    queue_email(
        idempotency_key=idempotency_key,
        to=[user.email],
        template="account_confirm_email",
        context={
            "user": user,
            "token": make_email_confirmation_token(user=user),
            "valid_days": max(1, _email_confirmation_max_age() // (24 * 3600)),
        },
        language=get_language(),
    )


@transaction.atomic
def register_user(
    *,
    username: str,
    password: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    position: str = "",
) -> User:
    """Create a buyer (never a partner) and email them a confirmation token."""
    errors: dict[str, list[Any]] = {}
    # A username that is another account's e-mail address would take that address's sign-in.
    if User.objects.filter(Q(username__iexact=username) | Q(email__iexact=username)).exists():
        errors["username"] = [ValidationError(_("A user with this username already exists."), code="unique")]
    if _email_taken(email):
        errors["email"] = [ValidationError(_("A user with this email already exists."), code="unique")]
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        company=company,
        position=position,
        type=User.Type.BUYER,
    )
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        errors["password"] = error.error_list
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two registrations with the same name or address at once: the database constraint decides.
        raise ValidationError(
            {
                "username": [
                    ValidationError(_("A user with this username or email already exists."), code="unique")
                ]
            }
        ) from None
    send_email_confirmation(user=user)
    return user


def confirm_email(*, token: str) -> User:
    """Mark the address verified when the token is genuine, fresh, and still names the current address."""
    invalid = ValidationError(
        {
            "token": [
                ValidationError(_("The confirmation link is invalid or has expired."), code="invalid_token")
            ]
        }
    )
    user = user_from_email_confirmation_token(token=token)
    if user is None:
        raise invalid
    if not (user.is_email_verified and user.has_ever_verified_email):
        user.is_email_verified = True
        user.has_ever_verified_email = True
        user.save(update_fields=["is_email_verified", "has_ever_verified_email"])
    return user


def user_from_email_confirmation_token(*, token: str) -> User | None:
    """The user a confirmation token is for, when it is genuine, fresh and names the current address.

    For the page that e-mail links open: it shows which address the button confirms.
    """
    try:
        confirm = signing.loads(token, salt=EMAIL_CONFIRMATION_SALT, max_age=_email_confirmation_max_age())
    except signing.BadSignature:
        return None
    if not isinstance(confirm, dict):
        return None
    user = User.objects.filter(pk=confirm.get("user"), is_active=True).first()
    if user is None or user.email.lower() != confirm.get("email"):
        return None
    return user


# One new confirmation e-mail per account in this many seconds, however many addresses ask for it: the
# resend endpoint must not become a way to flood someone's mailbox.
CONFIRMATION_RESEND_INTERVAL = 600


def resend_email_confirmation(*, email: str) -> None:
    """E-mail a new confirmation link to the active account with this address if it still waits for one.

    Says nothing about who exists (the caller answers the same either way). At most one message per
    account per `CONFIRMATION_RESEND_INTERVAL`: the outbox key names the interval, and a key is sent once.
    """
    user = (
        User.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=Lower(Value(email.strip())), is_active=True, is_email_verified=False)
        .exclude(email="")
        .first()
    )
    if user is None:
        return
    interval = int(time.time() // CONFIRMATION_RESEND_INTERVAL)
    address = hashlib.sha256(user.email.lower().encode()).hexdigest()[:16]
    send_email_confirmation(user=user, idempotency_key=f"account-{user.pk}-confirm-{address}-{interval}")


# --- API tokens -----------------------------------------------------------------------------------


def authenticate_credentials(
    *, password: str, username: str | None = None, email: str | None = None, request: Any = None
) -> User | None:
    """The active user with these credentials, or None when they are wrong.

    `username` is the username or the e-mail address (any case); `email` is the address only. Raises
    `LoginRefused` when the sign-in limits refused to check them (`accounts.login_limits`).
    """
    if email is not None:
        user = authenticate(request, email=email, password=password)
    else:
        user = authenticate(request, username=username, password=password)
    if user is None and request is not None:
        name = counted_username(email if email is not None else username or "", email_only=email is not None)
        refusal = login_refusal(username=name, address=client_rate_key(request))
        if refusal is not None:
            raise LoginRefused(refusal)
    return user


def issue_token(*, user: User) -> str:
    """A new API token; only its hash is stored, so the raw value exists in this answer only."""
    _instance, token = get_token_model().objects.create(user=user)
    return token


@transaction.atomic
def rotate_tokens(*, user: User) -> str:
    """Delete every token of the user and issue a new one: the old ones stop working at once."""
    get_token_model().objects.filter(user=user).delete()
    return issue_token(user=user)


# --- Profile --------------------------------------------------------------------------------------


@transaction.atomic
def update_profile(
    *,
    user: User,
    data: dict[str, Any],
    current_password: str | None = None,
    new_password: str | None = None,
    keep_token_digest: str | None = None,
) -> User:
    """Change profile fields and, when both are given, the password.

    A new email address is unverified until confirmed again. A password change ends every other API
    session of the user (the token of this request, `keep_token_digest`, keeps working).
    """
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationError(
            {
                field: [ValidationError(_("This field cannot be changed."), code="not_allowed")]
                for field in unknown
            }
        )
    errors: dict[str, list[Any]] = {}
    email_changed = "email" in data and data["email"].lower() != user.email.lower()
    if email_changed and _email_taken(data["email"], exclude_pk=user.pk):
        errors["email"] = [ValidationError(_("A user with this email already exists."), code="unique")]
    if (current_password is None) != (new_password is None):
        missing = "new_password" if new_password is None else "current_password"
        errors[missing] = [
            ValidationError(
                _("Send both current_password and new_password to change the password."), code="required"
            )
        ]
    elif new_password is not None:
        if not user.check_password(current_password):
            errors["current_password"] = [
                ValidationError(_("The current password is not correct."), code="wrong_password")
            ]
        else:
            for field, value in data.items():
                setattr(user, field, value)
            try:
                validate_password(new_password, user=user)
            except ValidationError as error:
                errors["new_password"] = error.error_list
    if errors:
        user.refresh_from_db()
        raise ValidationError(errors)

    for field, value in data.items():
        setattr(user, field, value)
    update_fields = list(data)
    if email_changed:
        user.is_email_verified = False
        update_fields.append("is_email_verified")
    if new_password is not None:
        user.set_password(new_password)
        update_fields.append("password")
    if update_fields:
        try:
            with transaction.atomic():
                user.save(update_fields=update_fields)
        except IntegrityError:
            user.refresh_from_db()
            raise ValidationError(
                {"email": [ValidationError(_("A user with this email already exists."), code="unique")]}
            ) from None
    if new_password is not None:
        others = get_token_model().objects.filter(user=user)
        if keep_token_digest:
            others = others.exclude(digest=keep_token_digest)
        others.delete()
    if email_changed and user.email:
        send_email_confirmation(user=user)
    return user


# --- Contacts -------------------------------------------------------------------------------------


def phone_in_e164(value: str) -> str | None:
    """The number in E.164 (`+79161234567`), or None when it is not a valid phone number.

    Numbers without a country code are read as Russian. Callers word their own error.
    """
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(value: str) -> str:
    """The number in E.164 (`+79161234567`); anything else is an error on the `phone` field."""
    normalized = phone_in_e164(value)
    if normalized is None:
        raise ValidationError(
            {
                "phone": [
                    ValidationError(
                        _("Enter a valid phone number, e.g. +7 916 123-45-67."), code="invalid_phone"
                    )
                ]
            }
        )
    return normalized


@transaction.atomic
def create_contact(*, user: User, data: dict[str, Any]) -> Contact:
    """Add a delivery address; a user has at most MAX_CONTACTS_PER_USER of them."""
    fields = {key: value for key, value in data.items() if key in CONTACT_FIELDS}
    fields["phone"] = normalize_phone(fields.get("phone", ""))
    # Lock the user row so that two concurrent additions cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if Contact.objects.filter(user=user).count() >= MAX_CONTACTS_PER_USER:
        raise ValidationError(
            _("You can keep at most %(limit)d contacts; delete one first.")
            % {"limit": MAX_CONTACTS_PER_USER},
            code="too_many_contacts",
        )
    return Contact.objects.create(user=user, **fields)


@transaction.atomic
def update_contact(*, contact: Contact, data: dict[str, Any]) -> Contact:
    fields = {key: value for key, value in data.items() if key in CONTACT_FIELDS}
    if "phone" in fields:
        fields["phone"] = normalize_phone(fields["phone"])
    for field, value in fields.items():
        setattr(contact, field, value)
    if fields:
        contact.save(update_fields=list(fields))
    return contact


def delete_contact(*, contact: Contact) -> None:
    """Orders keep their own snapshot of the address; their link to the contact is simply cleared."""
    contact.delete()


# --- Password reset -------------------------------------------------------------------------------


def make_password_reset_token(*, user: User) -> str:
    """`<uid>-<token>`: the user id (base64) and Django's one-time token for the current password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}-{default_token_generator.make_token(user)}"


def request_password_reset(*, email: str) -> None:
    """Email a reset token to every active user with this address; say nothing about who exists."""
    users = User.objects.filter(email__iexact=email, is_active=True).exclude(email="")
    for user in users:
        if not user.has_usable_password():
            continue
        queue_email(
            to=[user.email],
            template="account_password_reset",
            context={"user": user, "token": make_password_reset_token(user=user)},
            language=get_language(),
        )


def user_from_password_reset_token(*, token: str, uid: str | None = None) -> User | None:
    """The active user a reset token (`<uid>-<token>`, or the two parts) is for while it still works."""
    if uid is None:
        uid, separator, token = token.partition("-")
        if not separator:
            return None
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def reset_password(*, token: str, password: str, uid: str | None = None) -> User:
    """Set a new password from a reset token; the token then stops working, as do all API tokens."""
    user = user_from_password_reset_token(token=token, uid=uid)
    if user is None:
        raise ValidationError(
            {"token": [ValidationError(_("The reset link is invalid or has expired."), code="invalid_token")]}
        )
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    get_token_model().objects.filter(user=user).delete()
    return user


# --- Roles ----------------------------------------------------------------------------------------

# The group that gives partners their admin permissions; each app grants its own to it (migrations).


@transaction.atomic
def make_partner(*, user: User) -> User:
    """Turn a user into a partner: type shop, staff access, member of the "Partners" group."""
    group, _created = Group.objects.get_or_create(name=PARTNERS_GROUP)
    user.type = User.Type.SHOP
    user.is_staff = True
    user.save(update_fields=["type", "is_staff"])
    user.groups.add(group)
    return user
