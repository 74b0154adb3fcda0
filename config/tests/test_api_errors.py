"""Every error answers in one JSON shape, outside the API views too; the admin keeps its HTML pages."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation
from rest_framework.test import APIClient

from config.api.errors import server_error


@pytest.mark.django_db
def test_an_unknown_path_is_a_json_404():
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get("/no/such/endpoint/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
def test_an_unknown_admin_path_keeps_the_html_page(admin_client):
    response = admin_client.get("/admin/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_answers_without_a_trace():
    with translation.override("en"):
        response = server_error(RequestFactory().get("/products/"))

    assert response.status_code == 500
    assert response.content == b'{"detail": "Server error.", "code": "server_error"}'


@pytest.mark.django_db
def test_a_disallowed_host_is_a_json_400():
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get("/products/", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


@pytest.mark.django_db
def test_an_unsupported_media_type_is_a_415_in_the_error_shape():
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/register/", "<xml/>", content_type="application/xml"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
def test_a_page_that_is_not_a_positive_integer_is_a_400_naming_the_page(page):
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get("/shops/", {"page": page})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "page: A positive integer is required.",
        "code": "invalid",
        "errors": {"page": ["A positive integer is required."]},
    }


@pytest.mark.django_db
def test_the_last_page_keyword_still_answers_the_last_page():
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get("/shops/", {"page": "last"})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.django_db
def test_errors_of_a_nested_object_are_keyed_by_their_dotted_path():
    from accounts import services as account_services
    from accounts.tests.factories import UserFactory
    from orders.models import Order

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {account_services.issue_token(user=UserFactory())}")

    response = api.post(
        "/products/order/", {"product_info": 1, "quantity": 1, "contact": {"city": "x" * 101}}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "contact.city: Ensure this field has no more than 100 characters.",
        "code": "max_length",
        "errors": {"contact.city": ["Ensure this field has no more than 100 characters."]},
    }
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_a_nested_object_of_the_wrong_type_is_reported_under_its_own_name():
    from accounts import services as account_services
    from accounts.tests.factories import UserFactory

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {account_services.issue_token(user=UserFactory())}")

    response = api.post("/products/order/", {"product_info": 1, "quantity": 1, "contact": 5}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "contact: Invalid data. Expected a dictionary, but got int.",
        "code": "invalid",
        "errors": {"contact": ["Invalid data. Expected a dictionary, but got int."]},
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "detail"), [("en", "Not found."), ("ru", "Не найдено.")], ids=["en", "ru"]
)
def test_an_unknown_id_answers_a_translated_message_without_internal_model_names(language, detail):
    from accounts import services as account_services
    from accounts.tests.factories import UserFactory

    api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    api.credentials(HTTP_AUTHORIZATION=f"Token {account_services.issue_token(user=UserFactory())}")

    order = api.get("/orders/info/", {"id": 999999})
    contact = api.patch("/user/contacts/999999/", {"city": "Tver"}, format="json")

    assert (order.status_code, order.json()) == (404, {"detail": detail, "code": "not_found"})
    assert (contact.status_code, contact.json()) == (404, {"detail": detail, "code": "not_found"})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
    ids=["arrays", "objects"],
)
def test_json_nested_too_deeply_is_a_400_parse_error_not_a_crash(body):
    from accounts.models import User

    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post("/register/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - the JSON is nested too deeply.",
        "code": "parse_error",
    }
    assert User.objects.count() == 0
