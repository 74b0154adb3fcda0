"""Shipments: each shop's part of an order, with its own state, delivery cost and tracking number.

The columns come first, nullable or with defaults; `0005_orders_into_shipments` fills them from the
existing orders, and `0006_shipment_constraints` then adds the rules that hold from there on.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0008_shop_delivery_tariff'),
        ('orders', '0003_partners_group_permissions'),
    ]

    operations = [
        migrations.CreateModel(
            name='Shipment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('new', 'New'), ('confirmed', 'Confirmed'), ('assembled', 'Assembled'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('canceled', 'Canceled')], default='new', max_length=10, verbose_name='state')),
                ('subtotal', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='goods')),
                ('delivery_cost', models.DecimalField(decimal_places=2, default=0, max_digits=12, verbose_name='delivery cost')),
                ('tracking_number', models.CharField(blank=True, max_length=100, verbose_name='tracking number')),
                ('cancel_reason', models.TextField(blank=True, verbose_name='reason for canceling')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed')),
                ('assembled_at', models.DateTimeField(blank=True, null=True, verbose_name='assembled')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered')),
                ('canceled_at', models.DateTimeField(blank=True, null=True, verbose_name='canceled')),
            ],
            options={
                'verbose_name': 'shipment',
                'verbose_name_plural': 'shipments',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='order',
            name='delivery_total',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='delivery'),
        ),
        migrations.AddField(
            model_name='order',
            name='goods_total',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='goods'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(('delivery_total__gte', 0), ('goods_total__gte', 0)), name='order_parts_gte_0'),
        ),
        migrations.AddField(
            model_name='shipment',
            name='order',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shipments', to='orders.order', verbose_name='order'),
        ),
        migrations.AddField(
            model_name='shipment',
            name='shop',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='shipments', to='catalog.shop', verbose_name='shop'),
        ),
        migrations.AddField(
            model_name='orderevent',
            name='shipment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='orders.shipment', verbose_name='shipment'),
        ),
        migrations.AddField(
            model_name='orderitem',
            name='shipment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='items', to='orders.shipment', verbose_name='shipment'),
        ),
        migrations.AddIndex(
            model_name='shipment',
            index=models.Index(fields=['shop', 'state', '-created_at'], name='shipment_shop_state'),
        ),
        migrations.AddIndex(
            model_name='shipment',
            index=models.Index(fields=['state', '-created_at'], name='shipment_state'),
        ),
        migrations.AddConstraint(
            model_name='shipment',
            constraint=models.UniqueConstraint(fields=('order', 'shop'), name='shipment_one_per_shop'),
        ),
        migrations.AddConstraint(
            model_name='shipment',
            constraint=models.CheckConstraint(condition=models.Q(('delivery_cost__gte', 0), ('subtotal__gte', 0)), name='shipment_amounts_gte_0'),
        ),
    ]
