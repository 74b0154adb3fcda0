"""Admin forms of the partners app: the price-list upload."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from accounts.models import User

ALLOWED_EXTENSIONS = (".yaml", ".yml")


class PriceListUploadForm(forms.Form):
    """A YAML price list; managers also choose whose price list it is, partners upload their own."""

    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=User.objects.none(),
        widget=UnfoldAdminSelectWidget,
        help_text=_("The partner the price list belongs to."),
    )
    file = forms.FileField(
        label=_("Price-list file"),
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".yaml,.yml"}),
        help_text=_("A YAML file in the price-list format: shop, categories and goods."),
    )

    def __init__(self, *args, choose_partner: bool = True, initial_partner: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_partner:
            self.fields["partner"].queryset = User.objects.filter(type=User.Type.SHOP).order_by("username")
            if initial_partner is not None:
                self.fields["partner"].initial = initial_partner.pk
        else:
            del self.fields["partner"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_EXTENSIONS):
            raise forms.ValidationError(_("Upload a YAML file (.yaml or .yml)."), code="invalid_extension")
        limit = settings.PRICE_LIST_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
                code="too_large",
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."), code="empty")
        return upload
