"""The OpenAPI document a client author reads: a summary, a described tag and examples for every
operation, examples that match their schemas, and docs pages that load only the project's own files."""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema
import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.openapi import registered_examples

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary_and_a_tag_with_a_description(schema):
    described = {tag["name"] for tag in schema["tags"] if tag.get("description")}

    without_summary = [name for name, operation in operations(schema) if not operation.get("summary")]
    badly_tagged = [
        name
        for name, operation in operations(schema)
        if not operation.get("tags") or set(operation["tags"]) - described
    ]

    assert without_summary == []
    assert badly_tagged == []
    assert [tag["name"] for tag in schema["tags"]] == ["accounts", "catalog", "orders", "partners"]


def test_every_operation_has_request_and_response_examples_including_its_errors(schema):
    missing = []
    for name, operation in operations(schema):
        body = operation.get("requestBody")
        if body and not any("examples" in content for content in body["content"].values()):
            missing.append(f"{name} request")
        for status, response in operation["responses"].items():
            for media_type, content in response.get("content", {}).items():
                if not content.get("examples"):
                    missing.append(f"{name} {status} {media_type}")

    assert missing == []


def test_errors_are_shown_in_the_one_error_shape(schema):
    shown = {
        (name, status): example["value"]
        for name, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status >= "400" and "json" in next(iter(response.get("content", {"": 0})))
        for example in next(iter(response["content"].values()))["examples"].values()
    }

    assert shown
    assert {key for key, value in shown.items() if not {"detail", "code"} <= set(value)} == set()


def test_the_registered_examples_name_only_operations_that_exist(schema):
    known = {name for name, _ in operations(schema)}

    assert sorted(set(registered_examples()) - known) == []


def _nullable_as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` as JSON Schema's `null` type, everywhere in the tree; and a `uri` is never
    empty (what a `uri` format check does, which jsonschema runs only with an extra package)."""
    if isinstance(node, dict):
        node = {key: _nullable_as_json_schema(value) for key, value in node.items()}
        if node.get("format") == "uri":
            node.setdefault("minLength", 1)
        if node.pop("nullable", False):
            if "type" in node:
                node["type"] = [node["type"], "null"]
            else:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_nullable_as_json_schema(item) for item in node]
    return node


def test_every_json_example_matches_its_schema(schema):
    components = _nullable_as_json_schema(copy.deepcopy(schema["components"]))
    mismatches = []
    for name, operation in operations(schema):
        places = [("request", operation.get("requestBody", {}).get("content", {}))]
        places += [
            (status, response.get("content", {})) for status, response in operation["responses"].items()
        ]
        for place, contents in places:
            content = contents.get("application/json")
            if not content:
                continue
            validator = jsonschema.Draft7Validator(
                {**_nullable_as_json_schema(content["schema"]), "components": components}
            )
            for example in content.get("examples", {}).values():
                for error in validator.iter_errors(example["value"]):
                    mismatches.append(f"{name} {place} «{example['summary']}»: {error.message}")

    assert mismatches == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "marker"), [("/api/docs/", b"swagger-ui"), ("/api/redoc/", b'<redoc spec-url="/api/schema/"')]
)
def test_the_docs_pages_load_only_the_projects_own_static_files(path, marker):
    response = APIClient().get(path)

    assert response.status_code == 200
    assert marker in response.content
    page = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references
    assert [url for url in references if not url.startswith("/static/")] == []
    assert [url for url in references if finders.find(url.removeprefix("/static/")) is None] == []
    assert not re.search(r"https?://", page)
    assert response["Content-Security-Policy"].startswith("default-src 'self'; img-src 'self' data:;")
