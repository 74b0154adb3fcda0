"""`load_demo` fills a fresh database once and prints working credentials once."""

import re
import stat
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from catalog.models import Offer, Shop
from orders.management.commands.load_demo import distance_km
from orders.models import Order, Shipment
from partners.models import PriceListImport

pytestmark = pytest.mark.django_db


def test_load_demo_creates_shops_catalogs_users_and_orders_and_prints_working_credentials():
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert sorted(Shop.objects.values_list("name", flat=True)) == ["Связь-Маркет", "ТехноМир", "ЭлектроПойнт"]
    assert Offer.objects.count() == 21 + 14 + 11
    assert PriceListImport.objects.filter(status=PriceListImport.Status.SUCCEEDED).count() == 3
    placed = Order.objects.exclude(state=Order.State.BASKET)
    assert placed.count() == 24
    assert Order.objects.filter(state=Order.State.BASKET).count() == 0
    credentials = dict(re.findall(r"^\s+.+?\s{2,}(\S+)\s+(\S+)$", out.getvalue(), flags=re.MULTILINE))
    assert set(credentials) == {"manager", "tekhnomir", "svyaz-market", "electropoint", "customer"}
    manager = authenticate(username="manager", password=credentials["manager"])
    assert manager is not None
    assert manager.is_superuser
    partner = authenticate(username="tekhnomir", password=credentials["tekhnomir"])
    assert partner.type == User.Type.SHOP
    assert partner.groups.filter(name="Partners").exists()
    assert authenticate(username="customer", password=credentials["customer"]).type == User.Type.BUYER


def test_load_demo_spreads_orders_over_a_month_across_shops_with_shipments_in_every_state():
    call_command("load_demo", stdout=StringIO())

    placed = Order.objects.exclude(state=Order.State.BASKET)
    today = timezone.localdate()
    days = {timezone.localdate(order.confirmed_at) for order in placed}
    assert min(days) >= today - timedelta(days=29)
    assert len(days) >= 20  # the dashboard's chart shows a month, not one day
    shops_per_order = Counter(order.shipments.count() for order in placed)
    assert shops_per_order[2] >= 3
    assert shops_per_order[3] >= 3
    assert set(Shipment.objects.values_list("state", flat=True)) == set(Shipment.State.values)
    assert {Order.State.NEW, Order.State.SENT, Order.State.DELIVERED} <= set(
        placed.values_list("state", flat=True)
    )
    assert Shipment.objects.filter(state=Shipment.State.SENT).exclude(tracking_number="").exists()
    assert all(order.total == order.goods_total + order.delivery_total for order in placed)
    assert sum(order.delivery_total for order in placed) > 0


def test_load_demo_tariffs_cost_more_the_further_the_city_is_from_the_shop():
    call_command("load_demo", stdout=StringIO())

    seed_cities = {"Москва", "Санкт-Петербург", "Псков", "Пермь", "Новосибирск", "Владивосток", "Калининград"}
    for shop in Shop.objects.all():
        rates = dict(shop.delivery_rates.values_list("city", "cost"))
        assert set(rates) == seed_cities
        by_distance = sorted(seed_cities, key=lambda city: distance_km(shop.city, city))
        assert by_distance[0] == shop.city
        costs = [rates[city] for city in by_distance]
        assert costs == sorted(costs), shop.name
        assert costs[0] < costs[-1]
        assert shop.default_delivery_cost > costs[-1]


def test_load_demo_on_a_database_with_users_loads_nothing_and_prints_no_credentials():
    call_command("load_demo", stdout=StringIO())
    users_before = User.objects.count()
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert User.objects.count() == users_before
    assert "nothing loaded" in out.getvalue()
    assert "manager " not in out.getvalue()


def test_load_demo_that_fails_halfway_leaves_the_database_empty_so_it_can_run_again(tmp_path, monkeypatch):
    from orders.management.commands import load_demo

    demo_dir = tmp_path / "pricelists"
    demo_dir.mkdir()
    for path in load_demo.DEMO_DIR.iterdir():
        (demo_dir / path.name).write_bytes(path.read_bytes())
    (demo_dir / "electropoint.yaml").write_text("shop: ЭлектроПойнт\ngoods: []\n", encoding="utf-8")
    monkeypatch.setattr(load_demo, "DEMO_DIR", demo_dir)

    with pytest.raises(CommandError, match=r"electropoint\.yaml failed"):
        call_command("load_demo", stdout=StringIO())

    assert User.objects.count() == 0
    assert Shop.objects.count() == 0
    assert Offer.objects.count() == 0


def test_load_demo_users_have_confirmed_addresses_so_they_sign_in_under_mandatory_confirmation():
    call_command("load_demo", stdout=StringIO())

    assert set(User.objects.values_list("is_email_verified", "has_ever_verified_email")) == {(True, True)}


def test_load_demo_keeps_the_credentials_for_this_user_only_and_says_where_emails_go(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "accounts.mail_files.ReadableFileBackend",
            "OPTIONS": {"file_path": "/srv/mail"},
        }
    }
    out = StringIO()

    call_command("load_demo", stdout=out)

    path = settings.DEMO_CREDENTIALS_FILE
    kept = path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert kept.startswith("Demo credentials (loaded ")
    assert kept.strip() in out.getvalue()
    assert re.search(r"^  Store manager \(admin\) +manager +\S+$", kept, flags=re.MULTILINE)
    assert (
        out.getvalue()
        .rstrip()
        .endswith("E-mails: written to /srv/mail/ (one file per message, readable UTF-8)")
    )
