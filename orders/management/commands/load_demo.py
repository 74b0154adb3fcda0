"""Fill a fresh database with demo shops (with delivery tariffs), catalogs, users and a month of orders
split between suppliers; print the credentials and keep them in `DEMO_CREDENTIALS_FILE` for
`manage.py devserver`."""

from __future__ import annotations

import math
import os
import random
import secrets
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.mail_files import mail_destination
from accounts.models import Contact, User
from accounts.services import make_partner
from catalog.models import DeliveryRate, Offer, Shop
from orders.fulfilment import MOVED_AT, move_shipment
from orders.models import Order, OrderEvent, Shipment
from orders.services import add_to_basket, confirm_order
from partners.importing.workflow import create_price_list_import, run_price_list_import
from partners.models import PriceListImport

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "pricelists"
# Demo users sign in at once, whatever EMAIL_CONFIRMATION says: their addresses count as confirmed.
CONFIRMED_EMAIL = {"is_email_verified": True, "has_ever_verified_email": True}
# (username, price list, first name, last name, the shop's city, free delivery from)
PARTNERS = [
    ("tekhnomir", "tekhnomir.yaml", "Ольга", "Смирнова", "Москва", Decimal("200000")),
    ("svyaz-market", "svyaz-market.yaml", "Артём", "Ковалёв", "Санкт-Петербург", Decimal("100000")),
    ("electropoint", "electropoint.yaml", "Марина", "Лебедева", "Новосибирск", None),
]

# The cities of the original service's seed data, with their coordinates (latitude, longitude).
CITIES = {
    "Москва": (55.7558, 37.6173),
    "Санкт-Петербург": (59.9343, 30.3351),
    "Псков": (57.8136, 28.3496),
    "Пермь": (58.0105, 56.2502),
    "Новосибирск": (55.0084, 82.9357),
    "Владивосток": (43.1155, 131.8855),
    "Калининград": (54.7104, 20.4522),
}
# Delivery within the shop's own city, and what each kilometre beyond adds.
LOCAL_DELIVERY = Decimal("300")
PER_KILOMETRE = Decimal("0.25")
DEMO_DAYS = 30
DEMO_ORDERS = 24


def distance_km(first: str, second: str) -> float:
    """Great-circle distance between two of the demo cities."""
    (lat1, lon1), (lat2, lon2) = (map(math.radians, CITIES[city]) for city in (first, second))
    haversine = (
        math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(haversine))


