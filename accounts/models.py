"""Users (buyers and partners), their delivery contacts, and the outbox of emails to send."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_CONTACTS_PER_USER = 5


class User(AbstractUser):
    class Type(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        SHOP = "shop", _("Partner")

    email = models.EmailField(_("email address"), blank=True)
    type = models.CharField(_("type"), max_length=5, choices=Type.choices, default=Type.BUYER)
    company = models.CharField(_("company"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    is_email_verified = models.BooleanField(_("email verified"), default=False)
    # Kept when the address changes: with EMAIL_CONFIRMATION=mandatory an account that once proved an
    # address still signs in while it confirms a new one (accounts.email_confirmation).
    has_ever_verified_email = models.BooleanField(
        _("has verified an address"),
        default=False,
        # Rows written by code that predates the column (older migrations' models) read as "never".
        db_default=False,
        help_text=_("The account has confirmed an e-mail address at least once (this or an earlier one)."),
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_ci_unique",
                violation_error_message=_("A user with this email already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    # The two roles of the back office, defined here once; every visibility rule reads them.

    @property
    def is_partner(self) -> bool:
        """A supplier: works on its own shops' data only, in the admin (partners are staff, so that they
        can sign in there) and through the partner API. A superuser is a manager, whatever its type."""
        return self.type == self.Type.SHOP and not self.is_superuser

    @property
    def is_manager(self) -> bool:
        """Runs the whole store: a superuser, or active staff who is not a partner."""
        return self.is_active and (self.is_superuser or (self.is_staff and not self.is_partner))


class Contact(models.Model):
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="contacts")
    city = models.CharField(_("city"), max_length=100)
    street = models.CharField(_("street"), max_length=200)
    house = models.CharField(_("house"), max_length=20, blank=True)
    structure = models.CharField(_("structure"), max_length=20, blank=True)
    building = models.CharField(_("building"), max_length=20, blank=True)
    apartment = models.CharField(_("apartment"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=32)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.address}, {self.phone}"

    @property
    def address(self) -> str:
        parts = [self.city, self.street]
        labels = (
            (self.house, _("h.")),
            (self.structure, _("str.")),
            (self.building, _("bld.")),
            (self.apartment, _("apt.")),
        )
        parts += [f"{label} {value}" for value, label in labels if value]
        return ", ".join(str(p) for p in parts if p)


class OutboxEmail(models.Model):
    """One email to send, written in the transaction of what caused it and sent by a worker.

    The row is the email's whole state: the worker that claims it sends it; an error puts it back to
    pending with a later `next_attempt_at`. `accounts.emails` owns every change of it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(
        _("key"),
        max_length=200,
        unique=True,
        help_text=_("Names the message: one key is sent at most once."),
    )
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.TextField(_("subject"))
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt"),
        default=timezone.now,
        help_text=_("Pending: not sent before this time. Sending: taken again after it (a worker stopped)."),
    )
    # When the row was last handed to the broker; empty when no task for it is waiting in a queue.
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's look-up: rows waiting for a (new) attempt, oldest due first.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="outbox_email_due",
            ),
            models.Index(fields=["status", "-created_at"], name="outbox_email_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="sent", sent_at__isnull=False)
                | (~models.Q(status="sent") & models.Q(sent_at__isnull=True)),
                name="outbox_email_sent_at_iff_sent",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class LoginFailure(models.Model):
    """Failed sign-ins with one username from one client address in the current counting window.

    The username is stored as typed (case-folded), whether or not such a user exists, so the answers
    never tell which usernames are real. `accounts.login_limits` owns the rules.
    """

    username = models.CharField(_("username"), max_length=150)
    address = models.CharField(_("client address"), max_length=64)
    failures = models.PositiveIntegerField(_("failed attempts"), default=0)
    first_failure_at = models.DateTimeField(_("first failure"))
    last_failure_at = models.DateTimeField(_("last failure"), db_index=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("sign-in lockout")
        verbose_name_plural = _("sign-in lockouts")
        ordering = ["-last_failure_at"]
        constraints = [
            models.UniqueConstraint(fields=["username", "address"], name="login_failure_username_address"),
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.address}"


class KnownLoginAddress(models.Model):
    """A client address a username recently signed in from: its owner is not refused there when the
    account as a whole is under attack (see `accounts.login_limits`)."""

    username = models.CharField(_("username"), max_length=150)
    address = models.CharField(_("client address"), max_length=64)
    last_login_at = models.DateTimeField(_("last sign-in"), db_index=True)

    class Meta:
        verbose_name = _("known sign-in address")
        verbose_name_plural = _("known sign-in addresses")
        ordering = ["-last_login_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["username", "address"], name="known_login_address_username_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.address}"
