"""Typed views: pydantic v2 validation in, serialisation out, and an OpenAPI 3.1 document.

>>> from pydantic import BaseModel
>>> from stein import Stein
>>> from stein.ext.openapi import OpenAPI
>>> class ItemIn(BaseModel):
...     name: str
>>> class ItemOut(ItemIn):
...     id: int
>>> app = Stein(__name__)
>>> api = OpenAPI(app, title="Inventory", version="1.0")
>>> @api.post("/items", status_code=201)
... def create(body: ItemIn) -> ItemOut:
...     return ItemOut(id=1, name=body.name)

How parameters are read, from the view's annotations:

- a pydantic model, a parameter named ``body``, or ``Annotated[T, Body()]`` is the JSON body;
- ``Annotated[Model, Query()]`` is the query string, one parameter per model field;
- a plain type named like a URL variable (``<int:item_id>``) is a path parameter, any other
  plain type a query parameter (``Annotated[int, Query(), Field(ge=1)]`` adds constraints);
- ``Annotated[str, Header()]`` is a request header (``x_token`` -> ``X-Token``).

Invalid input answers 422 with ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``.
The return annotation serialises the value the view returns (``(value, status)`` tuples and
``Response`` objects pass through). ``app.openapi()`` returns the document, served at
``/openapi.json``; ``/docs`` is Swagger UI from the ``swagger-ui-dist`` npm package, bundled
into ``openapi_static/`` at build time (``make openapi-assets``), never loaded from a CDN.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..ctx import _cv_app, request
from ..exceptions import NotFound
from ..helpers import send_from_directory, url_for
from ..wrappers import Response

if TYPE_CHECKING:
    from ..app import Stein
    from ..wrappers import Response

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["Body", "Header", "OpenAPI", "Path", "Query", "STATIC_DIR", "validate"]

STATIC_DIR = os.path.join(os.path.dirname(__file__), "openapi_static")
_STATIC_FILES = frozenset(("swagger-ui-bundle.js", "swagger-ui.css", "init.js"))
_REF = "#/components/schemas/{model}"
_RULE_VAR = re.compile(r"<(?:(?P<conv>\w+)(?:\([^)]*\))?:)?(?P<var>\w+)>")
_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number", "minimum": 0},
    "uuid": {"type": "string", "format": "uuid"},
    "path": {"type": "string"},
    "string": {"type": "string"},
    "any": {"type": "string"},
}
_METHODS = ("get", "put", "post", "delete", "options", "patch", "trace")


class _Marker:
    location = ""

    def __init__(self, description: str | None = None, alias: str | None = None) -> None:
        self.description = description
        self.alias = alias


class Query(_Marker):
    """Mark a parameter as coming from the query string: ``Annotated[Model, Query()]``."""

    location = "query"


class Path(_Marker):
    """Mark a parameter as a URL variable (plain types named like one are path params anyway)."""

    location = "path"


class Header(_Marker):
    """Mark a parameter as a request header; ``x_token`` reads ``X-Token`` unless ``alias``."""

    location = "header"


class Body(_Marker):
    """Mark a parameter as the JSON body (models are the body without it)."""

    location = "body"


@dataclass
class _Param:
    name: str
    location: str  # body | query | path | header | auto (path if a URL variable, else query)
    annotation: Any  # what pydantic validates (our markers removed)
    required: bool
    default: Any
    marker: _Marker | None
    is_model: bool
    adapter: Any = None

    @property
    def wire_name(self) -> str:
        if self.marker is not None and self.marker.alias:
            return self.marker.alias
        if self.location == "header":
            return "-".join(p.capitalize() for p in self.name.split("_"))
        return self.name


@dataclass
class _Operation:
    view: Callable[..., Any]
    status_code: int = 200
    summary: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    responses: dict[int, Any] = field(default_factory=dict)
    deprecated: bool = False
    params: list[_Param] = field(default_factory=list)
    return_adapter: Any = None
    return_annotation: Any = None
    ready: bool = False

    def resolve(self) -> None:
        """Read the annotations once, on first use (so forward references have resolved)."""
        if self.ready:
            return
        from pydantic import BaseModel, TypeAdapter

        hints = typing.get_type_hints(self.view, include_extras=True)
        sig = inspect.signature(self.view)
        params = []
        for name, p in sig.parameters.items():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            tp = hints.get(name, Any)
            marker = None
            if typing.get_origin(tp) is typing.Annotated:
                base, *meta = typing.get_args(tp)
                marker = next((m for m in meta if isinstance(m, _Marker)), None)
                rest = [m for m in meta if not isinstance(m, _Marker)]
                keep = (base, *rest)
                tp = typing.Annotated[keep] if rest else base  # type: ignore[valid-type]
            core = typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp
            is_model = isinstance(core, type) and issubclass(core, BaseModel)
            if marker is not None:
                location = marker.location
            else:
                location = "body" if is_model or name == "body" else "auto"
            required = p.default is p.empty
            param = _Param(name, location, tp, required, None if required else p.default,
                           marker, is_model)
            param.adapter = TypeAdapter(tp)
            params.append(param)
        if sum(1 for p in params if p.location == "body") > 1:
            raise TypeError(f"{self.view.__qualname__}: only one parameter can be the JSON body")
        self.params = params
        ret = hints.get("return")
        if ret is not None and ret is not type(None) and not _is_response_type(ret):
            self.return_annotation = ret
            self.return_adapter = TypeAdapter(ret)
        self.ready = True


def _is_response_type(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Response)


def _error(loc: list[Any], msg: str, type_: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": type_}


def _pydantic_errors(exc: Any, prefix: list[Any]) -> list[dict[str, Any]]:
    return [_error([*prefix, *e["loc"]], e["msg"], e["type"]) for e in exc.errors(include_url=False)]


_MISSING = object()


def _read_inputs(op: _Operation, view_args: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from pydantic import ValidationError

    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for p in op.params:
        loc = p.location
        if loc == "auto":
            loc = "path" if p.name in view_args else "query"
        if loc == "path":
            raw: Any = view_args.get(p.name, _MISSING)
            prefix: list[Any] = ["path", p.name]
        elif loc == "body":
            prefix = ["body"]
            raw = _read_body(p, errors)
            if raw is None and errors:
                continue
        elif loc == "query" and p.is_model:
            prefix = ["query"]
            raw = _query_for_model(p.annotation)
        elif loc == "query":
            prefix = ["query", p.wire_name]
            raw = _query_value(p)
        else:  # header
            prefix = ["header", p.wire_name]
            raw = request.headers.get(p.wire_name, _MISSING)
        if raw is _MISSING:
            if p.required:
                errors.append(_error(prefix, "Field required", "missing"))
            else:
                values[p.name] = p.default
            continue
        try:
            values[p.name] = p.adapter.validate_python(raw)
        except ValidationError as e:
            errors.extend(_pydantic_errors(e, prefix))
    return values, errors


def _read_body(p: _Param, errors: list[dict[str, Any]]) -> Any:
    data = request.get_data(cache=True)
    if not data:
        if p.required:
            errors.append(_error(["body"], "Field required", "missing"))
            return None
        return _MISSING
    if not request.is_json:
        errors.append(_error(["body"], "Expected a JSON body (Content-Type: application/json)",
                             "content_type"))
        return None
    import json

    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        msg = str(e) if isinstance(e, ValueError) else "nested too deeply"
        errors.append(_error(["body"], f"Invalid JSON: {msg}", "json_invalid"))
        return None


def _is_list_type(tp: Any) -> bool:
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin in (list, set, frozenset, tuple):
        return True
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        return any(_is_list_type(a) for a in typing.get_args(tp))
    return False


def _query_value(p: _Param) -> Any:
    args = request.args
    if p.wire_name not in args:
        return _MISSING
    if _is_list_type(p.annotation):
        return args.getlist(p.wire_name)
    return args.get(p.wire_name)


def _query_for_model(model: Any) -> dict[str, Any]:
    if typing.get_origin(model) is typing.Annotated:
        model = typing.get_args(model)[0]
    args = request.args
    out: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        key = f.alias or name
        if key in args:
            out[key] = args.getlist(key) if _is_list_type(f.annotation) else args.get(key)
    return out


def _render(op: _Operation, rv: Any) -> Any:
    if isinstance(rv, Response) or op.return_adapter is None and not _is_model_instance(rv):
        return rv
    status: Any = op.status_code
    headers = None
    if type(rv) is tuple:
        if len(rv) == 3:
            rv, status, headers = rv
        elif len(rv) == 2:
            rv, second = rv
            if isinstance(second, (int, str)):
                status = second
            else:
                headers = second
        if isinstance(rv, Response):
            return rv, status, headers or {}
    if op.return_adapter is not None:
        body = op.return_adapter.dump_json(rv)
    else:
        body = rv.model_dump_json()
    app = _cv_app.get().app
    resp = app.response_class(body, mimetype="application/json")
    if isinstance(status, int):
        resp.status_code = status
    else:
        resp.status = status
    if headers:
        resp.headers.update(headers)
    return resp


def _is_model_instance(rv: Any) -> bool:
    return hasattr(rv, "model_dump_json") and hasattr(type(rv), "model_fields")


def _validation_response(errors: list[dict[str, Any]]) -> Response:
    app = _cv_app.get().app
    resp = app.json.response({"detail": errors})
    resp.status_code = 422
    return resp


def validate(view: Any = None, *, status_code: int = 200, summary: str | None = None,
             description: str | None = None, tags: list[str] | None = None,
             responses: dict[int, Any] | None = None, deprecated: bool = False) -> Any:
    """Validate a view's inputs and serialise its output from its annotations.

    Use bare (``@validate``) or with options, below the route decorator. ``responses`` adds
    documented responses: ``{404: "Not found"}`` or ``{404: (ErrorModel, "Not found")}``.
    """

    def decorator(f: F) -> F:
        op = _Operation(f, status_code, summary, description, tags, dict(responses or {}),
                        deprecated)

        if inspect.iscoroutinefunction(f):
            @functools.wraps(f)
            async def async_wrapper(**view_args: Any) -> Any:
                op.resolve()
                values, errors = _read_inputs(op, view_args)
                if errors:
                    return _validation_response(errors)
                return _render(op, await f(**values))

            wrapper: Any = async_wrapper
        else:
            @functools.wraps(f)
            def wrapper(**view_args: Any) -> Any:
                op.resolve()
                values, errors = _read_inputs(op, view_args)
                if errors:
                    return _validation_response(errors)
                return _render(op, f(**values))

        wrapper.__stein_openapi__ = op
        return cast(F, wrapper)

    if view is not None and callable(view):
        return decorator(view)
    return decorator


class OpenAPI:
    """The API description of an app: ``OpenAPI(app, title=..., version=...)``.

    Registers ``/openapi.json`` (``spec_url``) and the Swagger UI page ``/docs``
    (``docs_url``; None turns either off), and sets ``app.openapi()`` to :meth:`spec`.
    Views take part when decorated with :func:`validate` or registered with :meth:`route`,
    :meth:`get`, :meth:`post`, ... (on the app or any blueprint).
    """

    def __init__(self, app: Stein | None = None, *, title: str = "API", version: str = "0.1.0",
                 description: str | None = None, spec_url: str | None = "/openapi.json",
                 docs_url: str | None = "/docs", servers: list[dict[str, Any]] | None = None) -> None:
        self.title = title
        self.version = version
        self.description = description
        self.spec_url = spec_url
        self.docs_url = docs_url
        self.servers = servers
        self.app: Stein | None = None
        self._cache: tuple[int, dict[str, Any]] | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Stein) -> None:
        self.app = app
        app.extensions["openapi"] = self
        app.openapi = self.spec  # type: ignore[attr-defined]
        if self.spec_url:
            app.add_url_rule(self.spec_url, "openapi_spec", self._serve_spec)
        if self.docs_url:
            app.add_url_rule(self.docs_url, "openapi_docs", self._serve_docs)
            app.add_url_rule(self.docs_url.rstrip("/") + "/<filename>", "openapi_static",
                             self._serve_static)

    # -- registration --------------------------------------------------------------------

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``app.route`` plus :func:`validate`; validation options go to :func:`validate`."""
        vopts = {k: options.pop(k) for k in ("status_code", "summary", "description", "tags",
                                              "responses", "deprecated") if k in options}
        if self.app is None:
            raise RuntimeError("OpenAPI.route needs the app: OpenAPI(app) or init_app(app) first")
        app = self.app

        def decorator(f: F) -> F:
            wrapped = validate(**vopts)(f)
            app.route(rule, **options)(wrapped)
            return cast(F, wrapped)

        return decorator

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["POST"], **options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["PUT"], **options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["PATCH"], **options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["DELETE"], **options)

    # -- the document --------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document (built once, rebuilt when routes were added since)."""
        app = self.app
        if app is None:
            raise RuntimeError("OpenAPI is not bound to an app")
        n = len(app.view_functions) + sum(1 for _ in app.url_map.iter_rules())
        if self._cache is not None and self._cache[0] == n:
            return self._cache[1]
        doc = _SpecBuilder(self).build(app)
        self._cache = (n, doc)
        return doc

    def _serve_spec(self) -> Response:
        assert self.app is not None
        return self.app.json.response(self.spec())

    def _serve_docs(self) -> Response:
        from html import escape

        assert self.app is not None
        static = url_for("openapi_static", filename="x")[:-1]
        spec = url_for("openapi_spec") if self.spec_url else ""
        title = escape(self.title)
        page = (
            "<!doctype html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
            f"<title>{title} - API docs</title>\n"
            f'<link rel="stylesheet" href="{static}swagger-ui.css">\n</head>\n<body>\n'
            f'<div id="swagger-ui" data-spec-url="{escape(spec)}"></div>\n'
            f'<script src="{static}swagger-ui-bundle.js"></script>\n'
            f'<script src="{static}init.js"></script>\n</body>\n</html>\n'
        )
        return self.app.response_class(page, mimetype="text/html")

    def _serve_static(self, filename: str) -> Response:
        if filename not in _STATIC_FILES:
            raise NotFound()
        if not os.path.isfile(os.path.join(STATIC_DIR, filename)):
            raise NotFound(f"{filename} is not built: run `make openapi-assets` (bundles the"
                           " swagger-ui-dist npm package into stein/ext/openapi_static/).")
        return send_from_directory(STATIC_DIR, filename, max_age=3600)


