"""Fill a fresh database with demo shops, catalogs, users and a few orders; print the credentials and keep
them in `DEMO_CREDENTIALS_FILE` for `manage.py devserver`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.mail_files import mail_destination
from accounts.models import Contact, User
from accounts.services import make_partner
from catalog.models import Offer
from orders.models import Order
from orders.services import add_to_basket, confirm_order, transition_order
from partners.importing.workflow import create_price_list_import, run_price_list_import
from partners.models import PriceListImport

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "pricelists"
# Demo users sign in at once, whatever EMAIL_CONFIRMATION says: their addresses count as confirmed.
CONFIRMED_EMAIL = {"is_email_verified": True, "has_ever_verified_email": True}
PARTNERS = [
    ("tekhnomir", "tekhnomir.yaml", "Ольга", "Смирнова"),
    ("svyaz-market", "svyaz-market.yaml", "Артём", "Ковалёв"),
    ("electropoint", "electropoint.yaml", "Марина", "Лебедева"),
]


def demo_summary(credentials: list[tuple[str, str, str]]) -> str:
    """The credentials block: who can sign in, with what, and where."""
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    lines = [f"Demo credentials (loaded {when}):"]
    lines += [f"  {role:<24} {username:<14} {password}" for role, username, password in credentials]
    lines.append(f"  Admin: {settings.SITE_URL}/admin/   API docs: {settings.SITE_URL}/api/docs/")
    return "\n".join(lines)


def save_demo_credentials(summary: str) -> None:
    """Keep the block for `manage.py devserver`, readable by this user only (the passwords are real)."""
    path = Path(settings.DEMO_CREDENTIALS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(summary + "\n")


class Command(BaseCommand):
    help = "Load demo data into an empty database (does nothing when users already exist)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even if users exist.")

    # All or nothing: a half-loaded database would have users, and the next run would skip it for good.
    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if User.objects.exists() and not force:
            self.stdout.write("Demo data: the database already has users, nothing loaded.")
            return
        credentials: list[tuple[str, str, str]] = []

        def new_password() -> str:
            return secrets.token_urlsafe(9)

        manager_password = new_password()
        manager = User.objects.create_superuser(
            username="manager",
            email="manager@procurement.local",
            password=manager_password,
            first_name="Анна",
            last_name="Морозова",
            **CONFIRMED_EMAIL,
        )
        credentials.append(("Store manager (admin)", manager.username, manager_password))

        for username, file_name, first_name, last_name in PARTNERS:
            password = new_password()
            partner = make_partner(
                user=User.objects.create_user(
                    username=username,
                    email=f"{username}@partners.procurement.local",
                    password=password,
                    first_name=first_name,
                    last_name=last_name,
                    **CONFIRMED_EMAIL,
                )
            )
            credentials.append(("Partner", username, password))
            path = DEMO_DIR / file_name
            price_list_import = create_price_list_import(
                partner=partner,
                content=path.read_bytes(),
                file_name=file_name,
                source=PriceListImport.Source.CLI,
            )
            price_list_import = run_price_list_import(price_list_import=price_list_import)
            if price_list_import.status != PriceListImport.Status.SUCCEEDED:
                raise CommandError(f"demo price list {file_name} failed: {price_list_import.errors}")

        customer_password = new_password()
        customer = User.objects.create_user(
            username="customer",
            email="customer@example.com",
            password=customer_password,
            first_name="Дмитрий",
            last_name="Соколов",
            company="Сеть магазинов «Уголок»",
            position="Менеджер по закупкам",
            **CONFIRMED_EMAIL,
        )
        credentials.append(("Customer (API)", customer.username, customer_password))
        # Their e-mails (order confirmations, invoices) are written like any other: in development as
        # files in var/mail/, where a newcomer can read what customers and partners receive.
        self._demo_orders(customer=customer, manager=manager)

        summary = demo_summary(credentials)
        save_demo_credentials(summary)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(summary)
        self.stdout.write(mail_destination())

    def _demo_orders(self, *, customer: User, manager: User) -> None:
        contact = Contact.objects.create(
            user=customer,
            city="Москва",
            street="ул. Большая Полянка",
            house="28",
            building="1",
            apartment="14",
            phone="+74951234567",
        )
        offers = list(Offer.objects.filter(is_active=True, quantity__gte=3).order_by("id"))
        plans = [
            (offers[0:2], [Order.State.CONFIRMED, Order.State.ASSEMBLED, Order.State.SENT]),
            (offers[5:8], [Order.State.CONFIRMED]),
            (offers[10:11], []),
            (
                offers[12:14],
                [Order.State.CONFIRMED, Order.State.ASSEMBLED, Order.State.SENT, Order.State.DELIVERED],
            ),
        ]
        for chosen, moves in plans:
            for offer in chosen:
                order = add_to_basket(user=customer, offer_id=offer.pk, quantity=1, city=contact.city)
            order = confirm_order(order=order, customer=customer, contact=contact)
            for state in moves:
                order = transition_order(order=order, to_state=state, actor=manager)
