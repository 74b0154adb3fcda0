"""Admin of the accounts app: users (customers, partners, staff), their delivery contacts, outgoing emails,
sign-in lockouts."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from accounts.emails import message_id_for, retry_failed_emails
from accounts.login_limits import clear_login_failures
from accounts.models import Contact, LoginFailure, OutboxEmail, User
from accounts.services import make_partner, normalize_phone
from config.admin_base import ManagersOnlyMixin, OfferedFiltersOnlyMixin, is_partner

admin.site.unregister(Group)


class ContactForm(forms.ModelForm):
    """A contact saved here holds its phone in E.164, checked as the API checks it, so it can place an order."""

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["phone"]) from None


class ContactInline(ManagersOnlyMixin, TabularInline):
    model = Contact
    form = ContactForm
    show_title = False
    extra = 0
    fields = ["city", "street", "house", "structure", "building", "apartment", "phone"]
    tab = True


@admin.register(User)
class UserAdmin(OfferedFiltersOnlyMixin, ManagersOnlyMixin, BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = [
        "username",
        "full_name",
        "email",
        "type_badge",
        "company",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = [("type", ChoicesDropdownFilter), "is_staff", "is_active", "is_email_verified", "groups"]
    list_filter_submit = True
    search_fields = ["username", "email", "first_name", "last_name", "company", "contacts__phone"]
    ordering = ["username"]
    inlines = [ContactInline]
    actions = ["make_partners"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            _("Personal info"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "email",
                    "is_email_verified",
                    "has_ever_verified_email",
                    "company",
                    "position",
                ]
            },
        ),
        (_("Role"), {"fields": ["type", "is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Permissions"), {"classes": ["collapse"], "fields": ["user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "email", "type", "usable_password", "password1", "password2"],
            },
        ),
    ]
    readonly_fields = ["last_login", "date_joined", "has_ever_verified_email"]

    def get_inlines(self, request, obj):
        # The add page only sets the login; contacts are added on the next page, like the rest.
        return self.inlines if obj is not None else []

    @display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @display(
        description=_("type"),
        ordering="type",
        label={User.Type.BUYER.value: "info", User.Type.SHOP.value: "success"},
    )
    def type_badge(self, obj):
        return obj.type, obj.get_type_display()

    @action(description=_("Make partner"), icon="storefront", permissions=["change"])
    def make_partners(self, request, queryset):
        count = 0
        for user in queryset:
            make_partner(user=user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d user is now a partner.", "%(count)d users are now partners.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Group)
class GroupAdmin(OfferedFiltersOnlyMixin, ManagersOnlyMixin, BaseGroupAdmin, ModelAdmin):
    pass


@admin.register(Contact)
class ContactAdmin(OfferedFiltersOnlyMixin, ManagersOnlyMixin, ModelAdmin):
    form = ContactForm
    list_display = ["user", "city", "address_display", "phone", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "city", "street", "phone"]
    list_filter = ["city"]
    autocomplete_fields = ["user"]

    @display(description=_("address"))
    def address_display(self, obj):
        return obj.address


@admin.register(OutboxEmail)
class OutboxEmailAdmin(OfferedFiltersOnlyMixin, ManagersOnlyMixin, ModelAdmin):
    """What the outbox holds and how sending went; rows change only through the sending code.

    The bodies are never shown: a pending message may carry a one-time link (a password reset) that
    would let whoever reads it into someone else's account.
    """

    list_display = [
        "created_at",
        "status_badge",
        "recipients_display",
        "subject",
        "attempts",
        "next_attempt_display",
        "last_error",
        "sent_at",
    ]
    list_filter = [("status", ChoicesDropdownFilter)]
    list_filter_submit = True
    search_fields = ["key", "subject", "recipients_text"]
    ordering = ["-created_at", "-id"]
    actions = ["retry_now"]
    fields = [
        "key",
        "message_id",
        "status_badge",
        "recipients_display",
        "subject",
        "attempts",
        "next_attempt_at",
        "queued_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The recipients as text, so that a manager can search for an address.
        return super().get_queryset(request).annotate(recipients_text=Cast("recipients", TextField()))

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request, obj=None):
        return not is_partner(request.user) and request.user.has_perm("accounts.change_outboxemail")

    @display(
        description=_("status"),
        ordering="status",
        label={
            OutboxEmail.Status.PENDING.value: "info",
            OutboxEmail.Status.SENDING.value: "warning",
            OutboxEmail.Status.SENT.value: "success",
            OutboxEmail.Status.FAILED.value: "danger",
        },
    )
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("recipients"))
    def recipients_display(self, obj):
        return ", ".join(obj.recipients) or "—"

    @display(description=_("next attempt"), ordering="next_attempt_at")
    def next_attempt_display(self, obj):
        # Sent and failed rows have no next attempt; the stored time means nothing for them.
        if obj.status in (OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING):
            return obj.next_attempt_at
        return "—"

    @display(description=_("Message-ID"))
    def message_id(self, obj):
        return message_id_for(obj.key)

    @action(description=_("Retry now"), icon="send", permissions=["retry"])
    def retry_now(self, request, queryset):
        selected = queryset.count()
        count = retry_failed_emails(emails=queryset)
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d failed email is queued again.",
                    "%(count)d failed emails are queued again.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        if count < selected:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected email has not failed and was left as it is.",
                    "%(count)d selected emails have not failed and were left as they are.",
                    selected - count,
                )
                % {"count": selected - count},
                messages.WARNING,
            )


class LockedNowFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Locked now")), ("no", _("Counting"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=timezone.now())
        if self.value() == "no":
            return queryset.exclude(locked_until__gt=timezone.now())
        return queryset


@admin.register(LoginFailure)
class LoginFailureAdmin(OfferedFiltersOnlyMixin, ManagersOnlyMixin, ModelAdmin):
    """Failed sign-ins per username and client address; a manager unlocks by clearing them.

    Clearing every row of a username also lifts the limit on the account as a whole.
    """

    list_display = ["username", "address", "failures", "first_failure_at", "last_failure_at", "state"]
    list_filter = [LockedNowFilter]
    search_fields = ["username", "address"]
    ordering = ["-last_failure_at"]
    actions = ["unlock"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        # Counts come only from sign-in attempts; a manager may look at them or clear them.
        return False

    @display(description=_("state"), label={"locked": "danger", "counting": "info"})
    def state(self, obj):
        now = timezone.now()
        if obj.locked_until is not None and obj.locked_until > now:
            locked_until = timezone.localtime(obj.locked_until)
            shown = locked_until.strftime(
                "%H:%M" if locked_until.date() == timezone.localtime(now).date() else "%d.%m.%Y %H:%M"
            )
            return "locked", _("Locked until %(time)s") % {"time": shown}
        return "counting", _("Counting")

    @action(description=_("Unlock"), icon="lock_open", permissions=["delete"])
    def unlock(self, request, queryset):
        count = clear_login_failures(failures=queryset)
        self.message_user(
            request,
            ngettext("%(count)d sign-in lockout cleared.", "%(count)d sign-in lockouts cleared.", count)
            % {"count": count},
            messages.SUCCESS,
        )
