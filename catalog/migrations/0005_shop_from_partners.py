"""Shop moves from `partners` into `catalog`, which owns what is sold and by whom.

The table is renamed and the rows stay; only Django's record of which app owns the model changes
(its content type, so the admin log and the permissions of the "Partners" group follow it).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="partners", model="shop").update(app_label="catalog")


def content_type_backwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="catalog", model="shop").update(app_label="partners")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_offer_reserved_quantity"),
        ("partners", "0004_shop_name_key_unique"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE partners_shop RENAME TO catalog_shop",
                    "ALTER TABLE catalog_shop RENAME TO partners_shop",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Shop",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "name_key",
                            models.CharField(editable=False, max_length=400, verbose_name="name as compared"),
                        ),
                        ("url", models.URLField(blank=True, verbose_name="website")),
                        (
                            "is_accepting_orders",
                            models.BooleanField(default=True, verbose_name="accepting orders"),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                        (
                            "owner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="shops",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="owner",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "shop",
                        "verbose_name_plural": "shops",
                        "ordering": ["name"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("name_key",),
                                name="shop_name_key_unique",
                                violation_error_message="A shop with this name already exists.",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("name_key", ""), _negated=True),
                                name="shop_name_key_not_empty",
                            ),
                        ],
                    },
                ),
                migrations.AlterField(
                    model_name="offer",
                    name="shop",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="offers",
                        to="catalog.shop",
                        verbose_name="shop",
                    ),
                ),
            ],
        ),
        migrations.RunPython(content_type_forwards, content_type_backwards),
    ]
