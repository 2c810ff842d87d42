"""The ``Authorization`` and ``WWW-Authenticate`` headers as objects.

A scheme carries either a token (``Bearer abc``) or ``key=value`` parameters
(``Digest realm="x", nonce="y"``); ``Basic`` is a token that decodes to a username and a
password, which are then its parameters. Both classes read (``from_header``) and write
(``to_header``) their header, and give the parameters as ``auth["key"]``, ``auth.key`` and
``auth.get("key")``, the way Werkzeug's classes do, so auth extensions work unchanged.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from .headersyntax import dump_header, parse_dict_header, quote_header_value
from .structures import CallbackDict


def _split_scheme(value: str) -> tuple[str, str]:
    scheme, _, rest = value.strip().partition(" ")
    return scheme.lower(), rest.strip()


def _is_params(rest: str) -> bool:
    # An "=" that is not trailing base64 padding means key=value parameters.
    return "=" in rest.rstrip("=")


class Authorization:
    """An ``Authorization`` request header (what ``request.authorization`` returns).

    >>> auth = Authorization.from_header("Basic dXNlcjpwYXNz")
    >>> auth.type, auth.username, auth.password
    ('basic', 'user', 'pass')
    >>> Authorization("bearer", token="abc").to_header()
    'Bearer abc'
    """

    def __init__(self, auth_type: str, data: dict[str, str | None] | None = None,
                 token: str | None = None) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str | None] = {} if data is None else data
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        # Only reached for names that are not attributes: the parameters (username, realm...).
        if name.startswith("__") or name == "parameters":
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.parameters.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (other.type, other.token, other.parameters)

    __hash__ = None  # type: ignore[assignment]
    # __getitem__ would otherwise make it "iterable" forever (None for every index).
    __iter__ = None

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse a header value; ``None`` when it is empty or its Basic part is not valid
        base64 UTF-8 ``user:password``."""
        if not value:
            return None
        scheme, rest = _split_scheme(value)
        if scheme == "basic":
            try:
                raw = base64.b64decode(rest, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None
            username, sep, password = raw.partition(":")
            if not sep:
                return None
            return cls(scheme, {"username": username, "password": password})
        if _is_params(rest):
            return cls(scheme, parse_dict_header(rest))
        return cls(scheme, None, rest or None)

    def to_header(self) -> str:
        """The header value (Basic credentials are base64-encoded again)."""
        if self.type == "basic":
            raw = f"{self.username}:{self.password}".encode()
            return f"Basic {base64.b64encode(raw).decode('ascii')}"
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


_digest_quoted = frozenset(("realm", "domain", "nonce", "opaque", "qop"))


class WWWAuthenticate:
    """A ``WWW-Authenticate`` challenge. Changing it (``type``, ``token``, a parameter)
    calls its ``_on_update`` hook, which ``response.www_authenticate`` uses to keep the
    header in step.

    >>> WWWAuthenticate("basic", {"realm": "Admin area"}).to_header()
    'Basic realm="Admin area"'
    >>> WWWAuthenticate.from_header('Bearer realm="api", error="invalid_token"').error
    'invalid_token'
    """

    _own = frozenset(("_type", "_parameters", "_token", "_on_update"))

    def __init__(self, auth_type: str, values: dict[str, str | None] | None = None,
                 token: str | None = None) -> None:
        self._on_update: Callable[[WWWAuthenticate], None] | None = None
        self._type = auth_type.lower()
        self._parameters: dict[str, str | None] = CallbackDict(values, lambda _: self._changed())
        self._token = token

    def _changed(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        """The scheme, lowercased (``basic``, ``digest``, ``bearer``)."""
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        self._type = value.lower()
        self._changed()

    @property
    def parameters(self) -> dict[str, str | None]:
        """The challenge's ``key=value`` parameters (changes update the header)."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: dict[str, str | None]) -> None:
        self._parameters = CallbackDict(value, lambda _: self._changed())
        self._changed()

    @property
    def token(self) -> str | None:
        """The token, for schemes that send one instead of parameters."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._changed()

    def __getitem__(self, key: str) -> str | None:
        return self._parameters.get(key)

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            self._parameters.pop(key, None)
        else:
            self._parameters[key] = value

    def __delitem__(self, key: str) -> None:
        self._parameters.pop(key, None)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._parameters.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._own or name in ("type", "parameters", "token"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self.type, self.token, dict(self.parameters)) == (
            other.type, other.token, dict(other.parameters))

    __hash__ = None  # type: ignore[assignment]
    __iter__ = None  # not iterable (see Authorization)

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse one challenge; ``None`` when the value is empty."""
        if not value:
            return None
        scheme, rest = _split_scheme(value)
        if _is_params(rest):
            return cls(scheme, parse_dict_header(rest))
        return cls(scheme, None, rest or None)

    def to_header(self) -> str:
        """The header value."""
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        if self.type == "digest":
            # RFC 7616 wants these quoted even when they are tokens.
            items = [f"{k}={quote_header_value(v, allow_token=k not in _digest_quoted)}"
                     for k, v in self.parameters.items() if v is not None]
            return f"Digest {', '.join(items)}"
        params = {k: v for k, v in self.parameters.items()}
        if self.type == "basic" and "realm" in params and params["realm"] is not None:
            # Browsers expect realm="..." quoted for Basic.
            realm = quote_header_value(params.pop("realm"), allow_token=False)
            rest = dump_header(params)
            return f"Basic realm={realm}" + (f", {rest}" if rest else "")
        return f"{self.type.title()} {dump_header(params)}".rstrip()

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"
