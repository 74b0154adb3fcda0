"""Admin forms of the catalog: a shop added or renamed by hand, and its delivery costs per city."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from catalog.cities import city_key, clean_city
from catalog.models import DeliveryRate, Shop
from catalog.services import check_shop_name


class ShopAdminForm(forms.ModelForm):
    """A shop added or changed in the admin: its name is cleaned and checked as an import's is."""

    class Meta:
        model = Shop
        fields = ["name", "owner", "url", "city", "default_delivery_cost", "free_delivery_from"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, a shop charges nothing for cities its tariff does not list.
        self.fields["default_delivery_cost"].required = False

    def clean_name(self):
        return check_shop_name(name=self.cleaned_data["name"], shop=self.instance)

    def clean_city(self):
        return clean_city(self.cleaned_data["city"])

    def clean_default_delivery_cost(self):
        cost = self.cleaned_data["default_delivery_cost"]
        return Decimal("0") if cost is None else cost


class DeliveryRateFormSet(forms.BaseInlineFormSet):
    """A shop's costs per city: one cost per city, cities compared as `catalog.cities.city_key` says.

    The unique key is derived from the city, so Django's own unique check (which skips fields the form
    does not show) would leave a duplicate to the database: this formset names it instead.
    """

    def clean(self):
        super().clean()
        seen: dict[str, str] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or self._should_delete_form(form):
                continue
            city = form.cleaned_data.get("city")
            if not city:
                continue
            key = city_key(city)
            if key in seen:
                form.add_error(
                    "city",
                    _("“%(city)s” is the same city as “%(other)s” above.")
                    % {"city": city, "other": seen[key]},
                )
            seen[key] = city
        if self.instance.pk and seen:
            # Rows saved meanwhile by someone else (not in this form) count too.
            others = (
                DeliveryRate.objects.filter(shop=self.instance, city_key__in=seen)
                .exclude(pk__in=[form.instance.pk for form in self.forms if form.instance.pk])
                .values_list("city", flat=True)
            )
            for city in others:
                raise ValidationError(
                    _("This shop already has a delivery cost for “%(city)s”; reload the page.")
                    % {"city": city}
                )


class DeliveryRateForm(forms.ModelForm):
    class Meta:
        model = DeliveryRate
        fields = ["city", "cost"]

    def clean_city(self):
        city = clean_city(self.cleaned_data["city"])
        if not city_key(city):
            raise ValidationError(_("Name the city."), code="required")
        return city
