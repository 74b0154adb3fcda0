"""PriceHistory moves from `catalog` into `partners`: it records what each import changed.

The table is renamed and the rows stay; its content type follows (see catalog 0005 for Shop).
"""

import django.db.models.deletion
from django.db import migrations, models


def content_type_forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="catalog", model="pricehistory").update(app_label="partners")


def content_type_backwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="partners", model="pricehistory").update(app_label="catalog")


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0005_shop_to_catalog"),
        ("catalog", "0005_shop_from_partners"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE catalog_pricehistory RENAME TO partners_pricehistory",
                    "ALTER TABLE partners_pricehistory RENAME TO catalog_pricehistory",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="PriceHistory",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "old_price",
                            models.DecimalField(
                                decimal_places=2, max_digits=12, null=True, verbose_name="old price"
                            ),
                        ),
                        ("new_price", models.DecimalField(decimal_places=2, max_digits=12, verbose_name="new price")),
                        (
                            "old_recommended_price",
                            models.DecimalField(
                                decimal_places=2, max_digits=12, null=True, verbose_name="old recommended price"
                            ),
                        ),
                        (
                            "new_recommended_price",
                            models.DecimalField(
                                decimal_places=2, max_digits=12, null=True, verbose_name="new recommended price"
                            ),
                        ),
                        (
                            "changed_at",
                            models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="changed"),
                        ),
                        (
                            "offer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="price_history",
                                to="catalog.offer",
                                verbose_name="offer",
                            ),
                        ),
                        (
                            "price_list_import",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="partners.pricelistimport",
                                verbose_name="price-list import",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "price change",
                        "verbose_name_plural": "price history",
                        "ordering": ["-changed_at", "-id"],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_type_forwards, content_type_backwards),
    ]
