"""`runserver` that ends its start-up output with the demo credentials and where e-mails go (`make run`)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from accounts.mail_files import mail_destination


class Command(RunserverCommand):
    help = "Run the development server; after its banner, print the demo credentials and where e-mails go."

    def on_bind(self, server_port: int) -> None:
        super().on_bind(server_port)
        path = Path(settings.DEMO_CREDENTIALS_FILE)
        self.stdout.write("")
        if path.exists():
            self.stdout.write(self.style.SUCCESS(path.read_text(encoding="utf-8").rstrip()))
        else:
            self.stdout.write(
                "No demo credentials kept: `manage.py load_demo` on an empty database makes them."
            )
        self.stdout.write(mail_destination())
