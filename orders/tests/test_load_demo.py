"""`load_demo` fills a fresh database once and prints working credentials once."""

import re
import stat
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
