"""`load_demo` fills a fresh database once and prints working credentials once."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts.models import User
from catalog.models import Offer, Shop
from orders.models import Order
from partners.models import PriceListImport

pytestmark = pytest.mark.django_db


def test_load_demo_creates_shops_catalogs_users_and_orders_and_prints_working_credentials():
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert sorted(Shop.objects.values_list("name", flat=True)) == ["Связь-Маркет", "ТехноМир", "ЭлектроПойнт"]
    assert Offer.objects.count() == 21 + 14 + 11
    assert PriceListImport.objects.filter(status=PriceListImport.Status.SUCCEEDED).count() == 3
    assert sorted(Order.objects.values_list("state", flat=True)) == ["confirmed", "delivered", "new", "sent"]
    credentials = dict(re.findall(r"^\s+.+?\s{2,}(\S+)\s+(\S+)$", out.getvalue(), flags=re.MULTILINE))
    assert set(credentials) == {"manager", "tekhnomir", "svyaz-market", "electropoint", "customer"}
    manager = authenticate(username="manager", password=credentials["manager"])
    assert manager is not None
    assert manager.is_superuser
    partner = authenticate(username="tekhnomir", password=credentials["tekhnomir"])
    assert partner.type == User.Type.SHOP
    assert partner.groups.filter(name="Partners").exists()
    assert authenticate(username="customer", password=credentials["customer"]).type == User.Type.BUYER


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
