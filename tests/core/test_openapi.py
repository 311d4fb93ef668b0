"""The OpenAPI document stays true to the route table: every route of the app is
documented (method and path) or excluded with a reason, and every documented
operation has its route. The fuzzing of the documented operations against a live
server is tests/core/test_api_fuzz.py."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask

from core.api import openapi
from core.app import create_app
from core.chat.frames import Hello

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def app(settings, db, redis) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    settings.demo = True  # the demo storefront's routes must be classified too
    app = create_app(settings)
    yield app
    app.extensions["storechat"].close()


def _routes(app: Flask) -> set[tuple[str, str, str, str]]:
    """(METHOD, OpenAPI path, Flask rule, endpoint) of every route."""
    return {(method, openapi.openapi_path(rule.rule), rule.rule, rule.endpoint)
            for rule in app.url_map.iter_rules() for method in (rule.methods or set()) - IGNORED_METHODS}


def _how_to_add(method: str, path: str, rule: str, endpoint: str) -> str:
    return (f"{method} {rule} (endpoint {endpoint!r}) is neither documented nor excluded. In core/api/openapi.py, "
            f"add to OPERATIONS:\n    Operation({method.lower()!r}, {path!r}, {endpoint!r}, \"<summary>\", \"<tag>\", "
            f"{{200: Answer(\"...\", <pydantic model or 'json'/'html'/'js'>), 400: ERROR, ...}}, "
            f"query=(...), body=(<pydantic model>,))\n"
            f"or, if it is not an API (an HTML page or form, a socket, static files), to EXCLUDED:\n"
            f"    {rule!r}: \"<why it is not documented>\",")


def test_every_route_is_documented_or_excluded(app: Flask) -> None:
    documented = {(op.method.upper(), op.path) for op in openapi.OPERATIONS}
    missing = [_how_to_add(*route) for route in sorted(_routes(app))
               if route[2] not in openapi.EXCLUDED and route[:2] not in documented]
    assert not missing, "\n\n".join(missing)


def test_every_documented_operation_has_its_route(app: Flask) -> None:
    routes = {(method, path): endpoint for method, path, _rule, endpoint in _routes(app)}
    for op in openapi.OPERATIONS:
        key = (op.method.upper(), op.path)
        assert key in routes, f"{op.method.upper()} {op.path} is in core/api/openapi.py but no route serves it"
        assert routes[key] == op.endpoint, (key, routes[key], op.endpoint)


def test_every_exclusion_names_a_route_and_a_reason(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    for rule, reason in openapi.EXCLUDED.items():
        assert rule in rules, f"EXCLUDED names {rule!r}, which is no route any more: remove it"
        assert len(reason) > 10, rule
    documented = {op.path for op in openapi.OPERATIONS}
    assert not {openapi.openapi_path(rule) for rule in openapi.EXCLUDED} & documented


def test_a_route_added_later_is_named_with_how_to_add_it(app: Flask) -> None:
    app.add_url_rule("/widget/v1/feedback", "widget.feedback", lambda: "", methods=["POST"])
    with pytest.raises(AssertionError) as failure:
        test_every_route_is_documented_or_excluded(app)
    message = str(failure.value)
    assert "POST /widget/v1/feedback (endpoint 'widget.feedback')" in message
    assert "Operation('post', '/widget/v1/feedback', 'widget.feedback'" in message and "EXCLUDED" in message


def test_the_document_is_served_and_loads(app: Flask) -> None:
    response = app.test_client().get(openapi.PATH)
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0" and spec == openapi.document()
    ids = [op.endpoint for op in openapi.OPERATIONS]
    assert len(ids) == len(set(ids))
    loaded = schemathesis.openapi.from_dict(spec)
    labels = {op.ok().label for op in loaded.get_all_operations()}
    assert len(labels) == len(openapi.OPERATIONS)
    assert "POST /api/v1/visitor/hello" in labels and "GET /admin/inbox/api/conversations/{conversation_id}" in labels


def test_request_bodies_come_from_the_frame_models() -> None:
    spec = openapi.document()
    hello = spec["paths"]["/api/v1/visitor/hello"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(hello["properties"]) == set(Hello.model_fields) - {"type"}
    assert hello["required"] == ["site_key"]
    assert hello["properties"]["site_key"]["maxLength"] == 64
    rate = spec["paths"]["/api/v1/visitor/rate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(rate["required"]) == {"site_key", "token", "conversation_id", "score"}
    assert rate["properties"]["score"] == {"maximum": 5, "minimum": 1, "title": "Score", "type": "integer"}
    assert "Cart" in spec["components"]["schemas"]  # nested models live in components


def test_the_analytics_answer_is_the_schema_the_api_publishes() -> None:
    # /admin/api/analytics/schema.json and the document describe the report with one model.
    from core.analytics.metrics import AnalyticsReport, schema

    spec = openapi.document()
    answer = spec["paths"]["/admin/api/analytics"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/AnalyticsReport"}
    published = schema()
    nested = published.pop("$defs")
    for key in ("$schema", "$id"):
        published.pop(key)
    as_refs = openapi._schema(AnalyticsReport, {})
    assert spec["components"]["schemas"]["AnalyticsReport"] == as_refs
    assert as_refs["properties"].keys() == published["properties"].keys()
    assert set(nested) <= set(spec["components"]["schemas"])
    events = spec["paths"]["/widget/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert events["required"] == ["site_key", "events"] and events["properties"]["events"]["maxItems"] == 20
