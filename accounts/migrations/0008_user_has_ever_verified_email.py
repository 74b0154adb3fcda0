from django.db import migrations, models


def mark_verified_accounts(apps, schema_editor):
    """An account whose address is confirmed has confirmed one: say so, so it keeps signing in."""
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_email_verified=True).update(has_ever_verified_email=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_login_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="has_ever_verified_email",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="The account has confirmed an e-mail address at least once (this or an earlier one).",
                verbose_name="has verified an address",
            ),
        ),
        migrations.RunPython(mark_verified_accounts, migrations.RunPython.noop, elidable=True),
    ]
