"""Fill `Offer.reserved_quantity` from the orders placed and not yet acknowledged (state `new`).

Before the stock rule, every placed order had already taken its units from `quantity`; the units of
orders still `new` are exactly what the partner has not acknowledged, so they are the reservation.
"""

from django.db import migrations
from django.db.models import Sum


def fill_reserved(apps, schema_editor):
    Offer = apps.get_model("catalog", "Offer")
    OrderItem = apps.get_model("orders", "OrderItem")
    reserved = (
        OrderItem.objects.filter(order__state="new")
        .values("offer_id")
        .annotate(units=Sum("quantity"))
        .order_by("offer_id")
    )
    for row in reserved.iterator(chunk_size=2000):
        Offer.objects.filter(pk=row["offer_id"]).update(reserved_quantity=row["units"])


def clear_reserved(apps, schema_editor):
    apps.get_model("catalog", "Offer").objects.filter(reserved_quantity__gt=0).update(reserved_quantity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("catalog", "0004_offer_reserved_quantity"),
    ]

    operations = [migrations.RunPython(fill_reserved, clear_reserved)]
