"""Admin of the accounts app: users (customers, partners, staff) and their delivery contacts."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from accounts.models import Contact, User
from accounts.partner_access import (
    OfferedFiltersOnlyMixin,
    PartnersCannotChangeMixin,
    is_partner_user,
    make_partner,
)
from accounts.services import normalize_phone

admin.site.unregister(Group)


class ManagersOnlyMixin(PartnersCannotChangeMixin):
    """People data is for managers: partners never see users or contacts, whatever their group grants."""

    def has_module_permission(self, request):
        return not is_partner_user(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return not is_partner_user(request.user) and super().has_view_permission(request, obj)


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
        "shop_count",
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
            {"fields": ["first_name", "last_name", "email", "is_email_verified", "company", "position"]},
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
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(shop_total=Count("shops", distinct=True))

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

    @display(description=_("shops"), ordering="shop_total")
    def shop_count(self, obj):
        return obj.shop_total

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
