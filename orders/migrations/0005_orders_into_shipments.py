"""Every placed order becomes one shipment per shop of its lines, in the order's state, delivered for 0.

Before shipments an order moved as one: each of its shops' parts takes the order's state, the moment
of each move (from the order's history) and, when canceled, its reason. An order of one shop keeps its
history attached to that one shipment; the history of an order of several shops stays the order's own.
Orders placed before delivery costs existed charged none: their goods are their total.
"""

from django.db import migrations
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum

CHUNK = 1000
MOVE_TIMES = {
    "confirmed": "confirmed_at",
    "assembled": "assembled_at",
    "sent": "sent_at",
    "delivered": "delivered_at",
    "canceled": "canceled_at",
}


def into_shipments(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    Shipment = apps.get_model("orders", "Shipment")
    Offer = apps.get_model("catalog", "Offer")

    Order.objects.update(goods_total=F("total"), delivery_total=0)
    placed = Order.objects.exclude(state="basket")
    # A placed line always had its price; should one not, the offer's price is the best record left.
    OrderItem.objects.filter(price__isnull=True, order__in=placed).update(
        price=Subquery(Offer.objects.filter(pk=OuterRef("offer_id")).values("price")[:1])
    )
    line_sum = ExpressionWrapper(F("price") * F("quantity"), output_field=DecimalField(max_digits=14, decimal_places=2))

    last_pk = 0
    while True:  # a thousand orders at a time, whatever their number
        order_rows = list(
            placed.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "state", "confirmed_at", "created_at")[:CHUNK]
        )
        if not order_rows:
            break
        last_pk = order_rows[-1][0]
        chunk = {pk: (state, confirmed_at or created_at) for pk, state, confirmed_at, created_at in order_rows}
        moves: dict[int, dict[str, object]] = {}
        reasons: dict[int, str] = {}
        for order_id, to_state, when, note in (
            OrderEvent.objects.filter(order_id__in=chunk, to_state__in=MOVE_TIMES)
            .order_by("created_at", "pk")
            .values_list("order_id", "to_state", "created_at", "note")
        ):
            moves.setdefault(order_id, {})[MOVE_TIMES[to_state]] = when
            if to_state == "canceled":
                reasons[order_id] = note
        parts = (
            OrderItem.objects.filter(order_id__in=chunk)
            .values("order_id", "offer__shop_id")
            .annotate(subtotal=Sum(line_sum))
            .order_by("order_id", "offer__shop_id")
        )
        shipments = Shipment.objects.bulk_create(
            Shipment(
                order_id=part["order_id"],
                shop_id=part["offer__shop_id"],
                state=chunk[part["order_id"]][0],
                subtotal=part["subtotal"] or 0,
                delivery_cost=0,
                cancel_reason=reasons.get(part["order_id"], ""),
                **moves.get(part["order_id"], {}),
            )
            for part in parts
        )
        by_part = {(shipment.order_id, shipment.shop_id): shipment.pk for shipment in shipments}
        lines = list(OrderItem.objects.filter(order_id__in=chunk).values_list("pk", "order_id", "offer__shop_id"))
        OrderItem.objects.bulk_update(
            [OrderItem(pk=pk, shipment_id=by_part[order_id, shop_id]) for pk, order_id, shop_id in lines],
            ["shipment_id"],
            batch_size=CHUNK,
        )
        # `created_at` is set on insert; a shipment dates from when its order was placed.
        for shipment in shipments:
            shipment.created_at = chunk[shipment.order_id][1]
        Shipment.objects.bulk_update(shipments, ["created_at"], batch_size=CHUNK)
        shipment_count: dict[int, int] = {}
        for shipment in shipments:
            shipment_count[shipment.order_id] = shipment_count.get(shipment.order_id, 0) + 1
        single = [order_id for order_id, count in shipment_count.items() if count == 1]
        OrderEvent.objects.filter(order_id__in=single).exclude(from_state="basket").update(
            shipment_id=Subquery(Shipment.objects.filter(order_id=OuterRef("order_id")).values("pk")[:1])
        )


def out_of_shipments(apps, schema_editor):
    apps.get_model("orders", "OrderEvent").objects.update(shipment=None)
    apps.get_model("orders", "OrderItem").objects.update(shipment=None)
    apps.get_model("orders", "Shipment").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_shipments"),
        ("catalog", "0008_shop_delivery_tariff"),
    ]

    operations = [migrations.RunPython(into_shipments, out_of_shipments)]
