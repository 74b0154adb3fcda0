"""Every key recorded in `SentEmail` becomes a sent outbox row, so it is still never sent again."""

from django.db import migrations

BATCH = 2000


def sent_emails_into_outbox(apps, schema_editor):
    SentEmail = apps.get_model("accounts", "SentEmail")
    OutboxEmail = apps.get_model("accounts", "OutboxEmail")
    rows = []
    for key, sent_at in SentEmail.objects.order_by("pk").values_list("key", "sent_at").iterator(chunk_size=BATCH):
        # The content was never kept: the key, the time and the status are the record.
        rows.append(
            OutboxEmail(
                key=key,
                recipients=[],
                subject="",
                status="sent",
                attempts=1,
                next_attempt_at=sent_at,
                created_at=sent_at,
                sent_at=sent_at,
            )
        )
        if len(rows) == BATCH:
            OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True)


def outbox_into_sent_emails(apps, schema_editor):
    """Back to the old table: the keys of sent messages (the old code has no place for pending ones)."""
    SentEmail = apps.get_model("accounts", "SentEmail")
    OutboxEmail = apps.get_model("accounts", "OutboxEmail")
    # `sent_at` is auto_now_add on SentEmail; this historical copy of the model keeps the real times.
    SentEmail._meta.get_field("sent_at").auto_now_add = False
    sent = OutboxEmail.objects.filter(status="sent").order_by("pk").values_list("key", "sent_at")
    rows = []
    for key, sent_at in sent.iterator(chunk_size=BATCH):
        rows.append(SentEmail(key=key, sent_at=sent_at))
        if len(rows) == BATCH:
            SentEmail.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    SentEmail.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_outbox_email"),
    ]

    operations = [migrations.RunPython(sent_emails_into_outbox, outbox_into_sent_emails, elidable=False)]
