"""Shop names are unique by their comparison key instead of case-insensitively."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_shop_name_key"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="shop",
            name="shop_name_ci_unique",
        ),
        migrations.AddConstraint(
            model_name="shop",
            constraint=models.UniqueConstraint(
                fields=("name_key",),
                name="shop_name_key_unique",
                violation_error_message="A shop with this name already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="shop",
            constraint=models.CheckConstraint(
                condition=models.Q(("name_key", ""), _negated=True), name="shop_name_key_not_empty"
            ),
        ),
    ]
