"""`manage.py import_pricelist`: summaries, errors, dry runs, and one transaction per file."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.tests.factories import PartnerFactory
from catalog.models import Offer, Product, Shop
from partners.models import PriceListImport
from partners.tests.data_files import DATA, NONSTANDARD_FILES, SHARED_FILES, needs_shared


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in the source language."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_pricelist", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_the_plan_summary_per_file():
    partner = PartnerFactory(username="tea")

    out, err = run(str(DATA / "good" / "small.yaml"), "--partner", "tea")

    record = PriceListImport.objects.get()
    assert err == ""
    assert out.startswith(
        f"{DATA / 'good' / 'small.yaml'}: shop 'Чайная лавка' imported: 3 goods — 3 created, 0 updated, "
        "0 unchanged, 0 retired ("
    )
    assert (record.source, record.partner, record.status) == ("cli", partner, "succeeded")
    assert Offer.objects.count() == 3


def test_second_import_lists_updated_and_retired_offers():
    PartnerFactory(username="tea")
    run(str(DATA / "good" / "small.yaml"), "--partner", "tea")

    out, _err = run(str(DATA / "good" / "small_changed.yaml"), "--partner", "tea")

    assert "1 created, 2 updated, 0 unchanged, 1 retired" in out
    assert "  updated 101 Чай зелёный Сенча 100 г: price (price 349.90 → 379.90, quantity 25 → 25)\n" in out
    assert '  retired A-102 Кофе в зёрнах "Арабика" 1 кг\n' in out


def test_dry_run_prints_the_plan_and_writes_no_offers():
    PartnerFactory(username="tea")

    out, _err = run(str(DATA / "good" / "small.yaml"), "--partner", "tea", "--dry-run")

    assert "shop 'Чайная лавка' would change: 3 goods — 3 created" in out
    assert (Offer.objects.count(), Shop.objects.count()) == (0, 0)
    assert PriceListImport.objects.get().is_dry_run is True


def test_bad_file_exits_non_zero_with_its_errors_and_the_good_files_still_import():
    PartnerFactory(username="tea")
    bad = DATA / "bad" / "many_problems.yaml"
    good = DATA / "good" / "small.yaml"
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match=r"^1 of 2 file\(s\) rejected\.$"):
        call_command("import_pricelist", str(bad), str(good), "--partner", "tea", stdout=out, stderr=err)

    assert err.getvalue().splitlines() == [
        f"{bad}: rejected (8 problem(s)):",
        "  categories[1].name: is missing (line 5)",
        "  goods[0].price: must be a number ≥ 0 (line 10)",
        "  goods[1].category: must be the id of a category declared in `categories` (3 is not declared) (line 13)",
        "  goods[1].name: must not be empty (line 14)",
        "  goods[1].price_rrc: must be a number ≥ 0 (line 16)",
        '  goods[1].parameters["Вес"]: duplicate key (line 20)',
        "  goods[2].id: is missing (line 21)",
        "  goods[2].quantity: must be a whole number ≥ 0 (line 24)",
    ]
    assert list(Shop.objects.values_list("name", flat=True)) == ["Чайная лавка"]
    assert Offer.objects.count() == 3
    assert not Product.objects.filter(name="Чай белый").exists()


def test_unknown_partner_and_missing_file_are_reported():
    PartnerFactory(username="tea")

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run(str(DATA / "good" / "small.yaml"), "--partner", "nobody")
    with pytest.raises(CommandError, match=r"1 of 1 file\(s\) rejected"):
        run(str(DATA / "missing.yaml"), "--partner", "tea")
    assert PriceListImport.objects.count() == 0


def test_a_buyer_cannot_import():
    PartnerFactory(username="tea", type="buyer")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_pricelist", str(DATA / "good" / "small.yaml"), "--partner", "tea", stderr=err)

    assert (
        err.getvalue() == f"{DATA / 'good' / 'small.yaml'}: Only partner accounts can import price lists.\n"
    )
    assert Offer.objects.count() == 0


@needs_shared
def test_every_shared_canonical_file_imports_through_the_command():
    PartnerFactory(username="a")
    PartnerFactory(username="b")
    paths = SHARED_FILES
    # shop1.yaml and shop1-2020.yaml are the same shop (Связной) in two years: one partner owns it.
    by_owner = {"a": [p for p in paths if "Связной" in p.read_text()], "b": []}
    by_owner["b"] = [p for p in paths if p not in by_owner["a"]]

    for username, files in by_owner.items():
        out, err = run(*map(str, files), "--partner", username)
        assert err == ""
        assert out.count(" imported: ") == len(files)

    assert PriceListImport.objects.filter(status="succeeded").count() == len(paths)


@needs_shared
def test_nonstandard_files_are_rejected_through_the_command():
    PartnerFactory(username="a")
    err = StringIO()

    with pytest.raises(CommandError, match=r"2 of 2 file\(s\) rejected"):
        call_command(
            "import_pricelist",
            *map(str, NONSTANDARD_FILES),
            "--partner",
            "a",
            stderr=err,
        )

    assert "  categories: is missing (line 1)" in err.getvalue()
    assert (Shop.objects.count(), Offer.objects.count()) == (0, 0)
