"""Type aliases for annotating views and hooks (``flask.typing`` under :mod:`stein.compat`).

They describe what Stein accepts, so a type checker catches a view that returns something
:meth:`Stein.make_response` cannot turn into a response:

>>> from stein.typing import ResponseReturnValue
>>> def index() -> ResponseReturnValue:
...     return {"ok": True}, 201, {"X-Trace": "1"}
"""

# ruff: noqa: UP007, UP045
# The aliases are runtime values holding forward references ("Response"), which the
# ``X | Y`` form cannot combine; typing.Union and Optional can.

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from .datastructures import Headers
    from .response import Response

__all__ = [
    "ResponseValue", "HeaderName", "HeaderValue", "HeadersValue", "ResponseReturnValue",
    "ResponseClass", "AppOrBlueprintKey", "AfterRequestCallable",
    "BeforeFirstRequestCallable", "BeforeRequestCallable", "ShellContextProcessorCallable",
    "TeardownCallable", "TemplateContextProcessorCallable", "TemplateFilterCallable",
    "TemplateGlobalCallable", "TemplateTestCallable", "URLDefaultCallable",
    "URLValuePreprocessorCallable", "ErrorHandlerCallable", "RouteCallable",
]

# A body: a response, text or bytes, a JSON-able dict or list, or a (sync or async)
# iterator of text or bytes for streaming.
ResponseValue = Union[
    "Response",
    str,
    bytes,
    list[Any],
    Mapping[str, Any],
    Iterator[str],
    Iterator[bytes],
    AsyncIterable[str],
    AsyncIterable[bytes],
]

HeaderName = str
# One header's value: repeated headers are given as a list or tuple.
HeaderValue = Union[str, list[str], tuple[str, ...]]
HeadersValue = Union[
    "Headers",
    Mapping[str, HeaderValue],
    Iterable[tuple[str, HeaderValue]],
]

# What a view may return: a body alone or with a status and/or headers, or any WSGI app.
ResponseReturnValue = Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, int],
    tuple[ResponseValue, int, HeadersValue],
    "WSGIApplication",
]

# A Response subclass, for functions that give back the class they were given.
ResponseClass = TypeVar("ResponseClass", bound="Response")

# The key of a hook registry: None for the app, a blueprint's dotted name otherwise.
AppOrBlueprintKey = Optional[str]

AfterRequestCallable = Union[
    Callable[[ResponseClass], ResponseClass],
    Callable[[ResponseClass], Awaitable[ResponseClass]],
]
BeforeFirstRequestCallable = Union[Callable[[], None], Callable[[], Awaitable[None]]]
# Returning a value (not None) from a before-request hook ends the request with it.
BeforeRequestCallable = Union[
    Callable[[], Optional[ResponseReturnValue]],
    Callable[[], Awaitable[Optional[ResponseReturnValue]]],
]
ShellContextProcessorCallable = Callable[[], dict[str, Any]]
TeardownCallable = Union[
    Callable[[Optional[BaseException]], None],
    Callable[[Optional[BaseException]], Awaitable[None]],
]
TemplateContextProcessorCallable = Union[
    Callable[[], dict[str, Any]],
    Callable[[], Awaitable[dict[str, Any]]],
]
TemplateFilterCallable = Callable[..., Any]
TemplateGlobalCallable = Callable[..., Any]
TemplateTestCallable = Callable[..., bool]
URLDefaultCallable = Callable[[str, dict[str, Any]], None]
URLValuePreprocessorCallable = Callable[[Optional[str], Optional[dict[str, Any]]], None]

# An error handler takes the exception (or HTTPException) it is registered for. Typed
# with Any so that a handler for a subclass is accepted where the base is expected.
ErrorHandlerCallable = Union[
    Callable[[Any], ResponseReturnValue],
    Callable[[Any], Awaitable[ResponseReturnValue]],
]

RouteCallable = Union[
    Callable[..., ResponseReturnValue],
    Callable[..., Awaitable[ResponseReturnValue]],
]
