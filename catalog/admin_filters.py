"""Admin list filters other apps' admins share: one shop, among the shops the user may see."""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import DropdownFilter

from catalog.models import Shop
from catalog.selectors import shops_visible_to


class VisibleShopFilter(DropdownFilter):
    """Rows of one shop: a partner is offered, and may ask for, only its own shops.

    Another partner's shop, an unknown id or not a number answers as a wrong filter does: filtering by a
    shop the partner cannot see would tell it which of its rows also concern that shop. Subclasses say
    how their rows belong to a shop (`filter_by_shop`).
    """

    title = _("shop")
    parameter_name = "shop"

    def lookups(self, request, model_admin):
        shops = shops_visible_to(request.user, Shop.objects.order_by("name"))
        return [(str(pk), name) for pk, name in shops.values_list("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value not in {pk for pk, _name in self.lookup_choices}:
            raise IncorrectLookupParameters("a shop that is not offered")
        return self.filter_by_shop(queryset, int(value))

    def filter_by_shop(self, queryset, shop_id: int):
        return queryset.filter(shop_id=shop_id)