class _SpecBuilder:
    def __init__(self, api: OpenAPI) -> None:
        self.api = api
        self.schemas: dict[str, Any] = {}

    def schema(self, tp: Any, mode: str) -> dict[str, Any]:
        from pydantic import BaseModel, TypeAdapter

        s = TypeAdapter(tp).json_schema(ref_template=_REF, mode=mode)  # type: ignore[arg-type]
        for name, d in s.pop("$defs", {}).items():
            self.schemas.setdefault(name, d)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            name = s.get("title", tp.__name__)
            self.schemas.setdefault(name, s)
            return {"$ref": _REF.format(model=name)}
        return s

    def build(self, app: Stein) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for rule in app.url_map.iter_rules():
            view = app.view_functions.get(rule.endpoint)
            op: _Operation | None = getattr(view, "__stein_openapi__", None)
            if op is None:
                continue
            op.resolve()
            path, converters = _openapi_path(rule.rule)
            methods = sorted(m.lower() for m in (rule.methods or ()) if m.lower() in _METHODS
                             and m != "OPTIONS")
            for method in methods:
                item = self.operation(op, rule.endpoint, method, len(methods) > 1, converters)
                paths.setdefault(path, {})[method] = item
        doc: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {"title": self.api.title, "version": self.api.version},
            "paths": paths,
        }
        if self.api.description:
            doc["info"]["description"] = self.api.description
        if self.api.servers:
            doc["servers"] = self.api.servers
        self.schemas.setdefault("ValidationError", _VALIDATION_ERROR)
        self.schemas.setdefault("HTTPValidationError", _HTTP_VALIDATION_ERROR)
        doc["components"] = {"schemas": dict(sorted(self.schemas.items()))}
        return doc

    def operation(self, op: _Operation, endpoint: str, method: str, multi: bool,
                  converters: dict[str, str]) -> dict[str, Any]:
        doc = inspect.getdoc(op.view) or ""
        summary, _, rest = doc.partition("\n")
        out: dict[str, Any] = {"operationId": f"{endpoint}_{method}" if multi else endpoint}
        if op.summary or summary:
            out["summary"] = op.summary or summary.strip()
        if op.description or rest.strip():
            out["description"] = op.description or rest.strip()
        if op.tags:
            out["tags"] = op.tags
        if op.deprecated:
            out["deprecated"] = True
        params: list[dict[str, Any]] = []
        has_input = False
        for p in op.params:
            loc = p.location
            if loc == "auto":
                loc = "path" if p.name in converters else "query"
            if loc == "body":
                has_input = True
                out["requestBody"] = {
                    "required": p.required,
                    "content": {"application/json": {"schema": self.schema(p.annotation, "validation")}},
                }
                continue
            has_input = True
            if loc == "query" and p.is_model:
                params.extend(self.model_params(p.annotation))
                continue
            schema = self.schema(p.annotation, "validation")
            if loc == "path":
                base = _CONVERTER_SCHEMAS.get(converters.get(p.name, "string"), {})
                schema = {**base, **schema} if schema.get("type") in (None, base.get("type")) else schema
            param = {"name": p.wire_name, "in": loc, "required": loc == "path" or p.required,
                     "schema": schema}
            if p.marker is not None and p.marker.description:
                param["description"] = p.marker.description
            params.append(param)
        # URL variables the view does not annotate still belong in the document.
        named = {p.name for p in op.params}
        for var, conv in converters.items():
            if var not in named:
                params.append({"name": var, "in": "path", "required": True,
                               "schema": dict(_CONVERTER_SCHEMAS.get(conv, {"type": "string"}))})
        if params:
            out["parameters"] = params
        responses: dict[str, Any] = {}
        ok: dict[str, Any] = {"description": "Successful response"}
        if op.return_annotation is not None:
            ok["content"] = {"application/json": {
                "schema": self.schema(op.return_annotation, "serialization")}}
        responses[str(op.status_code)] = ok
        if has_input:
            responses["422"] = {
                "description": "Validation error",
                "content": {"application/json": {"schema": {"$ref": _REF.format(model="HTTPValidationError")}}},
            }
        for code, spec in op.responses.items():
            if isinstance(spec, tuple):
                model, text = spec
                responses[str(code)] = {"description": text, "content": {
                    "application/json": {"schema": self.schema(model, "serialization")}}}
            else:
                responses[str(code)] = {"description": str(spec)}
        out["responses"] = responses
        return out

    def model_params(self, model: Any) -> list[dict[str, Any]]:
        s = self.schema(model, "validation")
        if "$ref" in s:
            s = self.schemas[s["$ref"].rsplit("/", 1)[1]]
        required = set(s.get("required", ()))
        return [{"name": name, "in": "query", "required": name in required, "schema": prop}
                for name, prop in s.get("properties", {}).items()]


def _openapi_path(rule: str) -> tuple[str, dict[str, str]]:
    converters: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        converters[m.group("var")] = m.group("conv") or "string"
        return "{" + m.group("var") + "}"

    return _RULE_VAR.sub(repl, rule), converters


_VALIDATION_ERROR = {
    "title": "ValidationError",
    "type": "object",
    "required": ["loc", "msg", "type"],
    "properties": {
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
    },
}
_HTTP_VALIDATION_ERROR = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {"detail": {"type": "array", "items": {"$ref": _REF.format(model="ValidationError")}}},
}
