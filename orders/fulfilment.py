"""Moving shipments: each shop's part of an order moves on its own, and the order's state follows.

    new ──▶ confirmed ──▶ assembled ──▶ sent ──▶ delivered
     │          │             │
     └──────────┴─────────────┴──▶ canceled (its stock returned, a reason kept)

The order's state is derived (`derived_order_state`): the least advanced state of its shipments that
are not canceled, `canceled` when all are. It is stored on the order and rewritten in the transaction
of every move, under the lock of the order row, so two partners moving their parts of one order at the
same moment both apply, one after the other, and the order ends in the right state.

Locks, always in this order, so no two writers can deadlock: the order row, then its shipment rows by
primary key, then offers by primary key in one pass (as placing an order and the price-list import do).

Stock (README, "Stock rule"): `new → confirmed` is the partner's acknowledgement and releases the
reservation of that shipment's lines; canceling a shipment returns its lines' units, and their
reservation too while it is still `new`. A `sent` shipment cannot be canceled: the goods have left the
warehouse, and a return is handled outside this flow. `delivered` and `canceled` are final.

Every move writes an `OrderEvent` naming the shipment and e-mails the customer after commit (through
the outbox, in the same transaction). A move of every shipment of an order at once (`transition_order`,
`cancel_order`) is one set of statements whatever the number of shops and lines.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from orders import emails, stock
from orders.models import Order, OrderEvent, OrderItem, Shipment

State = Order.State
ShipmentState = Shipment.State

# A shipment's moves.
SHIPMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    ShipmentState.NEW: frozenset({ShipmentState.CONFIRMED, ShipmentState.CANCELED}),
    ShipmentState.CONFIRMED: frozenset({ShipmentState.ASSEMBLED, ShipmentState.CANCELED}),
    ShipmentState.ASSEMBLED: frozenset({ShipmentState.SENT, ShipmentState.CANCELED}),
    ShipmentState.SENT: frozenset({ShipmentState.DELIVERED}),
    ShipmentState.DELIVERED: frozenset(),
    ShipmentState.CANCELED: frozenset(),
}

# The same table seen from an order in its derived state; a basket moves only through `confirm_order`.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {State.BASKET: frozenset(), **SHIPMENT_TRANSITIONS}

# From the least to the most advanced.
PROGRESS = [
    ShipmentState.NEW,
    ShipmentState.CONFIRMED,
    ShipmentState.ASSEMBLED,
    ShipmentState.SENT,
    ShipmentState.DELIVERED,
]

# A customer may cancel its order only while none of its shipments has come this far.
CUSTOMER_CANCEL_LIMIT = ShipmentState.ASSEMBLED

# When each move happened, kept on the shipment.
MOVED_AT = {
    ShipmentState.CONFIRMED: "confirmed_at",
    ShipmentState.ASSEMBLED: "assembled_at",
    ShipmentState.SENT: "sent_at",
    ShipmentState.DELIVERED: "delivered_at",
    ShipmentState.CANCELED: "canceled_at",
}

TRACKING_NUMBER_MAX_LENGTH = Shipment._meta.get_field("tracking_number").max_length


def derived_order_state(states: Iterable[str]) -> str:
    """The order's state from its shipments': the least advanced live one, `canceled` when none is live."""
    live = [state for state in states if state != ShipmentState.CANCELED]
    if not live:
        return State.CANCELED
    return min(live, key=PROGRESS.index)


def state_label(state: str) -> str:
    """A state's name for people; a state that does not exist is shown as it was given."""
    return str(State(state).label) if state in State.values else str(state)


def clean_tracking_number(tracking_number: str) -> str:
    """A carrier's tracking number, trimmed: printable characters and spaces only, at most 100."""
    text = (tracking_number or "").strip()
    if len(text) > TRACKING_NUMBER_MAX_LENGTH:
        raise ValidationError(
            _("A tracking number has at most %(limit)d characters.") % {"limit": TRACKING_NUMBER_MAX_LENGTH},
            code="invalid_tracking_number",
        )
    for position, character in enumerate(text, start=1):
        if character != " " and unicodedata.category(character)[0] in ("C", "Z"):
            raise ValidationError(
                _(
                    "The tracking number has an invisible or control character (U+%(code)04X) "
                    "at position %(position)d."
                )
                % {"code": ord(character), "position": position},
                code="invalid_tracking_number",
            )
    return text


