"""Admin forms of the catalog: a shop added or renamed by hand."""

from django import forms

from catalog.models import Shop
from catalog.services import check_shop_name


class ShopAdminForm(forms.ModelForm):
    """A shop added or changed in the admin: its name is cleaned and checked as an import's is."""

    class Meta:
        model = Shop
        fields = ["name", "owner", "url"]

    def clean_name(self):
        return check_shop_name(name=self.cleaned_data["name"], shop=self.instance)
