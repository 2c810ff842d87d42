# Types of the optional C extension (src/stein/_speedups.c).
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

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

_D = TypeVar("_D", bound=dict[Any, Any])

def parse_plain_qs(data: str | bytes, cls: type[_D], max_fields: int | None) -> _D | None: ...

# Method descriptors: MultiDict.get (of dict) and EnvironHeaders.get (of the class given).
multidict_get: Callable[..., Any]

def environ_get_method(environ_keys: dict[str, str], key_func: Callable[[str], str],
                       cls: type) -> Callable[..., Any]: ...
