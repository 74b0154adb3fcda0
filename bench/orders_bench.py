"""Placing and shipping orders split by supplier: statements per order and orders per second.

Confirms N orders of goods from several shops (`confirm_order`), then ships them: every shop's partner
confirms, assembles and sends its own shipment (`move_shipment`), and, on a second set of orders, a
manager moves whole orders at once (`transition_order`). Prints the SQL statements per order (and how
many of them write e-mails to the outbox) and orders per second, then the statements for 1-6 shops and
1-20 lines per shop, to show they do not grow with lines or shops (but for one e-mail per shop).

    .venv/bin/python bench/orders_bench.py [--orders 1000] [--shops 3] [--lines 2]
        [--database-url postgres://postgres@127.0.0.1:5432/procurement_orders_bench]

Runs on PostgreSQL (the database is dropped and created again), in one process and one connection;
e-mails go to an in-memory broker, as a worker elsewhere would send them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
EMAIL_TABLE = "accounts_outboxemail"


def fresh_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    for statement in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement, "postgres"], check=True
        )


@dataclass
class Tally:
    """SQL statements seen while it listens; e-mail ones are the outbox's and their savepoints."""

    statements: int = 0
    email: int = 0
    seconds: float = 0.0
    listening: bool = field(default=False, repr=False)

    def __call__(self, execute, sql, params, many, context):
        if self.listening:
            self.statements += 1
            if EMAIL_TABLE in sql or "SAVEPOINT" in sql.upper():
                self.email += 1
        return execute(sql, params, many, context)

    def run(self, call: Callable[[], object]) -> None:
        from django.db import connection

        with connection.execute_wrapper(self):
            self.listening = True
            started = time.perf_counter()
            try:
                call()
            finally:
                self.seconds += time.perf_counter() - started
                self.listening = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--shops", type=int, default=3)
    parser.add_argument("--lines", type=int, default=2, help="lines per shop in each order")
    parser.add_argument("--scaling-orders", type=int, default=20, help="orders per cell of the scaling table")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/procurement_orders_bench"
    )
    args = parser.parse_args()
    fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["CELERY_BROKER_URL"] = "memory://"  # e-mails are handed over, not sent here
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG_FLAG", "True")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from decimal import Decimal

    from accounts.models import User
    from catalog.models import Category, DeliveryRate, Offer, Product, Shop
    from orders.fulfilment import move_shipment, transition_order
    from orders.models import Order, OrderItem, Shipment
    from orders.services import confirm_order

    manager = User.objects.create(
        username="bench-manager", email="m@example.com", is_staff=True, is_superuser=True
    )
    category = Category.objects.create(name="Bench")
    made = {"shops": 0, "customers": 0}

    def make_shops(count: int, goods: int) -> list[list[Offer]]:
        """`count` partners' shops with `goods` offers each, plenty in stock, a tariff for Москва."""
        shops = []
        for _ in range(count):
            made["shops"] += 1
            number = made["shops"]
            partner = User.objects.create(
                username=f"partner-{number}", email=f"p{number}@example.com", type="shop"
            )
            shop = Shop.objects.create(
                name=f"Магазин {number}", owner=partner, default_delivery_cost=Decimal("900")
            )
            DeliveryRate.objects.create(shop=shop, city="Москва", cost=Decimal("300"))
            products = Product.objects.bulk_create(
                Product(name=f"Товар {number}-{index}", category=category) for index in range(goods)
            )
            shops.append(
                Offer.objects.bulk_create(
                    Offer(
                        shop=shop,
                        product=product,
                        external_id=str(index),
                        price=Decimal("100.00") + index,
                        quantity=1_000_000,
                    )
                    for index, product in enumerate(products)
                )
            )
        return shops

    def make_baskets(count: int, shops: list[list[Offer]], lines: int) -> list[Order]:
        baskets = []
        for _ in range(count):
            made["customers"] += 1
            number = made["customers"]
            customer = User.objects.create(username=f"customer-{number}", email=f"c{number}@example.com")
            baskets.append(Order(user=customer, state=Order.State.BASKET, city="Москва"))
        baskets = Order.objects.bulk_create(baskets)
        OrderItem.objects.bulk_create(
            OrderItem(order=basket, offer=offer, quantity=1 + index % 3)
            for basket in baskets
            for offers in shops
            for index, offer in enumerate(offers[:lines])
        )
        for basket in baskets:
            basket.user = User.objects.get(pk=basket.user_id)
        return baskets

    def confirm_all(baskets: list[Order], tally: Tally) -> list[Order]:
        placed = []
        for basket in baskets:
            tally.run(
                lambda basket=basket: placed.append(
                    confirm_order(
                        order=basket, customer=basket.user, address="Москва, Тверская 7", phone="+79161234567"
                    )
                )
            )
        return placed

    def ship_by_partners(orders: list[Order], tally: Tally) -> None:
        for order in orders:
            for shipment in Shipment.objects.select_related("shop__owner").filter(order=order).order_by("pk"):
                for state in ("confirmed", "assembled", "sent"):
                    tally.run(
                        lambda shipment=shipment, state=state: move_shipment(
                            shipment=shipment, to_state=state, actor=shipment.shop.owner
                        )
                    )

    def ship_by_manager(orders: list[Order], tally: Tally) -> None:
        for order in orders:
            for state in ("confirmed", "assembled", "sent"):
                tally.run(
                    lambda order=order, state=state: transition_order(
                        order=order, to_state=state, actor=manager
                    )
                )

    def row(name: str, tally: Tally, orders: int) -> str:
        per_order = tally.statements / orders
        email = tally.email / orders
        return (
            f"| {name} | {orders:,} | {per_order:.1f} | {email:.1f} | {per_order - email:.1f} | "
            f"{orders / tally.seconds:,.0f} | {tally.seconds:.1f} s |"
        )

    shops = make_shops(args.shops, args.lines)
    print(
        f"{args.orders:,} orders of {args.shops} shops × {args.lines} lines on PostgreSQL "
        f"({urlsplit(args.database_url).path.lstrip('/')}), one connection\n"
    )
    print("| step | orders | statements/order | of which e-mail | without e-mail | orders/s | time |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    placed_tally = Tally()
    placed = confirm_all(make_baskets(args.orders, shops, args.lines), placed_tally)
    print(row("confirm (customer)", placed_tally, len(placed)))
    partners_tally = Tally()
    ship_by_partners(placed, partners_tally)
    print(row("ship: each partner confirms, assembles, sends its shipment", partners_tally, len(placed)))
    assert set(
        Order.objects.filter(pk__in=[order.pk for order in placed]).values_list("state", flat=True)
    ) == {"sent"}
    second = confirm_all(make_baskets(args.orders, shops, args.lines), Tally())
    manager_tally = Tally()
    ship_by_manager(second, manager_tally)
    print(row("ship: a manager moves whole orders (confirm, assemble, send)", manager_tally, len(second)))
    together = Tally(
        statements=placed_tally.statements + partners_tally.statements,
        email=placed_tally.email + partners_tally.email,
        seconds=placed_tally.seconds + partners_tally.seconds,
    )
    print(row("confirm + partners ship", together, len(placed)))

    print(f"\nStatements by shape ({args.scaling_orders} orders each; e-mail statements in brackets)\n")
    print("| shops × lines per shop | confirm | one shipment move (avg of 3) | whole-order move (avg of 3) |")
    print("| --- | ---: | ---: | ---: |")
    for shop_count, lines in ((1, 1), (1, 20), (3, 1), (3, 20), (6, 1), (6, 20)):
        cell_shops = make_shops(shop_count, lines)
        confirm_tally, move_tally, whole_tally = Tally(), Tally(), Tally()
        orders = confirm_all(make_baskets(args.scaling_orders, cell_shops, lines), confirm_tally)
        ship_by_partners(orders, move_tally)
        ship_by_manager(
            confirm_all(make_baskets(args.scaling_orders, cell_shops, lines), Tally()), whole_tally
        )
        moves = args.scaling_orders * shop_count * 3
        whole_moves = args.scaling_orders * 3
        print(
            f"| {shop_count} × {lines} | {confirm_tally.statements / args.scaling_orders:.1f} "
            f"({confirm_tally.email / args.scaling_orders:.1f}) | {move_tally.statements / moves:.1f} "
            f"({move_tally.email / moves:.1f}) | {whole_tally.statements / whole_moves:.1f} "
            f"({whole_tally.email / whole_moves:.1f}) |"
        )


if __name__ == "__main__":
    main()
