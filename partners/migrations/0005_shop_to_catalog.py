"""Shop now lives in `catalog` (catalog 0005 renamed its table): imports point at it there."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0004_shop_name_key_unique"),
        ("catalog", "0005_shop_from_partners"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="pricelistimport",
                    name="shop",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="imports",
                        to="catalog.shop",
                        verbose_name="shop",
                    ),
                ),
                migrations.RemoveConstraint(model_name="shop", name="shop_name_key_unique"),
                migrations.RemoveConstraint(model_name="shop", name="shop_name_key_not_empty"),
                migrations.DeleteModel(name="Shop"),
            ],
        ),
    ]
