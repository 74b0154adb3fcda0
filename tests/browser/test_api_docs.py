"""The API docs work with no internet access: Swagger UI and ReDoc come from the project's static files."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def offline(page, live_server):
    """Every request to another host is refused and recorded, as if the machine had no internet."""
    local = urlsplit(live_server.url).netloc
    refused: list[str] = []

    def route(route_request):
        if urlsplit(route_request.request.url).netloc == local:
            route_request.continue_()
        else:
            refused.append(route_request.request.url)
            route_request.abort()

    page.route("**/*", route)
    return refused


def test_swagger_ui_shows_every_tag_and_the_examples_offline(page, live_server, offline, screenshot):
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock-tag", state="visible")

    tags = page.locator(".swagger-ui .opblock-tag").all_inner_texts()
    assert [tag.split("\n")[0] for tag in tags] == ["accounts", "catalog", "orders", "partners"]
    page.locator(".opblock-summary-path[data-path='/get_token/']").click()
    page.wait_for_selector(".examples-select", state="visible")
    screenshot("api-docs-swagger")
    assert offline == []


def test_redoc_renders_offline(page, live_server, offline, screenshot):
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("text=Retail procurement API", state="visible")
    page.wait_for_selector("text=Get an API token", state="attached")

    screenshot("api-docs-redoc")
    assert offline == []
