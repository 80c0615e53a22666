"""The OpenAPI 3.1 description of ``/api/``, built from the route declarations.

Each ``/api/`` route describes itself where it is declared::

    route("/api/booths/{booth_id:int}", api_booth, allow=EVERYONE,
          openapi=operation("One booth", query=[LANG], response=BOOTH))

``operation()`` returns an OpenAPI Operation Object (a plain dict: any key of the standard
may be added). The builder adds what the declaration already says: the path parameters and
their types (from the path's convertors), the roles (``x-roles``), 401/403 for gated routes,
404 for routes with path parameters, 413 for operations with a request body (the gate bounds
it); 405 is never listed (only declared methods are). Every error body is the shared
``Error`` schema. ``GET /api/openapi.json`` serves the result; tests/expo/test_openapi.py
fails when an ``/api/`` route has no description, and fuzzes every operation against its
own schemas.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from expo.accounts.roles import ANONYMOUS, EVERYONE
from expo.web.routing import route, walk

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
        }
    },
}
ERROR = {"$ref": "#/components/schemas/Error"}
# Largest path id the database keys hold; larger ids answer 404 (expo.web.routing).
MAX_ID = 2**31 - 1
_PARAM = re.compile(r"{([^}:]+)(?::([^}]+))?}")
_CONVERTOR_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number", "minimum": 0},
    "str": {"type": "string", "pattern": "^[^/]+$"},
    "path": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
}


def param(
    name: str, schema: Mapping[str, Any], description: str = "", *, required: bool = False, where: str = "query"
) -> dict[str, Any]:
    """A query (or header) parameter."""
    out: dict[str, Any] = {"name": name, "in": where, "required": required, "schema": dict(schema)}
    if description:
        out["description"] = description
    return out


def json_body(schema: Mapping[str, Any], description: str = "") -> dict[str, Any]:
    """A JSON request body (for ``requestBody``)."""
    return {"required": True, "description": description, "content": {"application/json": {"schema": dict(schema)}}}


def operation(
    summary: str,
    *,
    response: Mapping[str, Any] | None = None,
    query: Sequence[Mapping[str, Any]] = (),
    errors: Mapping[int, str] | None = None,
    body: Mapping[str, Any] | None = None,
    description: str = "",
    tags: Sequence[str] = (),
    status: int = 200,
    **extra: Any,
) -> dict[str, Any]:
    """An Operation Object: ``response`` is the JSON schema of the success body, ``errors``
    the extra error statuses the endpoint answers (e.g. ``{400: "Unknown sector."}``)."""
    responses: dict[str, Any] = {
        str(status): {"description": "OK", "content": {"application/json": {"schema": dict(response or {})}}}
    }
    for code, text in (errors or {}).items():
        responses[str(code)] = _error(text)
    out: dict[str, Any] = {"summary": summary, "parameters": [dict(p) for p in query], "responses": responses}
    if description:
        out["description"] = description
    if tags:
        out["tags"] = list(tags)
    if body is not None:
        out["requestBody"] = dict(body)
    out.update(extra)
    return out


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def openapi_path(path: str) -> tuple[str, list[dict[str, Any]]]:
    """``/api/booths/{booth_id:int}`` → (``/api/booths/{booth_id}``, its path parameters)."""
    params = []
    for name, convertor in _PARAM.findall(path):
        schema = dict(_CONVERTOR_SCHEMAS.get(convertor or "str", {"type": "string"}))
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", path), params


def api_routes(routes: Iterable[BaseRoute], prefix: str = "/api/") -> list[tuple[str, Route]]:
    return [(path, item) for path, item in walk(routes) if isinstance(item, Route) and path.startswith(prefix)]


def build(routes: Iterable[BaseRoute], *, title: str = "Online investment expo", server: str = "") -> dict[str, Any]:
    """The whole description. A route without ``openapi=`` is listed with
    ``x-undocumented: true`` (the test fails on it)."""
    paths: dict[str, dict[str, Any]] = {}
    for path, item in api_routes(routes):
        template, path_params = openapi_path(path)
        declared = getattr(item, "openapi", None)
        allow = frozenset(getattr(item, "allow", EVERYONE))
        for method in sorted(item.methods or ()):
            if method == "HEAD":
                continue
            op: dict[str, Any] = {"summary": path, "responses": {}, "x-undocumented": True}
            if declared is not None:
                op = {key: (dict(value) if isinstance(value, dict) else value) for key, value in declared.items()}
                op["responses"] = dict(declared.get("responses", {}))
            op["operationId"] = f"{method.lower()}_{item.name}"
            op["parameters"] = [*path_params, *op.get("parameters", [])]
            op["x-roles"] = sorted(allow)
            responses = op["responses"]
            if allow != EVERYONE:
                if ANONYMOUS not in allow:
                    responses.setdefault("401", _error("Not signed in."))
                responses.setdefault("403", _error("This role may not use it."))
            if path_params:
                responses.setdefault("404", _error("No such resource (or not visible to the caller)."))
            if method != "GET":
                responses.setdefault("403", _error("This role may not use it, or the CSRF token is missing."))
            if "requestBody" in op:  # the route gate bounds every body (expo.web.routing)
                responses.setdefault("413", _error("The body is larger than this operation accepts."))
            paths.setdefault(template, {})[method.lower()] = op
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": "1",
            "description": 'The expo\'s JSON API. Errors are `{"error": {"status", "message"}}` with the '
            "message in the caller's language (`?lang=`, the profile or Accept-Language).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "expo_session"}},
        },
    }
    if server:
        spec["servers"] = [{"url": server}]
    return spec


async def openapi_json(request: Request) -> Response:
    cache = request.state.cache
    spec = cache.get("openapi.json")
    if spec is None:
        spec = cache["openapi.json"] = build(request.app.routes, server=request.state.settings.public_url)
    return JSONResponse(spec, headers={"cache-control": "public, max-age=300"})


routes = [
    route(
        "/api/openapi.json",
        openapi_json,
        allow=EVERYONE,
        openapi=operation(
            "This description (OpenAPI 3.1)", response={"type": "object", "required": ["openapi", "paths"]}
        ),
    )
]
