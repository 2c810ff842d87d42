"""JSON: ``jsonify`` and the app's JSON provider (stdlib ``json``; orjson when installed)."""

from __future__ import annotations

import json as _json
import json.encoder as _json_encoder
import sys
import threading
import weakref
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from .ctx import _cv_app, current_app
from .headersyntax import http_date

if TYPE_CHECKING:
    from .app import Stein
    from .wrappers import Response

try:  # orjson is an optional speed-up; the output is the same JSON, byte for byte.
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None


def _default(o: Any) -> Any:
    if isinstance(o, date):
        # An HTTP date, as Flask writes them; a date is its midnight, UTC.
        if not isinstance(o, datetime):
            o = datetime(o.year, o.month, o.day, tzinfo=timezone.utc)
        return http_date(o)
    # decimal, uuid and dataclasses load on first use; an object of theirs implies they did.
    for mod, cls in (("decimal", "Decimal"), ("uuid", "UUID")):
        m = sys.modules.get(mod)
        if m is not None and isinstance(o, getattr(m, cls)):
            return str(o)
    if hasattr(type(o), "__dataclass_fields__") and not isinstance(o, type):
        import dataclasses

        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _compact_encoder(default: Any, ensure_ascii: bool, sort_keys: bool) -> Any:
    """``f(obj, 0) -> chunks`` giving what ``json.dumps(obj, separators=(",", ":"), ...)``
    gives: the C encoder ``JSONEncoder.encode`` makes per call, made once."""
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - interpreters without the C speed-ups
        enc = _json.JSONEncoder(default=default, ensure_ascii=ensure_ascii, sort_keys=sort_keys,
                                separators=(",", ":"))
        return lambda obj, _level: (enc.encode(obj),)
    quote = _json_encoder.encode_basestring_ascii if ensure_ascii else _json_encoder.encode_basestring
    return make({}, default, quote, None, ":", ",", sort_keys, False, True)


class JSONProvider:
    """Base JSON provider: ``dumps``, ``loads`` and ``response``. Subclass and set
    ``app.json = MyProvider(app)`` to change how the app reads and writes JSON."""

    def __init__(self, app: Stein) -> None:
        # A weak proxy: the app holds its provider, so a strong reference back would make
        # a cycle that keeps every app alive until the garbage collector runs.
        self._app: Stein = weakref.proxy(app)  # type: ignore[assignment]

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        raise NotImplementedError

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        raise NotImplementedError

    def dump(self, obj: Any, fp: Any, **kwargs: Any) -> None:
        fp.write(self.dumps(obj, **kwargs))

    def load(self, fp: Any, **kwargs: Any) -> Any:
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A ``application/json`` response for the arguments (one value, several, or kwargs)."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


class DefaultJSONProvider(JSONProvider):
    """JSON with support for dates (HTTP date format), ``UUID``, ``Decimal``, dataclasses
    and objects with ``__html__``. Keys are sorted; output is compact unless ``compact``
    is False or the app is in debug mode."""

    default = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None
    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return _json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if _orjson is not None and not kwargs:
            try:
                return _orjson.loads(s)
            except _orjson.JSONDecodeError as e:
                raise ValueError(str(e)) from None
        return _json.loads(s, **kwargs)

    def _fast_dumps(self, obj: Any, indent: bool) -> bytes:
        if _orjson is not None and self.ensure_ascii is False and not indent:
            # Dates and dataclasses go to ``default`` as with the stdlib: HTTP dates, as
            # Flask sends them, not orjson's ISO format; a dataclass's keys sorted like a
            # dict's. The same trailing newline.
            option = (_orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS
                      | _orjson.OPT_APPEND_NEWLINE)
            if self.sort_keys:
                option |= _orjson.OPT_SORT_KEYS
            return _orjson.dumps(obj, default=self.default,  # type: ignore[no-any-return]
                                 option=option)
        if indent:
            return (self.dumps(obj, indent=2, separators=(",", ": ")) + "\n").encode()
        if type(self).dumps is DefaultJSONProvider.dumps:
            # json.dumps builds an encoder on every call; reuse one per thread, built with
            # the very same settings (rebuilt when an attribute changes): same output.
            key = (self.default, self.ensure_ascii, self.sort_keys)
            tl = self._per_thread
            if tl is None:
                tl = self._per_thread = threading.local()
            cached = tl.__dict__.get("enc")
            if cached is None or cached[0] != key:
                cached = tl.enc = (key, _compact_encoder(*key))
            try:
                return ("".join(cached[1](obj, 0)) + "\n").encode()
            except BaseException:
                tl.enc = None  # its circular-reference markers may be left half-filled
                raise
        return (self.dumps(obj, separators=(",", ":")) + "\n").encode()

    _per_thread: threading.local | None = None

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        indent = (self.compact is None and self._app.debug) or self.compact is False
        rv = self._app.response_class(self._fast_dumps(obj, indent), mimetype=self.mimetype)
        return rv


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response: ``jsonify(x)``, ``jsonify(a, b)`` (a list) or ``jsonify(k=v)``."""
    return current_app.json.response(*args, **kwargs)


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialise with the current app's provider (or the default one outside an app)."""
    actx = _cv_app.get(None)
    if actx is not None:
        return actx.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: Any, fp: Any, **kwargs: Any) -> None:
    """Write ``obj`` as JSON to the text file ``fp`` (see :func:`dumps`).

    >>> import io
    >>> out = io.StringIO(); dump({"a": 1}, out); out.getvalue()
    '{"a": 1}'
    """
    fp.write(dumps(obj, **kwargs))


def load(fp: Any, **kwargs: Any) -> Any:
    """Read JSON from the file ``fp`` (text or binary; see :func:`loads`)."""
    return loads(fp.read(), **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse with the current app's provider (or the stdlib outside an app)."""
    actx = _cv_app.get(None)
    if actx is not None:
        return actx.app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)
