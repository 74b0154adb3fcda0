"""Admin of shops and imports: upload → preview → apply, import history, order acceptance, partner scoping."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import ManagerFactory, PartnerFactory
from catalog.models import Offer, Shop
from catalog.shop_names import shop_name_key
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from partners.models import PriceHistory, PriceListImport

pytestmark = pytest.mark.django_db

# The shop page's inline of delivery costs per city, sent empty.
NO_DELIVERY_RATES = {"delivery_rates-TOTAL_FORMS": "0", "delivery_rates-INITIAL_FORMS": "0"}

PRICE_LIST = """\
shop: Чайная лавка
categories:
  - id: 1
    name: Чай
goods:
  - id: 101
    category: 1
    model: teaco/green/sencha
    name: Чай зелёный Сенча 100 г
    price: 349.90
    price_rrc: 399
    quantity: 25
    parameters:
      "Вес (г)": 100
  - id: 102
    category: 1
    name: Чай чёрный Ассам 100 г
    price: 290
    quantity: 3
"""

CHANGED_PRICE_LIST = PRICE_LIST.replace("price: 290", "price: 310").replace("quantity: 3", "quantity: 8")

BROKEN_PRICE_LIST = """\
shop: Чайная лавка
categories:
  - id: 1
    name: Чай
goods:
  - id: 101
    category: 1
    name: Чай зелёный
    price: -5
    quantity: 1
  - id: 102
    category: 7
    name: Чай чёрный
    price: 290
    quantity: 3
