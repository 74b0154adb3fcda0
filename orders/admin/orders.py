"""Admin of orders: the list, export, and the workflow of the whole order (each action moves every
shipment of the order that can move, through `orders.fulfilment`); the order page shows its shipments."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.formats.base_formats import CSV, XLSX
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeNumericFilter
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from catalog.admin_filters import VisibleShopFilter
from config.admin_base import LargeTableAdminMixin, OfferedFiltersOnlyMixin, finish_dialog, is_partner
from config.admin_exports import BackgroundExportMixin
from orders.admin.common import (
    MOVES,
    STATE_COLORS,
    CancelDialogForm,
    CancelSelectedForm,
    DayRangeFilter,
    TransitionDialogForm,
    bulk_move,
    money,
    state_label_html,
)
from orders.admin.inlines import OrderEventInline, OrderItemInline, ShipmentInline
from orders.fulfilment import SHIPMENT_TRANSITIONS, cancel_order, transition_order
from orders.models import Order, OrderItem, Shipment
from orders.selectors import lines_visible_to, orders_visible_to, with_partner_subtotal

State = Order.State


class ShopFilter(VisibleShopFilter):
    """Orders holding a line of one shop (a partner's own shops only)."""

    def filter_by_shop(self, queryset, shop_id: int):
        return queryset.filter(Exists(Shipment.objects.filter(order=OuterRef("pk"), shop_id=shop_id)))


class OrderResource(resources.ModelResource):
    state = fields.Field(attribute="get_state_display", column_name=_("state"))
    customer = fields.Field(attribute="user__username", column_name=_("customer"))
    customer_name = fields.Field(attribute="user__get_full_name", column_name=_("customer name"))
    email = fields.Field(attribute="user__email", column_name=_("email"))
    shops = fields.Field(column_name=_("shops"))

    class Meta:
        model = Order
        fields = [
            "id",
            "state",
            "customer",
            "customer_name",
            "email",
            "phone",
            "city",
            "delivery_address",
            "goods_total",
            "delivery_total",
            "total",
            "shops",
            "created_at",
            "confirmed_at",
        ]
        export_order = fields

    def dehydrate_shops(self, order):
        return ", ".join(sorted({line.offer.shop.name for line in order.admin_lines}))

    def get_export_headers(self, selected_fields=None):
        return [str(header) for header in super().get_export_headers(selected_fields)]


def _dialog_move(to_state, name, label, icon, *, detail: bool):
    def handler(self, request, form, object_id):
        note = form.cleaned_data.get("note", "")
        self.move_one(request, object_id, to_state, note=note)
        return finish_dialog(request, self.back_url(object_id, detail=detail))

    handler.__name__ = name
    return action(
        description=label,
        icon=icon,
        permissions=["transition"],
        variant=ActionVariant.PRIMARY if detail and to_state == State.CONFIRMED else ActionVariant.DEFAULT,
        dialog={
            "title": label,
            "description": _(
                "Every shipment of the order that can moves to “%(state)s”; the customer is emailed."
            )
            % {"state": State(to_state).label},
            "form_class": TransitionDialogForm,
            "form_submit_text": label,
        },
    )(handler)


def _dialog_cancel(name, *, detail: bool):
    def handler(self, request, form, object_id):
        self.cancel_one(request, object_id, reason=form.cleaned_data["reason"])
        return finish_dialog(request, self.back_url(object_id, detail=detail))

    handler.__name__ = name
    return action(
        description=_("Cancel order"),
        icon="cancel",
        permissions=["transition"],
        variant=ActionVariant.DANGER if detail else ActionVariant.DEFAULT,
        dialog={
            "title": _("Cancel order"),
            "description": _(
                "Every shipment not sent yet is canceled: its stock returns to the offers and the customer is "
                "emailed the reason."
            ),
            "form_class": CancelDialogForm,
            "form_submit_text": _("Cancel order"),
        },
    )(handler)


@admin.register(Order)
class OrderAdmin(LargeTableAdminMixin, OfferedFiltersOnlyMixin, BackgroundExportMixin, ModelAdmin):
    resource_classes = [OrderResource]
    export_form_class = ExportForm
    export_formats = [CSV, XLSX]
    list_per_page = 50
    list_filter_submit = True
    date_hierarchy = None
    inlines = [ShipmentInline, OrderItemInline, OrderEventInline]
    actions = [
        "confirm_selected",
        "assemble_selected",
        "send_selected",
        "deliver_selected",
        "cancel_selected",
    ]
    actions_row = ["confirm_row", "assemble_row", "send_row", "deliver_row", "cancel_row"]
    actions_detail = ["confirm_detail", "assemble_detail", "send_detail", "deliver_detail", "cancel_detail"]

    confirm_row = _dialog_move(*MOVES[0], detail=False)
    assemble_row = _dialog_move(*MOVES[1], detail=False)
    send_row = _dialog_move(*MOVES[2], detail=False)
    deliver_row = _dialog_move(*MOVES[3], detail=False)
    cancel_row = _dialog_cancel("cancel_row", detail=False)
    confirm_detail = _dialog_move(*MOVES[0], detail=True)
    assemble_detail = _dialog_move(*MOVES[1], detail=True)
    send_detail = _dialog_move(*MOVES[2], detail=True)
    deliver_detail = _dialog_move(*MOVES[3], detail=True)
    cancel_detail = _dialog_cancel("cancel_detail", detail=True)
    confirm_selected = bulk_move(
        State.CONFIRMED, "confirm_selected", _("Confirm selected orders"), "task_alt"
    )
    assemble_selected = bulk_move(
        State.ASSEMBLED, "assemble_selected", _("Mark selected orders assembled"), "inventory_2"
    )
    send_selected = bulk_move(State.SENT, "send_selected", _("Mark selected orders sent"), "local_shipping")
    deliver_selected = bulk_move(
        State.DELIVERED, "deliver_selected", _("Mark selected orders delivered"), "where_to_vote"
    )

    # --- visibility -----------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = orders_visible_to(request.user).select_related("user")
        lines = lines_visible_to(
            request.user,
            OrderItem.objects.select_related("offer__shop").only(
                "id", "order_id", "offer_id", "offer__shop_id", "offer__shop__name"
            ),
        )
        if request.user.is_partner:
            queryset = with_partner_subtotal(queryset, partner=request.user)
        return queryset.prefetch_related(Prefetch("items", queryset=lines, to_attr="admin_lines"))

    def get_list_display(self, request):
        if is_partner(request.user):
            return [
                "number",
                "state_badge",
                "customer_name",
                "phone",
                "partner_subtotal_display",
                "confirmed_at",
            ]
        return ["number", "state_badge", "customer", "total_display", "shops_display", "confirmed_at"]

    def get_list_filter(self, request):
        filters = [("state", ChoicesDropdownFilter), ShopFilter, ("confirmed_at", DayRangeFilter)]
        if not is_partner(request.user):
            filters.append(("total", RangeNumericFilter))
        return filters

    def get_search_fields(self, request):
        if is_partner(request.user):
            return ["=id", "phone"]
        return ["=id", "user__username", "user__email", "user__first_name", "user__last_name", "phone"]

    def get_search_results(self, request, queryset, search_term):
        # "#42" is an order number (the list shows numbers so); a bare "42" also matches phones and names.
        term = search_term.strip()
        if term.startswith("#"):
            number = term[1:]
            return (queryset.filter(pk=int(number)) if number.isdigit() else queryset.none()), False
        return super().get_search_results(request, queryset, search_term)

    def get_fieldsets(self, request, obj=None):
        if is_partner(request.user):
            return [
                (None, {"fields": ["current_state", "customer_name", "phone", "city", "delivery_address"]}),
                (_("Your lines"), {"fields": ["partner_subtotal_display"]}),
                (_("Dates"), {"fields": ["created_at", "confirmed_at"]}),
            ]
        return [
            (None, {"fields": ["current_state", "user", "customer_name", "email", "phone"]}),
            (_("Delivery"), {"fields": ["city", "delivery_address", "contact"]}),
            (_("Amount"), {"fields": ["goods_display", "delivery_display", "total_display"]}),
            (_("Dates"), {"fields": ["created_at", "confirmed_at", "updated_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [field for _name, options in self.get_fieldsets(request, obj) for field in options["fields"]]

    def has_export_permission(self, request):
        return not is_partner(request.user) and self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing on an order is edited by hand: its state moves only through the actions.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_transition_permission(self, request, obj=None):
        return not is_partner(request.user) and request.user.has_perm("orders.change_order")

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        if not actions or not str(object_id).isdigit():
            return []
        # A move of the order is offered when at least one of its shipments can make it.
        states = Shipment.objects.filter(
            order__in=orders_visible_to(request.user).filter(pk=object_id)
        ).values_list("state", flat=True)
        allowed = frozenset().union(*(SHIPMENT_TRANSITIONS[state] for state in set(states)))
        names = {f"{name}_detail": to_state for to_state, name, _label, _icon in MOVES}
        names["cancel_detail"] = State.CANCELED
        return [
            unfold_action
            for unfold_action in actions
            if names.get(unfold_action.action_name.rsplit("order_", 1)[-1]) in allowed
        ]

    # --- columns ----------------------------------------------------------------------------------

    @display(description=_("order"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @display(description=_("state"), ordering="state", label=STATE_COLORS)
    def state_badge(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("state"))
    def current_state(self, obj):
        return state_label_html(obj.state, obj.get_state_display())

    @display(description=_("customer name"))
    def customer_name(self, obj):
        return obj.user.get_full_name() or obj.user.username

    @display(description=_("email"))
    def email(self, obj):
        return obj.user.email

    @display(description=_("customer"), ordering="user__username")
    def customer(self, obj):
        name = obj.user.get_full_name()
        return f"{name} ({obj.user.username})" if name else obj.user.username

    @display(description=_("total"), ordering="total")
    def total_display(self, obj):
        return money(obj.total)

    @display(description=_("goods"))
    def goods_display(self, obj):
        return money(obj.goods_total)

    @display(description=_("delivery"))
    def delivery_display(self, obj):
        return money(obj.delivery_total)

    @display(description=_("your subtotal"))
    def partner_subtotal_display(self, obj):
        subtotal = getattr(obj, "partner_subtotal", None)
        return money(subtotal or 0)

    @display(description=_("shops"))
    def shops_display(self, obj):
        return ", ".join(sorted({line.offer.shop.name for line in obj.admin_lines})) or "—"

    # --- state changes ----------------------------------------------------------------------------

    def back_url(self, object_id, *, detail: bool) -> str:
        if detail:
            return reverse("admin:orders_order_change", args=[object_id])
        return reverse("admin:orders_order_changelist")

    def get_visible_order(self, request, object_id) -> Order:
        if not self.has_transition_permission(request):
            raise PermissionDenied
        order = (
            orders_visible_to(request.user).filter(pk=object_id).first() if str(object_id).isdigit() else None
        )
        if order is None:
            raise Http404(gettext("Order not found."))
        return order

    def move_one(self, request, object_id, to_state, *, note: str = "") -> bool:
        order = self.get_visible_order(request, object_id)
        try:
            moved = transition_order(order=order, to_state=to_state, actor=request.user, note=note)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return False
        if moved.state == to_state:
            message = gettext("Order #%(id)s is now “%(state)s”.") % {
                "id": order.pk,
                "state": State(to_state).label,
            }
        else:
            message = gettext(
                "The shipments of order #%(id)s that could moved to “%(to)s”; the order is “%(state)s”."
            ) % {"id": order.pk, "to": State(to_state).label, "state": moved.get_state_display()}
        self.message_user(request, message, messages.SUCCESS)
        return True

    def cancel_one(self, request, object_id, *, reason: str) -> bool:
        order = self.get_visible_order(request, object_id)
        try:
            canceled = cancel_order(order=order, actor=request.user, reason=reason)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return False
        if canceled.state == State.CANCELED:
            message = gettext("Order #%(id)s was canceled.") % {"id": order.pk}
        else:
            message = gettext(
                "The shipments of order #%(id)s not sent yet were canceled; the order is “%(state)s”."
            ) % {"id": order.pk, "state": canceled.get_state_display()}
        self.message_user(request, message, messages.SUCCESS)
        return True

    def move_many(self, request, queryset, to_state, *, note: str = "", cancel: bool = False) -> None:
        done = 0
        for order in queryset.order_by("pk"):
            try:
                if cancel:
                    cancel_order(order=order, actor=request.user, reason=note)
                else:
                    transition_order(order=order, to_state=to_state, actor=request.user, note=note)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d order is now “%(state)s”.", "%(count)d orders are now “%(state)s”.", done)
                % {"count": done, "state": State(to_state).label},
                messages.SUCCESS,
            )

    @action(description=_("Cancel selected orders"), icon="cancel", permissions=["transition"])
    def cancel_selected(self, request, queryset):
        form = CancelSelectedForm(request.POST if "confirm_cancel" in request.POST else None)
        if form.is_valid():
            self.move_many(request, queryset, State.CANCELED, note=form.cleaned_data["reason"], cancel=True)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cancel orders"),
            "opts": self.model._meta,
            "form": form,
            "orders": queryset.order_by("pk"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/order/cancel_selected.html", context)
