"""`manage.py send_outbox`: send every due email of the outbox now, in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.emails import send_due_emails
from accounts.models import OutboxEmail


class Command(BaseCommand):
    help = (
        "Send every due email of the outbox now, without a broker or a worker: pending emails whose "
        "retry time has come and emails whose worker stopped while sending. Safe beside running workers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--include-waiting",
            action="store_true",
            help="also send pending emails still waiting for their retry time (e.g. once SMTP is fixed)",
        )

    def handle(self, *args, **options):
        outcomes = send_due_emails(include_waiting=options["include_waiting"])
        sent = outcomes.get("sent", 0)
        not_sent = sum(count for outcome, count in outcomes.items() if outcome not in ("sent", "skipped"))
        self.stdout.write(
            _("Sent %(sent)d email(s); %(failed)d attempt(s) failed.") % {"sent": sent, "failed": not_sent}
        )
        waiting = OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).count()
        failed = OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).count()
        if waiting or failed:
            self.stdout.write(
                _("%(waiting)d email(s) wait for a retry; %(failed)d failed for good.")
                % {"waiting": waiting, "failed": failed}
            )
        if not_sent:
            raise CommandError(_("Some emails could not be sent; see the log and the outbox in the admin."))