def delivery_cost(origin: str, destination: str) -> Decimal:
    """The demo tariff: a local cost plus a cost per kilometre, rounded to 10 ₽, so it grows with distance."""
    cost = LOCAL_DELIVERY + PER_KILOMETRE * Decimal(round(distance_km(origin, destination)))
    return (cost / 10).quantize(Decimal("1")) * 10


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

        partners: dict[int, User] = {}
        for username, file_name, first_name, last_name, city, free_from in PARTNERS:
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
            shop = price_list_import.shop
            self._delivery_tariff(shop=shop, city=city, free_from=free_from)
            partners[shop.pk] = partner

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
        self._demo_orders(customer=customer, partners=partners)

        summary = demo_summary(credentials)
        save_demo_credentials(summary)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(summary)
        self.stdout.write(mail_destination())

    def _delivery_tariff(self, *, shop: Shop, city: str, free_from: Decimal | None) -> None:
        """The shop ships from `city`; its cost to each seed city grows with the distance."""
        costs = {destination: delivery_cost(city, destination) for destination in CITIES}
        shop.city = city
        shop.default_delivery_cost = max(costs.values()) + Decimal("500")
        shop.free_delivery_from = free_from
        shop.save(update_fields=["city", "default_delivery_cost", "free_delivery_from"])
        for destination, cost in costs.items():
            DeliveryRate.objects.create(shop=shop, city=destination, cost=cost)

    def _demo_orders(self, *, customer: User, partners: dict[int, User]) -> None:
        """Orders over the last month, many from two or three shops, their shipments in every state: the
        older an order, the further its shipments went; a few were canceled by their partner."""
        contacts = [
            Contact.objects.create(
                user=customer,
                city=city,
                street=street,
                house=house,
                apartment=apartment,
                phone=phone,
            )
            for city, street, house, apartment, phone in [
                ("Москва", "ул. Большая Полянка", "28", "14", "+74951234567"),
                ("Пермь", "ул. Ленина", "50", "3", "+73422123456"),
                ("Новосибирск", "Красный проспект", "25", "", "+73832123456"),
            ]
        ]
        chance = random.Random(2026)
        shop_ids = sorted(partners)
        now = timezone.now()
        for number in range(DEMO_ORDERS):
            days_ago = (DEMO_DAYS - 1) * (DEMO_ORDERS - 1 - number) // (DEMO_ORDERS - 1)
            # A working hour of that day in the local time zone, never in the future.
            day = timezone.localdate(now) - timedelta(days=days_ago)
            placed_at = timezone.make_aware(datetime.combine(day, time(9))) + timedelta(
                minutes=chance.randint(0, 600)
            )
            placed_at = min(placed_at, now - timedelta(minutes=chance.randint(5, 60)))
            shop_count = [1, 2, 2, 3][number % 4]
            contact = contacts[number % len(contacts)]
            for shop_id in chance.sample(shop_ids, shop_count):
                in_stock = list(
                    Offer.objects.filter(shop_id=shop_id, is_active=True, quantity__gte=3).order_by("id")
                )
                for offer in chance.sample(in_stock, min(len(in_stock), chance.randint(1, 2))):
                    basket = add_to_basket(
                        user=customer, offer_id=offer.pk, quantity=chance.randint(1, 2), city=contact.city
                    )
            order = confirm_order(order=basket, customer=customer, contact=contact)
            for shipment in order.shipments.select_related("shop").order_by("pk"):
                self._move(shipment, partner=partners[shipment.shop_id], days_ago=days_ago, chance=chance)
            self._backdate(order, placed_at=placed_at, now=now)

    def _move(self, shipment: Shipment, *, partner: User, days_ago: int, chance: random.Random) -> None:
        """Move a shipment as far as its partner would have in `days_ago` days."""
        path = [
            Shipment.State.CONFIRMED,
            Shipment.State.ASSEMBLED,
            Shipment.State.SENT,
            Shipment.State.DELIVERED,
        ]
        if days_ago >= 12:
            steps = 4
        elif days_ago >= 6:
            steps = chance.choice([2, 3, 3, 4])
        elif days_ago >= 2:
            steps = chance.choice([1, 2, 3])
        else:
            steps = chance.choice([0, 0, 1])
        if steps < 4 and chance.random() < 0.12:
            move_shipment(
                shipment=shipment,
                to_state=Shipment.State.CANCELED,
                actor=partner,
                note="Товар закончился на складе, приносим извинения.",
            )
            return
        for state in path[:steps]:
            tracking = (
                f"RU{shipment.pk:06d}{chance.randint(100, 999)}" if state == Shipment.State.SENT else ""
            )
            shipment = move_shipment(
                shipment=shipment, to_state=state, actor=partner, tracking_number=tracking
            )

    def _backdate(self, order: Order, *, placed_at, now) -> None:
        """Date the order, its shipments and its history as if it had happened from `placed_at` on."""
        Order.objects.filter(pk=order.pk).update(
            created_at=placed_at - timedelta(minutes=20), confirmed_at=placed_at, updated_at=placed_at
        )
        Shipment.objects.filter(order=order).update(created_at=placed_at, updated_at=placed_at)
        # Each shipment's moves follow each other about nine hours apart, partners working side by side.
        moves_so_far: dict[int | None, int] = {}
        for event in order.events.order_by("pk"):
            index = moves_so_far[event.shipment_id] = moves_so_far.get(event.shipment_id, 0) + 1
            when = (
                placed_at if event.shipment_id is None else min(placed_at + timedelta(hours=9) * index, now)
            )
            OrderEvent.objects.filter(pk=event.pk).update(created_at=when)
            if event.shipment_id is not None:
                Shipment.objects.filter(pk=event.shipment_id).update(
                    **{MOVED_AT[event.to_state]: when, "updated_at": when}
                )
