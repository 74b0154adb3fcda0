"""Admin of shipments: each shop's part of an order, listed for managers (all) and partners (their own
shops'), moved one by one or in bulk through `orders.fulfilment.move_shipment`."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import DropdownFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminTextInputWidget

from catalog.admin_filters import VisibleShopFilter
from config.admin_base import LargeTableAdminMixin, OfferedFiltersOnlyMixin, VisibleRowsMixin, finish_dialog
from orders.admin.common import (
    MOVES,
    STATE_COLORS,
    CancelDialogForm,
    CancelSelectedForm,
    DayRangeFilter,
    SendDialogForm,
    TransitionDialogForm,
    bulk_move,
    htmx_origin,
    money,
    state_label_html,
)
from orders.admin.inlines import ShipmentEventInline, ShipmentLineInline
from orders.fulfilment import SHIPMENT_TRANSITIONS, clean_tracking_number, move_shipment
from orders.models import Shipment
from orders.selectors import shipments_visible_to

State = Shipment.State
TO_SHIP = "to_ship"
TO_SHIP_STATES = (State.CONFIRMED, State.ASSEMBLED)


class ShipmentStateFilter(DropdownFilter):
    """One state, or "to ship": the shipments acknowledged and not sent yet."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(TO_SHIP, _("To ship (confirmed or assembled)")), *State.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == TO_SHIP:
            return queryset.filter(state__in=TO_SHIP_STATES)
        if value not in State.values:
            raise IncorrectLookupParameters("a state that does not exist")
        return queryset.filter(state=value)


class ShipmentShopFilter(VisibleShopFilter):
    """Shipments of one shop (a partner's own shops only)."""


def _move_dialog(to_state, *, detail: bool):
    """A row or detail action moving one shipment to `to_state` through a dialog (tracking number for
    `sent`, a reason for `canceled`, a note otherwise)."""
    if to_state == State.CANCELED:
        name, label, icon, form_class = "cancel", _("Cancel shipment"), "cancel", CancelDialogForm
        description = _("The shipment's stock returns to the offers and the customer is emailed the reason.")
        variant = ActionVariant.DANGER if detail else ActionVariant.DEFAULT
    else:
        name, label, icon = next((move[1], move[2], move[3]) for move in MOVES if move[0] == to_state)
        form_class = SendDialogForm if to_state == State.SENT else TransitionDialogForm
        description = _("The shipment moves to “%(state)s” and the customer is emailed.") % {
            "state": State(to_state).label
        }
        variant = ActionVariant.PRIMARY if detail and to_state == State.CONFIRMED else ActionVariant.DEFAULT

    def handler(self, request, form, object_id):
        data = form.cleaned_data
        self.move_one(
            request,
            object_id,
            to_state,
            note=data.get("reason") or data.get("note") or "",
            tracking_number=data.get("tracking_number", ""),
        )
        return finish_dialog(request, self.back_url(request, object_id, detail=detail))

    handler.__name__ = f"{name}_{'detail' if detail else 'row'}"
    return action(
        description=label,
        icon=icon,
        permissions=["transition"],
        variant=variant,
        dialog={
            "title": label,
            "description": description,
            "form_class": form_class,
            "form_submit_text": label,
        },
    )(handler)