"""


def yaml_file(text, name="prices.yaml"):
    return SimpleUploadedFile(name, text.encode(), content_type="application/x-yaml")


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def partner():
    user = PartnerFactory(admin_access=True)
    return user


@pytest.fixture
def other_partner():
    user = PartnerFactory(admin_access=True)
    return user


@pytest.fixture
def shop(partner):
    return ShopFactory(name="Чайная лавка", owner=partner)


@pytest.fixture
def other_shop(other_partner):
    return ShopFactory(name="Кофейня", owner=other_partner)


def upload(client, url, text, **extra):
    return client.post(url, {"file": yaml_file(text), **extra})


# --- shops --------------------------------------------------------------------------------------------


def test_manager_sees_every_shop_with_offer_counts(client, shop, other_shop):
    client.force_login(ManagerFactory())
    OfferFactory(shop=shop)
    OfferFactory(shop=shop, is_active=False)

    response = client.get(reverse("admin:catalog_shop_changelist"))

    assert response.status_code == 200
    shops = {s.name: s for s in response.context["cl"].result_list}
    assert set(shops) == {"Чайная лавка", "Кофейня"}
    assert (shops["Чайная лавка"].offer_total, shops["Чайная лавка"].active_offer_total) == (2, 1)


def test_manager_assigns_a_shop_owner_among_partner_users(client, shop, other_partner):
    client.force_login(ManagerFactory())
    url = reverse("admin:catalog_shop_change", args=[shop.pk])

    page = client.get(url)
    owner_choices = {str(choice[0]) for choice in page.context["adminform"].form.fields["owner"].choices}
    response = client.post(
        url, {"name": shop.name, "owner": other_partner.pk, "url": "", **NO_DELIVERY_RATES}
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.owner == other_partner
    assert str(ManagerFactory().pk) not in owner_choices


def test_partner_sees_only_its_own_shops(client, partner, shop, other_shop):
    client.force_login(partner)

    response = client.get(reverse("admin:catalog_shop_changelist"))

    assert list(response.context["cl"].result_list) == [shop]


def test_partner_guessing_another_shop_id_sees_nothing_and_changes_nothing(client, partner, other_shop):
    client.force_login(partner)

    page = client.get(reverse("admin:catalog_shop_change", args=[other_shop.pk]))
    post = client.post(
        reverse("admin:catalog_shop_change", args=[other_shop.pk]), {"name": "Взлом", "owner": partner.pk}
    )
    toggle = client.post(
        reverse("admin:catalog_shop_toggle_accepting_orders_detail", args=[other_shop.pk]),
        {"_form_submitted": "True"},
    )
    upload_page = client.get(reverse("admin:catalog_shop_upload_price_list_for_shop", args=[other_shop.pk]))

    assert page.status_code == 302
    assert post.status_code == 302
    assert toggle.status_code == 404
    assert upload_page.status_code == 404
    other_shop.refresh_from_db()
    assert (other_shop.name, other_shop.owner_id, other_shop.is_accepting_orders) == (
        "Кофейня",
        other_shop.owner_id,
        True,
    )
    assert other_shop.owner != partner


@pytest.mark.parametrize("object_id", ["abc", "1.5", "99999999999999999999"])
def test_shop_actions_answer_404_for_an_id_that_is_not_a_shop_id(client, object_id):
    client.force_login(ManagerFactory(is_superuser=True))

    toggle = client.post(
        f"/admin/catalog/shop/{object_id}/toggle_accepting_orders_detail/", {"_form_submitted": "True"}
    )
    upload_page = client.get(f"/admin/catalog/shop/{object_id}/upload_price_list_for_shop/")

    assert toggle.status_code == 404
    assert upload_page.status_code == 404


def test_partner_cannot_change_the_owner_of_its_shop_or_add_shops(client, partner, shop, other_partner):
    client.force_login(partner)

    client.post(
        reverse("admin:catalog_shop_change", args=[shop.pk]),
        {"name": "Чайная лавка", "owner": other_partner.pk},
    )
    add = client.get(reverse("admin:catalog_shop_add"))

    shop.refresh_from_db()
    assert shop.owner == partner
    assert add.status_code == 403


def test_partner_switches_order_acceptance_of_its_shop(client, partner, shop):
    client.force_login(partner)
    url = reverse("admin:catalog_shop_toggle_accepting_orders_detail", args=[shop.pk])

    client.post(url, {"_form_submitted": "True"})
    shop.refresh_from_db()
    assert shop.is_accepting_orders is False

    response = client.post(url, {"_form_submitted": "True"})
    shop.refresh_from_db()
    assert shop.is_accepting_orders is True
    assert messages_of(response)[-1][0] == "success"


def test_switching_acceptance_by_get_only_shows_the_dialog(client, partner, shop):
    client.force_login(partner)

    response = client.get(reverse("admin:catalog_shop_toggle_accepting_orders_row", args=[shop.pk]))

    shop.refresh_from_db()
    assert response.status_code == 200
    assert shop.is_accepting_orders is True


# --- upload → preview → apply -------------------------------------------------------------------------


def test_partner_uploads_previews_and_applies_a_price_list(client, partner, shop):
    client.force_login(partner)

    response = upload(
        client, reverse("admin:catalog_shop_upload_price_list_for_shop", args=[shop.pk]), PRICE_LIST
    )

    preview = PriceListImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:partners_pricelistimport_preview", args=[preview.pk])
    assert preview.is_dry_run is True
    assert preview.source == PriceListImport.Source.ADMIN
    assert preview.partner == partner
    assert Offer.objects.count() == 0

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert page.context["can_apply"] is True
    assert "Чай зелёный Сенча 100 г" in body
    assert (preview.created_count, preview.updated_count, preview.unchanged_count, preview.retired_count) == (
        2,
        0,
        0,
        0,
    )

    applied = client.post(response["Location"], {"apply": "1"})

    record = PriceListImport.objects.get(is_dry_run=False)
    assert applied.status_code == 302
    assert applied["Location"] == reverse("admin:partners_pricelistimport_change", args=[record.pk])
    assert record.status == PriceListImport.Status.SUCCEEDED
    assert sorted(Offer.objects.filter(shop=shop).values_list("external_id", "price", "quantity")) == [
        ("101", Decimal("349.90"), 25),
        ("102", Decimal("290.00"), 3),
    ]
    assert messages_of(applied)[-1][0] == "success"


def test_preview_shows_old_and_new_price_and_quantity_of_changed_offers(client, partner, shop):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    client.post(
        reverse("admin:partners_pricelistimport_preview", args=[PriceListImport.objects.get().pk]),
        {"apply": "1"},
    )

    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), CHANGED_PRICE_LIST)
    preview = PriceListImport.objects.filter(is_dry_run=True).latest("id")
    page = client.get(reverse("admin:partners_pricelistimport_preview", args=[preview.pk]))

    body = page.content.decode()
    assert (preview.created_count, preview.updated_count, preview.unchanged_count) == (0, 1, 1)
    assert "290.00" in body
    assert "310" in body
    assert ">3</span> → <strong" in body
    assert ">8</strong>" in body


def test_applied_import_page_shows_old_and_new_price_and_quantity_like_the_preview(client, partner, shop):
    client.force_login(partner)
    for text in (PRICE_LIST, CHANGED_PRICE_LIST):
        upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), text)
        preview = PriceListImport.objects.filter(is_dry_run=True).latest("id")
        client.post(reverse("admin:partners_pricelistimport_preview", args=[preview.pk]), {"apply": "1"})
    applied = PriceListImport.objects.filter(is_dry_run=False).latest("id")

    body = client.get(reverse("admin:partners_pricelistimport_change", args=[applied.pk])).content.decode()

    assert applied.updated_count == 1
    assert ">290.00</span> → <strong" in body
    assert ">310.00</strong>" in body
    assert ">3</span> → <strong" in body
    assert ">8</strong>" in body


def test_preview_lists_every_error_with_its_line_and_cannot_be_applied(client, partner, shop):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), BROKEN_PRICE_LIST)
    preview = PriceListImport.objects.get()

    page = client.get(reverse("admin:partners_pricelistimport_preview", args=[preview.pk]))
    applied = client.post(
        reverse("admin:partners_pricelistimport_preview", args=[preview.pk]), {"apply": "1"}
    )

    body = page.content.decode()
    assert preview.status == PriceListImport.Status.FAILED
    assert page.context["can_apply"] is False
    assert len(page.context["errors"]) >= 2
    for error in preview.errors:
        assert error["message"] in body
    lines = sorted(error["line"] for error in preview.errors)
    assert 9 in lines
    assert 12 in lines
    assert ">Apply<" not in body
    assert applied.status_code == 302
    assert PriceListImport.objects.count() == 1
    assert Offer.objects.count() == 0


def test_cancel_on_the_preview_changes_nothing(client, partner, shop):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    preview = PriceListImport.objects.get()

    response = client.post(
        reverse("admin:partners_pricelistimport_preview", args=[preview.pk]), {"cancel": "1"}
    )

    assert response.status_code == 302
    assert Offer.objects.count() == 0
    assert PriceListImport.objects.count() == 1


def test_apply_after_the_offers_changed_plans_again_and_says_so(client, partner, shop):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    preview = PriceListImport.objects.get()
    OfferFactory(shop=shop, external_id="999", product=ProductFactory(name="Лишний товар"))

    response = client.post(
        reverse("admin:partners_pricelistimport_preview", args=[preview.pk]), {"apply": "1"}
    )

    record = PriceListImport.objects.get(is_dry_run=False)
    assert record.plan["replanned"] is True
    assert record.retired_count == 1
    assert any(level == "warning" for level, _text in messages_of(response))


def test_manager_uploads_for_a_chosen_partner(client, partner, shop):
    client.force_login(ManagerFactory())
    url = reverse("admin:catalog_shop_upload_price_list")

    form_page = client.get(url)
    response = upload(client, url, PRICE_LIST, partner=partner.pk)

    assert form_page.status_code == 200
    assert response.status_code == 302
    assert PriceListImport.objects.get().partner == partner


def test_upload_rejects_a_non_yaml_file_and_keeps_nothing(client, partner):
    client.force_login(partner)

    response = client.post(
        reverse("admin:partners_pricelistimport_upload_price_list"),
        {"file": SimpleUploadedFile("prices.exe", b"MZ")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert PriceListImport.objects.count() == 0


def test_upload_rejects_a_file_above_the_limit(client, partner, settings):
    settings.PRICE_LIST_MAX_BYTES = 100
    client.force_login(partner)

    response = upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert PriceListImport.objects.count() == 0


# --- import history -----------------------------------------------------------------------------------


def test_import_history_lists_status_counts_and_download_link(client, partner, shop):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    record = PriceListImport.objects.get()

    listing = client.get(reverse("admin:partners_pricelistimport_changelist"))
    detail = client.get(reverse("admin:partners_pricelistimport_change", args=[record.pk]))
    download = client.get(reverse("admin:partners_pricelistimport_download", args=[record.pk]))

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [record]
    assert "2 / 0 / 0 / 0" in listing.content.decode()
    assert detail.status_code == 200
    assert reverse("admin:partners_pricelistimport_download", args=[record.pk]) in detail.content.decode()
    assert b"".join(download.streaming_content).decode() == PRICE_LIST


def test_failed_import_page_shows_errors_with_line_numbers(client, partner, shop):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), BROKEN_PRICE_LIST)
    record = PriceListImport.objects.get()

    body = client.get(reverse("admin:partners_pricelistimport_change", args=[record.pk])).content.decode()

    assert 'id="import-errors"' in body
    for error in record.errors:
        assert error["message"] in body


def test_running_import_page_polls_a_progress_endpoint(client, partner, shop):
    record = PriceListImport.objects.create(
        partner=partner,
        shop=shop,
        source=PriceListImport.Source.API,
        status=PriceListImport.Status.RUNNING,
        goods_total=200,
        goods_processed=50,
    )
    client.force_login(partner)

    page = client.get(reverse("admin:partners_pricelistimport_change", args=[record.pk]))
    progress = client.get(reverse("admin:partners_pricelistimport_progress", args=[record.pk]))

    assert 'id="import-progress"' in page.content.decode()
    assert progress.json() == {
        "id": record.pk,
        "status": "running",
        "status_display": str(PriceListImport.Status.RUNNING.label),
        "goods_processed": 50,
        "goods_total": 200,
        "percent": 25,
        "is_finished": False,
    }


def test_partner_cannot_see_or_download_another_partners_import(client, partner, other_partner, other_shop):
    client.force_login(other_partner)
    upload(
        client,
        reverse("admin:partners_pricelistimport_upload_price_list"),
        PRICE_LIST.replace("Чайная лавка", "Кофейня"),
    )
    foreign = PriceListImport.objects.get()
    client.force_login(partner)

    listing = client.get(reverse("admin:partners_pricelistimport_changelist"))
    detail = client.get(reverse("admin:partners_pricelistimport_change", args=[foreign.pk]))
    preview = client.get(reverse("admin:partners_pricelistimport_preview", args=[foreign.pk]))
    apply = client.post(reverse("admin:partners_pricelistimport_preview", args=[foreign.pk]), {"apply": "1"})
    download = client.get(reverse("admin:partners_pricelistimport_download", args=[foreign.pk]))
    progress = client.get(reverse("admin:partners_pricelistimport_progress", args=[foreign.pk]))

    assert list(listing.context["cl"].result_list) == []
    assert detail.status_code == 302
    assert (preview.status_code, apply.status_code, download.status_code, progress.status_code) == (
        404,
        404,
        404,
        404,
    )
    assert PriceListImport.objects.count() == 1
    assert Offer.objects.count() == 0


def test_import_changelist_query_count_does_not_grow(client, partner, shop):
    client.force_login(ManagerFactory())
    url = reverse("admin:partners_pricelistimport_changelist")

    def make(count):
        PriceListImport.objects.bulk_create(
            PriceListImport(partner=partner, shop=shop, source="api", status="succeeded")
            for _ in range(count)
        )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make(10)
    small = queries()
    make(9_990)
    assert PriceListImport.objects.count() == 10_000
    assert queries() == small


def test_shop_changelist_query_count_does_not_grow(client):
    client.force_login(ManagerFactory())
    url = reverse("admin:catalog_shop_changelist")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for _ in range(3):
        ShopFactory()
    small = queries()
    owner = PartnerFactory()
    # bulk_create skips save(), which derives the key: give it, as any bulk writer must.
    Shop.objects.bulk_create(
        Shop(name=f"Магазин {i}", name_key=shop_name_key(f"Магазин {i}"), owner=owner) for i in range(200)
    )
    assert queries() == small


def test_with_a_broker_an_upload_below_the_raised_size_setting_is_previewed_in_the_request(
    client, partner, shop, settings, monkeypatch
):
    from partners.tasks import import_price_list_task

    queued = []
    settings.PRICE_LIST_BACKGROUND_BYTES = len(PRICE_LIST.encode()) + 1
    monkeypatch.setattr(import_price_list_task.app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        import_price_list_task, "apply_async", lambda args=None, **options: queued.append(args)
    )
    client.force_login(partner)

    response = upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)

    record = PriceListImport.objects.get()
    assert response["Location"] == reverse("admin:partners_pricelistimport_preview", args=[record.pk])
    assert queued == []
    assert record.status == PriceListImport.Status.SUCCEEDED


def test_with_a_broker_every_upload_is_checked_in_the_background_with_progress_then_previewed(
    client, partner, shop, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from partners.importing.workflow import run_price_list_import
    from partners.tasks import import_price_list_task

    queued = []
    monkeypatch.setattr(import_price_list_task.app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        import_price_list_task, "apply_async", lambda args=None, **options: queued.append(args)
    )
    client.force_login(partner)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)

    record = PriceListImport.objects.get()
    change_url = reverse("admin:partners_pricelistimport_change", args=[record.pk])
    preview_url = reverse("admin:partners_pricelistimport_preview", args=[record.pk])
    assert response["Location"] == change_url
    assert queued == [[record.pk]]
    assert record.status == PriceListImport.Status.PENDING
    assert 'id="import-progress"' in client.get(change_url).content.decode()
    assert client.get(preview_url)["Location"] == change_url

    run_price_list_import(price_list_import=record)

    page = client.get(change_url).content.decode()
    assert 'id="import-progress"' not in page
    assert preview_url in page
    assert client.get(preview_url).context["can_apply"] is True
    assert Offer.objects.count() == 0


def test_partner_import_and_shop_filters_do_not_reveal_other_shops(client, partner, shop, other_shop):
    client.force_login(partner)

    imports = client.get(reverse("admin:partners_pricelistimport_changelist")).content.decode()
    shops = client.get(reverse("admin:catalog_shop_changelist")).content.decode()

    assert "Кофейня" not in imports
    assert "Кофейня" not in shops
    assert other_shop.owner.username not in shops


def test_uploading_another_shops_file_from_a_shop_page_warns(client, partner, shop):
    client.force_login(partner)
    url = reverse("admin:catalog_shop_upload_price_list_for_shop", args=[shop.pk])

    response = upload(client, url, PRICE_LIST.replace("Чайная лавка", "Чайный домик"))

    assert response.status_code == 302
    assert [level for level, _text in messages_of(response)] == ["warning"]
    assert "Чайный домик" in messages_of(response)[0][1]
    assert Offer.objects.count() == 0


def test_applying_a_large_preview_runs_in_the_background_with_progress(
    client, partner, shop, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from partners.importing.workflow import run_price_list_import
    from partners.tasks import import_price_list_task

    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    preview = PriceListImport.objects.get()
    queued = []
    settings.PRICE_LIST_BACKGROUND_BYTES = 10
    monkeypatch.setattr(import_price_list_task.app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        import_price_list_task, "apply_async", lambda args=None, **options: queued.append(args)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:partners_pricelistimport_preview", args=[preview.pk]), {"apply": "1"}
        )

    record = PriceListImport.objects.get(is_dry_run=False)
    change_url = reverse("admin:partners_pricelistimport_change", args=[record.pk])
    assert response["Location"] == change_url
    assert queued == [[record.pk]]
    assert record.status == PriceListImport.Status.PENDING
    assert Offer.objects.count() == 0
    assert 'id="import-progress"' in client.get(change_url).content.decode()

    run_price_list_import(price_list_import=record)

    record.refresh_from_db()
    assert record.status == PriceListImport.Status.SUCCEEDED
    assert record.plan["replanned"] is False
    assert Offer.objects.filter(shop=shop).count() == 2
    assert 'id="import-progress"' not in client.get(change_url).content.decode()


# --- shop names as people read them -------------------------------------------------------------------


# The look-alikes of «Связь-Маркет», each of which created a new shop before, and other spellings.
LOOK_ALIKES = {
    "trailing space": "Связь-Маркет ",
    "no-break space": "Связь-Маркет\u00a0",
    "Latin C": "Cвязь-Маркет",
    "no-break hyphen": "Связь\u2011Маркет",
    "Latin M": "Связь-Mаркет",
    "another case": "связь-маркет",
    "fullwidth letters": "Связь-\uff2dаркет",
}


@pytest.mark.parametrize("name", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_manager_adding_a_look_alike_of_another_shop_gets_a_form_error_and_nothing_is_created(
    client, other_partner, partner, name
):
    ShopFactory(name="Связь-Маркет", owner=other_partner)
    client.force_login(ManagerFactory())

    response = client.post(reverse("admin:catalog_shop_add"), {"name": name, "owner": partner.pk, "url": ""})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["The name reads the same as the name of the shop “Связь-Маркет”; choose another name."]
    }
    assert list(Shop.objects.values_list("name", "owner")) == [("Связь-Маркет", other_partner.pk)]


@pytest.mark.parametrize("name", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_partner_renaming_its_shop_to_a_look_alike_of_another_gets_a_form_error(
    client, partner, shop, other_partner, name
):
    ShopFactory(name="Связь-Маркет", owner=other_partner)
    client.force_login(partner)

    response = client.post(reverse("admin:catalog_shop_change", args=[shop.pk]), {"name": name, "url": ""})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["The name reads the same as the name of the shop “Связь-Маркет”; choose another name."]
    }
    shop.refresh_from_db()
    assert (shop.name, shop.name_key) == ("Чайная лавка", shop_name_key("Чайная лавка"))


def test_manager_adding_a_look_alike_of_the_same_catalog_shop_is_refused_too(client, partner):
    ShopFactory(name="Связь-Маркет", owner=partner)
    client.force_login(ManagerFactory())

    response = client.post(
        reverse("admin:catalog_shop_add"), {"name": "CВЯЗЬ-MАРКЕТ", "owner": partner.pk, "url": ""}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["The name reads the same as the name of the shop “Связь-Маркет”; choose another name."]
    }
    assert Shop.objects.count() == 1


def test_manager_adding_a_name_with_a_zero_width_space_is_told_which_character_and_where(client, partner):
    client.force_login(ManagerFactory())

    response = client.post(
        reverse("admin:catalog_shop_add"), {"name": "Коф\u200bейня", "owner": partner.pk, "url": ""}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": [
            "The shop name contains the invisible or control character U+200B (ZERO WIDTH SPACE) at position 4;"
            " remove it."
        ]
    }
    assert not Shop.objects.exists()


def test_manager_adds_a_shop_under_an_honest_name_trimmed_with_its_key(client, partner, other_shop):
    client.force_login(ManagerFactory())

    response = client.post(
        reverse("admin:catalog_shop_add"),
        {"name": "  Кофейня\u00a0на углу ", "owner": partner.pk, "url": "", **NO_DELIVERY_RATES},
    )

    assert response.status_code == 302
    shop = Shop.objects.get(owner=partner)
    assert (shop.name, shop.name_key) == ("Кофейня на углу", shop_name_key("кофейня на углу"))


def test_partner_may_change_the_case_of_its_own_shop_name(client, partner, shop):
    client.force_login(partner)

    response = client.post(
        reverse("admin:catalog_shop_change", args=[shop.pk]),
        {"name": "ЧАЙНАЯ ЛАВКА", "url": "", **NO_DELIVERY_RATES},
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.name_key) == ("ЧАЙНАЯ ЛАВКА", shop_name_key("Чайная лавка"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_look_alike_created_between_the_form_check_and_the_save_gets_the_form_error_not_a_crash(client):
    """Another connection inserts «Кофейня» uncommitted; the admin's check cannot see it, its insert waits on
    the unique key, fails when the other commits, and the form is answered again with the error."""
    import threading
    import time

    from django.db import connections

    partner = PartnerFactory(admin_access=True)
    client.force_login(ManagerFactory())
    inserted = threading.Event()
    errors = []

    def insert_and_commit_once_the_admin_waits():
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(
                    f"INSERT INTO {Shop._meta.db_table} (name, name_key, owner_id, url, is_accepting_orders,"
                    " created_at) VALUES (%s, %s, %s, '', true, now())",
                    ["Кофейня", shop_name_key("Кофейня"), partner.pk],
                )
                inserted.set()
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
                cursor.execute("COMMIT")
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            other.close()

    thread = threading.Thread(target=insert_and_commit_once_the_admin_waits)
    thread.start()
    assert inserted.wait(timeout=20)
    response = client.post(
        reverse("admin:catalog_shop_add"),
        {"name": "КОФЕЙНЯ", "owner": partner.pk, "url": "", **NO_DELIVERY_RATES},
    )
    thread.join(timeout=30)

    assert errors == []
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["The name reads the same as the name of the shop “Кофейня”; choose another name."]
    }
    assert list(Shop.objects.values_list("name", flat=True)) == ["Кофейня"]


def test_offer_page_shows_the_price_history_imports_wrote(client):
    offer = OfferFactory()
    client.force_login(ManagerFactory())
    PriceHistory.objects.create(offer=offer, old_price=Decimal("95000.00"), new_price=Decimal("90000.00"))

    response = client.get(reverse("admin:catalog_offer_change", args=[offer.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "95000,00" in body or "95000.00" in body
