"""Fill a fresh database with demo shops, catalogs, users and a few orders; print the credentials once."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

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
        # The demo orders' notifications would only bury the credentials in the console.
        with override_settings(
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
        ):
            self._demo_orders(customer=customer, manager=manager)

        self.stdout.write(self.style.SUCCESS("Demo data loaded. Credentials (shown only this once):"))
        for role, username, password in credentials:
            self.stdout.write(f"  {role:<24} {username:<14} {password}")
        self.stdout.write(f"  Admin: {settings.SITE_URL}/admin/   API docs: {settings.SITE_URL}/api/docs/")

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
