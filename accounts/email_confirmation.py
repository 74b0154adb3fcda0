"""What an unconfirmed e-mail address stops, by the `EMAIL_CONFIRMATION` setting.

- `mandatory` (default): an API token (`/get_token/`, `/refresh_token/`) only for an account that has
  confirmed an address (`User.has_ever_verified_email`, kept when the address changes, or the current one
  confirmed, e.g. ticked by a manager); placing an order only with the current address confirmed.
- `optional`: signing in is allowed; placing an order needs the current address confirmed.
- `off`: nothing is checked (the original service's behaviour).

Each refusal is `EmailNotConfirmed` (a 403 with code `email_not_confirmed`) whose message says how to get
a new link. The admin's own sign-in is not affected: managers create and vouch for staff accounts.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import User

MANDATORY = "mandatory"
OPTIONAL = "optional"
OFF = "off"


class EmailNotConfirmed(PermissionDenied):
    """The action needs a confirmed e-mail address; the message says how to get a new link."""

    code = "email_not_confirmed"


def confirmation_mode() -> str:
    return settings.EMAIL_CONFIRMATION


def _how_to_get_a_link() -> str:
    return _(
        "Open the link in the confirmation e-mail, or ask for a new one: POST /register/confirm/resend/ "
        'with {"email": "<your address>"}.'
    )


def check_may_sign_in(*, user: User) -> None:
    """Raise `EmailNotConfirmed` when the setting refuses this user an API token."""
    if confirmation_mode() != MANDATORY or user.is_email_verified or user.has_ever_verified_email:
        return
    raise EmailNotConfirmed(_("Confirm your e-mail address before signing in.") + " " + _how_to_get_a_link())


def check_may_place_orders(*, user: User) -> None:
    """Raise `EmailNotConfirmed` when the setting refuses this user placing an order."""
    if confirmation_mode() == OFF or user.is_email_verified:
        return
    raise EmailNotConfirmed(
        _("Confirm your e-mail address (%(email)s) before placing orders.") % {"email": user.email}
        + " "
        + _how_to_get_a_link()
    )
