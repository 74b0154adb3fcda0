"""`SentEmail` is replaced by the outbox, whose sent rows keep the keys (0005)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_sent_emails_into_outbox"),
    ]

    operations = [
        migrations.DeleteModel(name="SentEmail"),
    ]
