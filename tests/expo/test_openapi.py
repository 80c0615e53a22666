"""The OpenAPI description of /api/ is built from the routes and agrees with them."""

from jsonschema import Draft202012Validator
from starlette.routing import Route
from starlette.testclient import TestClient

from expo.app import create_app
from expo.settings import Settings
from expo.web.openapi import api_routes, build, openapi_path


def test_every_api_route_is_described_and_every_description_is_a_route(settings: Settings) -> None:
    app = create_app(settings)
    spec = build(app.routes)
    declared = {
        (openapi_path(path)[0], method.lower())
        for path, item in api_routes(app.routes)
        for method in (item.methods or ())
        if method != "HEAD"
    }
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    undocumented = sorted(
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if op.get("x-undocumented")
    )
    assert (described, undocumented) == (declared, [])


def test_path_parameters_and_roles_come_from_the_declarations(settings: Settings) -> None:
    app = create_app(settings)
    spec = build(app.routes)
    leads = spec["paths"]["/api/booths/{booth_id}/leads"]["get"]
    assert leads["parameters"][0] == {
        "name": "booth_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
    assert leads["x-roles"] == ["host", "organizer", "team"]
    assert {"401", "403", "404", "200"} <= set(leads["responses"])
    routes = {path: item for path, item in api_routes(app.routes)}
    assert all(isinstance(item, Route) for item in routes.values())


def test_every_schema_in_the_description_is_valid_json_schema(settings: Settings) -> None:
    spec = build(create_app(settings).routes)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for parameter in op["parameters"]:
                Draft202012Validator.check_schema(parameter["schema"])
            for status, response in op["responses"].items():
                for media in response.get("content", {}).values():
                    schema = {**media["schema"], "components": spec["components"]}
                    Draft202012Validator.check_schema(schema), (path, method, status)


def test_the_description_is_served(client: TestClient) -> None:
    response = client.get("/api/openapi.json")
    assert (response.status_code, response.json()["openapi"]) == (200, "3.1.0")
    assert "/api/booths/{booth_id}" in response.json()["paths"]