@admin.register(Shipment)
class ShipmentAdmin(LargeTableAdminMixin, OfferedFiltersOnlyMixin, VisibleRowsMixin, ModelAdmin):
    visible_rows = shipments_visible_to
    list_per_page = 50
    list_filter_submit = True
    list_display = [
        "number",
        "order_number",
        "shop",
        "state_badge",
        "recipient",
        "city",
        "subtotal_display",
        "delivery_cost_display",
        "tracking_number",
        "created_at",
    ]
    list_select_related = ["order__user", "shop"]
    list_filter = [ShipmentStateFilter, ShipmentShopFilter, ("created_at", DayRangeFilter)]
    search_fields = ["tracking_number", "order__phone", "order__user__last_name", "order__user__first_name"]
    inlines = [ShipmentLineInline, ShipmentEventInline]
    fieldsets = [
        (None, {"fields": ["current_state", "order_number", "shop", "tracking_number", "cancel_reason"]}),
        (_("Delivery"), {"fields": ["recipient", "phone", "city", "delivery_address"]}),
        (_("Amount"), {"fields": ["subtotal_display", "delivery_cost_display"]}),
        (
            _("Dates"),
            {
                "fields": [
                    "created_at",
                    "confirmed_at",
                    "assembled_at",
                    "sent_at",
                    "delivered_at",
                    "canceled_at",
                ]
            },
        ),
    ]
    actions = [
        "confirm_selected",
        "assemble_selected",
        "send_selected",
        "deliver_selected",
        "cancel_selected",
    ]
    actions_row = ["confirm_row", "assemble_row", "send_row", "deliver_row", "cancel_row"]
    actions_detail = ["confirm_detail", "assemble_detail", "send_detail", "deliver_detail", "cancel_detail"]

    confirm_row = _move_dialog(State.CONFIRMED, detail=False)
    assemble_row = _move_dialog(State.ASSEMBLED, detail=False)
    send_row = _move_dialog(State.SENT, detail=False)
    deliver_row = _move_dialog(State.DELIVERED, detail=False)
    cancel_row = _move_dialog(State.CANCELED, detail=False)
    confirm_detail = _move_dialog(State.CONFIRMED, detail=True)
    assemble_detail = _move_dialog(State.ASSEMBLED, detail=True)
    send_detail = _move_dialog(State.SENT, detail=True)
    deliver_detail = _move_dialog(State.DELIVERED, detail=True)
    cancel_detail = _move_dialog(State.CANCELED, detail=True)
    confirm_selected = bulk_move(
        State.CONFIRMED, "confirm_selected", _("Confirm selected shipments"), "task_alt"
    )
    assemble_selected = bulk_move(
        State.ASSEMBLED, "assemble_selected", _("Mark selected shipments assembled"), "inventory_2"
    )
    deliver_selected = bulk_move(
        State.DELIVERED, "deliver_selected", _("Mark selected shipments delivered"), "where_to_vote"
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order__user", "shop")

    def get_search_results(self, request, queryset, search_term):
        # "#42" is a shipment number, as the list shows them; a bare number is a shipment or an order.
        term = search_term.strip()
        if term.startswith("#"):
            number = term[1:]
            return (queryset.filter(pk=int(number)) if number.isdigit() else queryset.none()), False
        if term.isdigit():
            found, duplicates = super().get_search_results(request, queryset, search_term)
            return found | queryset.filter(pk=int(term)) | queryset.filter(order_id=int(term)), duplicates
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request, obj=None):
        return [field for _name, options in self.fieldsets for field in options["fields"]]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing on a shipment is edited by hand: its state moves only through the actions.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_transition_permission(self, request, obj=None):
        return request.user.has_perm("orders.change_shipment")

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        if not actions or not str(object_id).isdigit():
            return []
        state = (
            shipments_visible_to(request.user).filter(pk=object_id).values_list("state", flat=True).first()
        )
        allowed = SHIPMENT_TRANSITIONS.get(state, frozenset())
        targets = {f"{name}_detail": to_state for to_state, name, _label, _icon in MOVES}
        targets["cancel_detail"] = State.CANCELED
        return [
            unfold_action
            for unfold_action in actions
            if targets.get(unfold_action.action_name.rsplit("shipment_", 1)[-1]) in allowed
        ]

    # --- columns ----------------------------------------------------------------------------------

    @display(description=_("shipment"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @display(description=_("order"), ordering="order_id")
    def order_number(self, obj):
        return format_html(
            '<a href="{}" class="text-primary-600">#{}</a>',
            reverse("admin:orders_order_change", args=[obj.order_id]),
            obj.order_id,
        )

    @display(description=_("state"), ordering="state", label=STATE_COLORS)
    def state_badge(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("state"))
    def current_state(self, obj):
        return state_label_html(obj.state, obj.get_state_display())

    @display(description=_("recipient"))
    def recipient(self, obj):
        return obj.order.user.get_full_name() or obj.order.user.username

    @display(description=_("phone"))
    def phone(self, obj):
        return obj.order.phone

    @display(description=_("city"))
    def city(self, obj):
        return obj.order.city or "—"

    @display(description=_("delivery address"))
    def delivery_address(self, obj):
        return obj.order.delivery_address

    @display(description=_("goods"), ordering="subtotal")
    def subtotal_display(self, obj):
        return money(obj.subtotal)

    @display(description=_("delivery cost"), ordering="delivery_cost")
    def delivery_cost_display(self, obj):
        return money(obj.delivery_cost)

    # --- moves ------------------------------------------------------------------------------------

    def back_url(self, request, object_id, *, detail: bool) -> str:
        """Back to the page the dialog was opened on (a filtered list, the shipment, its order's page)."""
        shipment = self.get_visible_shipment(request, object_id)
        allowed = {
            reverse("admin:orders_shipment_changelist"),
            reverse("admin:orders_shipment_change", args=[shipment.pk]),
            reverse("admin:orders_order_change", args=[shipment.order_id]),
        }
        origin = htmx_origin(request, allowed)
        if origin:
            return origin
        if detail:
            return reverse("admin:orders_shipment_change", args=[object_id])
        return reverse("admin:orders_shipment_changelist")

    def get_visible_shipment(self, request, object_id) -> Shipment:
        if not self.has_transition_permission(request):
            raise PermissionDenied
        shipment = (
            shipments_visible_to(request.user).filter(pk=object_id).first()
            if str(object_id).isdigit()
            else None
        )
        if shipment is None:
            raise Http404(gettext("Shipment not found."))
        return shipment

    def _moved_message(self, shipment: Shipment) -> str:
        return gettext("Shipment #%(id)s (%(shop)s) is now “%(state)s”.") % {
            "id": shipment.pk,
            "shop": shipment.shop.name,
            "state": shipment.get_state_display(),
        }

    def move_one(self, request, object_id, to_state, *, note: str = "", tracking_number: str = "") -> bool:
        shipment = self.get_visible_shipment(request, object_id)
        try:
            moved = move_shipment(
                shipment=shipment,
                to_state=to_state,
                actor=request.user,
                note=note,
                tracking_number=tracking_number,
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return False
        self.message_user(request, self._moved_message(moved), messages.SUCCESS)
        return True

    def move_many(self, request, queryset, to_state, *, note: str = "", tracking_numbers=None) -> None:
        done = 0
        for shipment in queryset.select_related("shop").order_by("pk"):
            try:
                move_shipment(
                    shipment=shipment,
                    to_state=to_state,
                    actor=request.user,
                    note=note,
                    tracking_number=(tracking_numbers or {}).get(shipment.pk, ""),
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d shipment is now “%(state)s”.", "%(count)d shipments are now “%(state)s”.", done
                )
                % {"count": done, "state": State(to_state).label},
                messages.SUCCESS,
            )

    def _selected_page(self, request, queryset, *, template: str, title: str, form, action_name: str):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "shipments": queryset.select_related("shop", "order__user").order_by("pk"),
            "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, template, context)

    @action(description=_("Send selected shipments"), icon="local_shipping", permissions=["transition"])
    def send_selected(self, request, queryset):
        """Ask for each shipment's tracking number (each may stay empty), then send them all."""
        shipments = list(queryset.order_by("pk"))
        form = SendSelectedForm(request.POST if "confirm_send" in request.POST else None, shipments=shipments)
        if form.is_valid():
            self.move_many(request, queryset, State.SENT, tracking_numbers=form.tracking_numbers())
            return None
        return self._selected_page(
            request,
            queryset,
            template="admin/orders/shipment/send_selected.html",
            title=gettext("Send shipments"),
            form=form,
            action_name="send_selected",
        )

    @action(description=_("Cancel selected shipments"), icon="cancel", permissions=["transition"])
    def cancel_selected(self, request, queryset):
        form = CancelSelectedForm(request.POST if "confirm_cancel" in request.POST else None)
        if form.is_valid():
            self.move_many(request, queryset, State.CANCELED, note=form.cleaned_data["reason"])
            return None
        return self._selected_page(
            request,
            queryset,
            template="admin/orders/shipment/cancel_selected.html",
            title=gettext("Cancel shipments"),
            form=form,
            action_name="cancel_selected",
        )


class SendSelectedForm(forms.Form):
    """One tracking-number field per shipment, `tracking_<pk>`, each optional."""

    def __init__(self, *args, shipments, **kwargs):
        super().__init__(*args, **kwargs)
        self.shipments = shipments
        for shipment in shipments:
            self.fields[f"tracking_{shipment.pk}"] = forms.CharField(
                label=gettext("Tracking number of shipment #%(id)s") % {"id": shipment.pk},
                required=False,
                max_length=100,
                widget=UnfoldAdminTextInputWidget(),
            )

    def clean(self):
        cleaned = super().clean()
        for shipment in self.shipments:
            name = f"tracking_{shipment.pk}"
            try:
                cleaned[name] = clean_tracking_number(cleaned.get(name, ""))
            except ValidationError as error:
                self.add_error(name, error)
        return cleaned

    def tracking_numbers(self) -> dict[int, str]:
        return {
            shipment.pk: self.cleaned_data.get(f"tracking_{shipment.pk}", "") for shipment in self.shipments
        }