# --- locks ------------------------------------------------------------------------------------------


def _lock(order_id: int) -> tuple[Order, list[Shipment]]:
    """The order row, then its shipment rows in pk order, locked until the transaction ends."""
    order = Order.objects.select_for_update(of=("self",)).select_related("user").get(pk=order_id)
    shipments = list(
        Shipment.objects.select_for_update(of=("self",))
        .select_related("shop")
        .filter(order_id=order.pk)
        .order_by("pk")
    )
    return order, shipments


def _order_cannot_move(order: Order, to_state: str) -> ValidationError:
    return ValidationError(
        _("Order #%(id)s cannot move from “%(from)s” to “%(to)s”.")
        % {"id": order.pk, "from": order.get_state_display(), "to": state_label(to_state)},
        code="invalid_transition",
    )


def _shipment_cannot_move(shipment: Shipment, to_state: str) -> ValidationError:
    allowed = [
        state
        for state in [*PROGRESS, ShipmentState.CANCELED]
        if state in SHIPMENT_TRANSITIONS[shipment.state]
    ]
    names = {
        "id": shipment.pk,
        "shop": shipment.shop.name,
        "from": shipment.get_state_display(),
        "to": state_label(to_state),
    }
    if allowed:
        names["allowed"] = ", ".join(f"“{state_label(state)}”" for state in allowed)
        message = _(
            "Shipment #%(id)s (%(shop)s) cannot move from “%(from)s” to “%(to)s”; it may move to %(allowed)s."
        )
    else:
        message = _(
            "Shipment #%(id)s (%(shop)s) cannot move from “%(from)s” to “%(to)s”: “%(from)s” is final."
        )
    return ValidationError(message % names, code="invalid_transition")


# --- the move ---------------------------------------------------------------------------------------


def _move(
    *,
    order: Order,
    shipments: list[Shipment],
    moving: list[Shipment],
    to_state: str,
    actor: User,
    note: str,
    tracking_number: str = "",
) -> None:
    """Move `moving` (some of the order's locked `shipments`) to `to_state`, with everything that follows.

    A fixed number of statements for any number of shipments and lines: their lines, the offers locked
    and updated at once, the shipments updated at once, the order, the events, one e-mail.
    """
    now = timezone.now()
    from_states = {shipment.pk: shipment.state for shipment in moving}
    if to_state in (ShipmentState.CONFIRMED, ShipmentState.CANCELED):
        lines = list(
            OrderItem.objects.filter(shipment_id__in=list(from_states))
            .order_by("offer_id")
            .values_list("shipment_id", "offer_id", "quantity")
        )
        stock.lock_offers(offer_id for _shipment, offer_id, _quantity in lines)
        unacknowledged = [
            (offer_id, quantity)
            for shipment_id, offer_id, quantity in lines
            if from_states[shipment_id] == ShipmentState.NEW
        ]
        if to_state == ShipmentState.CONFIRMED:
            stock.release_reservation(unacknowledged)
        else:
            acknowledged = [
                (offer_id, quantity)
                for shipment_id, offer_id, quantity in lines
                if from_states[shipment_id] != ShipmentState.NEW
            ]
            stock.return_units(unacknowledged, reserved=True)
            stock.return_units(acknowledged, reserved=False)

    changes: dict[str, object] = {"state": to_state, MOVED_AT[to_state]: now, "updated_at": now}
    if tracking_number:
        changes["tracking_number"] = tracking_number
    if to_state == ShipmentState.CANCELED:
        changes["cancel_reason"] = note
    Shipment.objects.filter(pk__in=list(from_states)).update(**changes)
    for shipment in moving:
        for field, value in changes.items():
            setattr(shipment, field, value)

    state_before = order.state
    order.state = derived_order_state(shipment.state for shipment in shipments)
    order.save(update_fields=["state", "updated_at"])
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order=order,
            shipment=shipment,
            actor=actor,
            from_state=from_states[shipment.pk],
            to_state=to_state,
            note=note,
        )
        for shipment in moving
    )
    emails.queue_shipments_moved_email(
        order=order,
        moved=[(shipment, from_states[shipment.pk]) for shipment in moving],
        to_state=to_state,
        order_state_before=state_before,
        note=note,
    )


