# Types of the optional C extension (src/stein/_speedups.c).
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

class ContextProxy:
    _lookup: Callable[[], Any]
    _proxy_name: str
    def __init__(self, lookup: Callable[[], Any], name: str, own_names: frozenset[str],
                 cv: ContextVar[Any] | None = ..., attr: str | None = ...,
                 message: str | None = ...) -> None: ...

class cached_property:
    fn: Callable[[Any], Any]
    name: str
    def __init__(self, fn: Callable[[Any], Any]) -> None: ...
    def __get__(self, obj: Any, cls: Any = ...) -> Any: ...

def fill_plain_qs(data: str | bytes, into: dict[Any, Any], max_fields: int | None) -> bool: ...
