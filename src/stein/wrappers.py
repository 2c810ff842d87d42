"""Request and Response, the two wrapper classes, under the module name Flask users know
(``flask.wrappers``). They live in :mod:`stein.request` and :mod:`stein.response`."""

from __future__ import annotations

from .request import Authorization, Request, UserAgent, cached_property
from .response import Response, _ClosingIterator, _content_type_for

__all__ = ["Authorization", "Request", "Response", "UserAgent", "cached_property",
           "_ClosingIterator", "_content_type_for"]