@transaction.atomic
def move_shipment(
    *, shipment: Shipment, to_state: str, actor: User, note: str = "", tracking_number: str = ""
) -> Shipment:
    """Move one shipment along `SHIPMENT_TRANSITIONS`; the order's state follows in the same transaction.

    A manager may move any shipment, a partner those of its own shops (PermissionDenied otherwise).
    `tracking_number` goes with a move to `sent`; `note` is the reason of a cancel (the customer reads
    it). A move the table forbids raises ValidationError `invalid_transition` naming the allowed ones.
    """
    tracking_number = clean_tracking_number(tracking_number)
    order, shipments = _lock(shipment.order_id)
    locked = next(candidate for candidate in shipments if candidate.pk == shipment.pk)
    if not (actor.is_manager or (actor.is_partner and locked.shop.owner_id == actor.pk)):
        raise PermissionDenied(_("You cannot move this shipment."))
    if to_state not in SHIPMENT_TRANSITIONS[locked.state]:
        raise _shipment_cannot_move(locked, to_state)
    if tracking_number and to_state != ShipmentState.SENT:
        raise ValidationError(
            _("A tracking number goes with sending a shipment, not with “%(to)s”.")
            % {"to": state_label(to_state)},
            code="invalid_tracking_number",
        )
    _move(
        order=order,
        shipments=shipments,
        moving=[locked],
        to_state=to_state,
        actor=actor,
        note=note or "",
        tracking_number=tracking_number,
    )
    return locked


@transaction.atomic
def transition_order(*, order: Order, to_state: str, actor: User, note: str = "") -> Order:
    """Move every shipment of the order that can move to `to_state` (a manager's move of the whole order).

    Refused with `invalid_transition` when none can; shipments that cannot (already further, or
    canceled) stay as they are. Managers only.
    """
    if not actor.is_manager:
        raise PermissionDenied(_("Only managers move whole orders."))
    locked, shipments = _lock(order.pk)
    moving = [shipment for shipment in shipments if to_state in SHIPMENT_TRANSITIONS[shipment.state]]
    if locked.state == State.BASKET or not moving:
        raise _order_cannot_move(locked, to_state)
    _move(order=locked, shipments=shipments, moving=moving, to_state=to_state, actor=actor, note=note or "")
    order.state, order.updated_at = locked.state, locked.updated_at
    return locked


@transaction.atomic
def cancel_order(*, order: Order, actor: User, reason: str = "") -> Order:
    """Cancel every shipment of the order that can still be canceled, returning its stock.

    The order's own customer may cancel while none of its shipments is assembled yet; managers may
    cancel whatever is not sent; anyone else is refused with PermissionDenied.
    """
    locked, shipments = _lock(order.pk)
    is_customer = actor.pk == locked.user_id
    if not is_customer and not actor.is_manager:
        raise PermissionDenied(_("You cannot cancel this order."))
    if is_customer:
        limit = PROGRESS.index(CUSTOMER_CANCEL_LIMIT)
        for shipment in shipments:
            if shipment.state in PROGRESS and PROGRESS.index(shipment.state) >= limit:
                raise ValidationError(
                    _(
                        "Order #%(id)s can no longer be canceled: the part from %(shop)s is already “%(state)s”."
                    )
                    % {"id": locked.pk, "shop": shipment.shop.name, "state": shipment.get_state_display()},
                    code="invalid_transition",
                )
    moving = [
        shipment for shipment in shipments if ShipmentState.CANCELED in SHIPMENT_TRANSITIONS[shipment.state]
    ]
    if locked.state == State.BASKET or not moving:
        raise _order_cannot_move(locked, State.CANCELED)
    _move(
        order=locked,
        shipments=shipments,
        moving=moving,
        to_state=ShipmentState.CANCELED,
        actor=actor,
        note=reason or "",
    )
    order.state, order.updated_at = locked.state, locked.updated_at
    return locked
