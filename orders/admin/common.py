"""What the order and shipment admins share: state badges, money, the move dialogs, the date filter."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from orders.models import Order

State = Order.State

STATE_COLORS = {
    State.BASKET.value: "default",
    State.NEW.value: "info",
    State.CONFIRMED.value: "primary",
    State.ASSEMBLED.value: "warning",
    State.SENT.value: "warning",
    State.DELIVERED.value: "success",
    State.CANCELED.value: "danger",
}

# The moves the admin offers as buttons, in workflow order: (target state, action name, label, icon).
MOVES = [
    (State.CONFIRMED, "confirm", _("Confirm"), "task_alt"),
    (State.ASSEMBLED, "assemble", _("Assemble"), "inventory_2"),
    (State.SENT, "send", _("Send"), "local_shipping"),
    (State.DELIVERED, "deliver", _("Deliver"), "where_to_vote"),
]


def bulk_move(to_state, name, label, icon):
    """An admin action that moves the selected rows (orders or shipments) with the admin's `move_many`."""

    def handler(self, request, queryset):
        self.move_many(request, queryset, to_state)

    handler.__name__ = name
    return action(description=label, icon=icon, permissions=["transition"])(handler)


def money(value) -> str:
    return gettext("%(amount)s ₽") % {"amount": formats.number_format(value, 2, force_grouping=True)}


def state_label_html(state: str, label: str) -> str:
    return render_to_string("unfold/helpers/label.html", {"text": label, "type": STATE_COLORS[state]})


def htmx_origin(request, allowed_paths: set[str]) -> str | None:
    """The page a dialog was opened from (htmx sends it as `HX-Current-URL`), when it is one of ours.

    Only a path of this site among `allowed_paths` is taken, with its query (a list's filters), so a
    forged header cannot send the user anywhere else.
    """
    from urllib.parse import urlsplit

    url = request.headers.get("HX-Current-URL", "")
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    if parts.path not in allowed_paths:
        return None
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


class TransitionDialogForm(BaseDialogForm):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("Saved in the order history."),
    )


class SendDialogForm(BaseDialogForm):
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        required=False,
        max_length=100,
        widget=UnfoldAdminTextInputWidget(),
        help_text=_("The carrier's number; the customer gets it in the e-mail."),
    )
    note = TransitionDialogForm.base_fields["note"]


class CancelDialogForm(BaseDialogForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("The customer sees this reason in the cancellation email."),
    )


class CancelSelectedForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("The customers see this reason in the cancellation email."),
    )


class DayRangeFilter(RangeDateFilter):
    """Date range on a datetime: whole days in the current time zone, both ends included."""

    def queryset(self, request, queryset):
        from unfold.utils import parse_date_str

        filters = {}
        for suffix, lookup in (("from", "gte"), ("to", "lte")):
            raw = self.used_parameters.get(f"{self.parameter_name}_{suffix}")
            if raw:
                value = parse_date_str(raw)
                if value is None:
                    return queryset.none()
                filters[f"{self.parameter_name}__date__{lookup}"] = value
        return queryset.filter(**filters)
