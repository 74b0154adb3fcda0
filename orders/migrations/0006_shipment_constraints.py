"""The rules that hold once every placed order has its shipments: a line is priced exactly when it
belongs to a shipment (basket lines have neither), and an order's total is its goods and delivery."""

import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0005_orders_into_shipments'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(('total', django.db.models.expressions.CombinedExpression(models.F('goods_total'), '+', models.F('delivery_total')))), name='order_total_is_goods_and_delivery'),
        ),
        migrations.AddConstraint(
            model_name='orderitem',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('price__isnull', True), ('shipment__isnull', True)), models.Q(('price__isnull', False), ('shipment__isnull', False)), _connector='OR'), name='order_item_priced_in_a_shipment'),
        ),
    ]
