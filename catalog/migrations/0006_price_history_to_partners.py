"""PriceHistory now lives in `partners` (partners 0006 renamed its table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_shop_from_partners"),
        ("partners", "0006_price_history_from_catalog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="PriceHistory")]),
    ]
