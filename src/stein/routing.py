"""URL rules, converters, matching and building.

Rules compile when added. Static paths go into one dict (``path -> {method: rule}``); the
rest go into a tree keyed by path segment, so matching walks the path's segments rather
than the list of rules, and its cost does not grow with the number of rules. Converters
that can span segments (``path``) hang off the tree node of their static prefix and match
the remainder with one regex.

Werkzeug's routing API that Flask extensions drive by hand is here too: ``str(rule)``,
``rule.arguments`` (variables and defaults), ``rule.get_rules``/``rule.empty()``, rule
factories (:class:`Submount`, :class:`Subdomain`, :class:`EndpointPrefix`,
:class:`RuleTemplate`, from :mod:`stein.rule_factories`), and ``Map.bind`` /
``Map.bind_to_environ``, which give a :class:`MapAdapter` (:mod:`stein.routing_adapter`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .converters import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)
from .exceptions import MethodNotAllowed, NotFound, RequestRedirect
from .http import url_encode
from .routing_adapter import MapAdapter, WebsocketMismatch, bind_to_environ
from .rule_factories import (
    EndpointPrefix,
    RuleFactory,
    RuleTemplate,
    RuleTemplateFactory,
    Subdomain,
    Submount,
)

__all__ = [
    "AnyConverter", "BaseConverter", "BuildError", "EndpointPrefix", "FloatConverter",
    "IntegerConverter", "Map", "MapAdapter", "MethodNotAllowed", "NotFound", "NumberConverter",
    "PathConverter",
    "RequestRedirect", "RoutingException", "Rule", "RuleFactory", "RuleTemplate",
    "RuleTemplateFactory", "Submount", "Subdomain", "UUIDConverter", "UnicodeConverter",
    "ValidationError", "WebsocketMismatch",
]


class RoutingException(Exception):
    """Base of the routing errors that are not HTTP errors themselves (:class:`BuildError`)."""


class BuildError(RoutingException, LookupError):
    """``url_for`` could not build a URL for the endpoint with the values given."""

    def __init__(self, endpoint: str, values: dict[str, Any], method: str | None,
                 reason: str = "") -> None:
        self.endpoint, self.values, self.method = endpoint, values, method
        msg = f"Could not build url for endpoint {endpoint!r}"
        if method:
            msg += f" ({method!r})"
        if values:
            msg += f" with values {sorted(values)!r}"
        msg += "." + (f" {reason}" if reason else "")
        super().__init__(msg)


_rule_re = re.compile(
    r"<(?:(?P<conv>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>[^)]*)\))?:)?(?P<var>[a-zA-Z_][a-zA-Z0-9_]*)>"
)


def _parse_converter_args(argstr: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for part in argstr.split(","):
        part = part.strip()
        if not part:
            continue
        key = None
        if "=" in part:
            key, part = (s.strip() for s in part.split("=", 1))
        try:
            import ast  # rule registration only

            value = ast.literal_eval(part)
        except (ValueError, SyntaxError):
            value = part.strip("\"'")
        if key:
            kwargs[key] = value
        else:
            args.append(value)
    return tuple(args), kwargs


class _Part:
    """One piece of a parsed rule: static text or a variable with its converter."""

    __slots__ = ("static", "name", "conv")

    def __init__(self, static: str | None, name: str | None = None,
                 conv: BaseConverter | None = None) -> None:
        self.static, self.name, self.conv = static, name, conv


class _PlainBuild:
    """How :meth:`Map.build` builds an endpoint's one plain rule (see
    :func:`_plain_builder`) without choosing among rules: ``path(values)`` is the path for
    exactly ``variables``, or ``None`` when one of them is ``None`` (the general path then
    decides). A converter's error propagates for the caller to turn into ``BuildError``."""

    __slots__ = ("rule", "variables", "path")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.variables = rule._variables
        self.path = _path_builder(rule._parts)


def _path_builder(parts: list[_Part]) -> Callable[[dict[str, Any]], str | None]:
    # Made once per rule, so a build joins precomputed pieces: a rule without variables
    # is one constant, one with a single variable two concatenations.
    if all(p.static is not None for p in parts):
        const = "".join(p.static for p in parts)  # type: ignore[misc]
        return lambda values: const
    names = [i for i, p in enumerate(parts) if p.static is None]
    if len(names) == 1:
        i = names[0]
        head = "".join(p.static for p in parts[:i])  # type: ignore[misc]
        tail = "".join(p.static for p in parts[i + 1:])  # type: ignore[misc]
        name, to_url = parts[i].name, parts[i].conv.to_url  # type: ignore[union-attr]

        def one(values: dict[str, Any]) -> str | None:
            v = values[name]  # type: ignore[index]
            return None if v is None else head + to_url(v) + tail

        return one
    plan = [(p.static, p.name, None if p.conv is None else p.conv.to_url) for p in parts]

    def many(values: dict[str, Any]) -> str | None:
        out = []
        for static, name, to_url in plan:
            if static is not None:
                out.append(static)
                continue
            v = values[name]  # type: ignore[index]
            if v is None:
                return None
            out.append(to_url(v))  # type: ignore[misc]
        return "".join(out)

    return many


def _plain_builder(order: list[Rule]) -> _PlainBuild | None:
    """How to build an endpoint without choosing, when it has one rule, without defaults
    or a domain part, of a class that keeps ``Rule``'s build methods."""
    if len(order) != 1:
        return None
    rule = order[0]
    if rule.defaults or rule._domain_parts or rule._variables != rule.arguments:
        return None
    cls = type(rule)
    if cls.build is not Rule.build or cls.suitable_for is not Rule.suitable_for \
            or cls._build_parts is not Rule._build_parts:
        return None
    return _PlainBuild(rule)


def _parse_template(template: str, map: Map, rule: str) -> list[_Part]:
    parts: list[_Part] = []
    pos = 0
    for m in _rule_re.finditer(template):
        if m.start() > pos:
            parts.append(_Part(template[pos:m.start()]))
        cname = m.group("conv") or "default"
        if cname not in map.converters:
            raise LookupError(f"the converter {cname!r} does not exist (rule {rule!r})")
        args, kwargs = _parse_converter_args(m.group("args") or "")
        parts.append(_Part(None, m.group("var"), map.converters[cname](map, *args, **kwargs)))
        pos = m.end()
    if pos < len(template):
        tail = template[pos:]
        if "<" in tail or ">" in tail:
            raise ValueError(f"malformed url rule: {rule!r}")
        parts.append(_Part(tail))
    return parts


def _compile(parts: list[_Part]) -> tuple[Callable[[str], re.Match[str] | None], tuple[tuple[str, BaseConverter], ...]]:
    """A fullmatch function for ``parts`` and its ``(name, converter)`` list in group order."""
    regex: list[str] = []
    convs: list[tuple[str, BaseConverter]] = []
    for p in parts:
        if p.static is not None:
            regex.append(re.escape(p.static))
        else:
            assert p.conv is not None and p.name is not None
            # Named, so a converter regex with groups of its own cannot shift the values.
            regex.append(f"(?P<_g{len(convs)}>{p.conv.regex})")
            convs.append((p.name, p.conv))
    # DOTALL: a decoded path may hold a newline (%0A), and ``path`` must span it as it
    # spans any other character.
    return re.compile("".join(regex), re.DOTALL).fullmatch, tuple(convs)


class Rule(RuleFactory):
    """A URL pattern bound to an endpoint, e.g. ``Rule("/users/<int:id>", endpoint="user")``.

    Once added to a :class:`Map`, ``rule.arguments`` holds its variable names and the keys
    of its ``defaults`` (as in Werkzeug), ``rule.map`` the map, and ``str(rule)`` is the
    pattern:

    >>> m = Map([Rule("/users/<int:id>", endpoint="user", defaults={"tab": "info"})])
    >>> rule = next(m.iter_rules())
    >>> str(rule), sorted(rule.arguments), rule.methods
    ('/users/<int:id>', ['id', 'tab'], None)
    """

    def __init__(
        self,
        string: str,
        defaults: dict[str, Any] | None = None,
        subdomain: str | None = None,
        methods: Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: str | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not string.startswith("/"):
            raise ValueError(f"urls must start with a leading slash: {string!r}")
        self.rule = string
        self.defaults = defaults
        self.subdomain = subdomain
        self.host = host
        self.build_only = build_only
        self.endpoint: str = endpoint  # type: ignore[assignment]
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.redirect_to = redirect_to
        self.alias = alias
        self.websocket = websocket
        self.provide_automatic_options = False
        if methods is None:
            self.methods: set[str] | None = None
        else:
            if isinstance(methods, str):
                raise TypeError("'methods' should be a list of strings.")
            self.methods = {m.upper() for m in methods}
            if "GET" in self.methods:
                self.methods.add("HEAD")
        self.map: Map | None = None
        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._variables: frozenset[str] = frozenset()
        # Earlier rules of the endpoint whose defaults make them the canonical URL of what
        # this rule matches (Map.redirect_defaults); set by Map.add, empty for most rules.
        self._defaults_sources: tuple[Rule, ...] = ()
        self._parts: list[_Part] = []
        self._domain_parts: list[_Part] = []

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach to ``map`` and compile."""
        if self.map is not None and not rebind:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        self._parts = _parse_template(self.rule, map, self.rule)
        domain = (self.host or "") if map.host_matching else (self.subdomain or "")
        self._domain_parts = _parse_template(domain, map, self.rule)
        names = [p.name for p in self._parts + self._domain_parts if p.name]
        if len(names) != len(set(names)):
            raise ValueError(f"variable name used twice in rule {self.rule!r}")
        self._variables = frozenset(names)
        self.arguments = set(names) | {str(k) for k in self.defaults or ()}

    def get_rules(self, map: Map) -> Iterator[Rule]:
        """A rule is its own factory: :meth:`Map.add` takes rules and factories alike."""
        yield self

    def get_empty_kwargs(self) -> dict[str, Any]:
        """The constructor arguments, but the pattern, that :meth:`empty` copies."""
        return {
            "defaults": dict(self.defaults) if self.defaults else None,
            "subdomain": self.subdomain, "methods": self.methods,
            "build_only": self.build_only, "endpoint": self.endpoint,
            "strict_slashes": self.strict_slashes, "merge_slashes": self.merge_slashes,
            "redirect_to": self.redirect_to, "alias": self.alias, "host": self.host,
            "websocket": self.websocket,
        }

    def empty(self) -> Rule:
        """An unbound copy (rule factories change the copy, never the rule given)."""
        return type(self)(self.rule, **self.get_empty_kwargs())

    def refresh(self) -> None:
        """Recompile after a change to the rule's attributes (Werkzeug's name for it)."""
        if self.map is not None:
            self.bind(self.map, rebind=True)

    @property
    def _converters(self) -> dict[str, BaseConverter]:
        # Werkzeug's private name, read by API-doc generators to type path parameters.
        return {p.name: p.conv for p in self._parts + self._domain_parts
                if p.name is not None and p.conv is not None}

    @property
    def _trace(self) -> list[tuple[bool, str]]:
        # Werkzeug's private parse trace, ``(is_variable, text or name)`` for the domain
        # part, a ``(False, "|")`` separator, then the path; read by OpenAPI generators
        # (flask-smorest) to list a rule's path variables in order.
        def pieces(parts: list[_Part]) -> list[tuple[bool, str]]:
            return [(True, p.name) if p.name is not None else (False, p.static or "")
                    for p in parts]

        return [*pieces(self._domain_parts), (False, "|"), *pieces(self._parts)]

    @property
    def is_leaf(self) -> bool:
        """True when the rule does not end with a slash."""
        return not self.rule.endswith("/")

    @property
    def is_branch(self) -> bool:
        """True when the rule ends with a slash."""
        return self.rule.endswith("/")

    @property
    def is_static(self) -> bool:
        return not any(p.name for p in self._parts)

    def _build_parts(self, parts: list[_Part], values: dict[str, Any]) -> str:
        out = []
        for p in parts:
            if p.static is not None:
                out.append(p.static)
            else:
                out.append(p.conv.to_url(values[p.name]))  # type: ignore[union-attr,index]
        return "".join(out)

    def build(self, values: dict[str, Any], append_unknown: bool = True) -> tuple[str, str]:
        """``(domain_part, path)`` for ``values``; unknown values go to the query string."""
        path = self._build_parts(self._parts, values)
        domain = self._build_parts(self._domain_parts, values) if self._domain_parts else ""
        if append_unknown:
            extra = [(k, v) for k, v in values.items()
                     if k not in self.arguments and not (self.defaults and k in self.defaults)]
            if extra:
                pairs: list[tuple[str, Any]] = []
                for k, v in extra:
                    if isinstance(v, (list, tuple)):
                        pairs.extend((k, x) for x in v)
                    else:
                        pairs.append((k, v))
                qs = url_encode(pairs)
                if qs:
                    path = f"{path}?{qs}"
        return domain, path

    def suitable_for(self, values: dict[str, Any], method: str | None = None) -> bool:
        """Whether this rule can build a URL from ``values`` (and ``method``)."""
        if method is not None and self.methods is not None and method not in self.methods:
            return False
        defaults = self.defaults or {}
        for key in self._variables:
            if key not in defaults and key not in values:
                return False
        # As Werkzeug: a value given for a default must equal it, even where the default
        # is also a variable of the pattern.
        for key, value in defaults.items():
            if key in values and values[key] != value:
                return False
        return True

    def build_compare_key(self) -> tuple[int, int, int]:
        """The order in which rules of one endpoint are tried when building a URL: not an
        alias first, then the rules that take more arguments, then more defaults."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods else ""
        return f"<Rule {self.rule!r}{methods} -> {self.endpoint}>"


# How Tree.descend tests a dynamic segment. A whole segment that is one default ``<int:x>``
# needs no regex: ``\d+`` matches exactly what str.isdecimal accepts (Unicode category Nd),
# and int() converts it. A whole default ``<x>`` (``[^/]+``) matches any non-empty segment.
_SEG_REGEX, _SEG_INT, _SEG_STR = 0, 1, 2


def _segment_kind(seg: list[_Part]) -> int:
    if len(seg) != 1 or seg[0].conv is None:
        return _SEG_REGEX
    conv = seg[0].conv
    if conv.regex == r"\d+" and conv.to_python is int:  # type: ignore[comparison-overlap]
        return _SEG_INT
    if conv.regex == "[^/]+" and type(conv).to_python is BaseConverter.to_python:
        return _SEG_STR
    return _SEG_REGEX


class _Node:
    __slots__ = ("static", "dynamic", "rest", "leaf")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        # (weight, fullmatch, converters, child, kind, name); kind is _SEG_INT or _SEG_STR
        # when the segment is one default ``int`` or string variable, else _SEG_REGEX.
        self.dynamic: list[tuple[int, Callable[[str], Any], tuple[tuple[str, BaseConverter], ...],
                                 _Node, int, str]] = []
        self.rest: list[tuple[Callable[[str], Any], tuple[tuple[str, BaseConverter], ...], Rule]] = []
        self.leaf: list[Rule] = []


def _convert(m: re.Match[str], convs: tuple[tuple[str, BaseConverter], ...]) -> dict[str, Any] | None:
    groups: Any = m.groups()
    if len(groups) != len(convs):
        groups = [m.group(f"_g{i}") for i in range(len(convs))]
    if len(convs) == 1:
        # One variable in the segment (``<int:id>``), the usual case: no loop.
        name, conv = convs[0]
        try:
            return {name: conv.to_python(groups[0])}
        except (ValidationError, ValueError):
            return None
    out = {}
    for (name, conv), raw in zip(convs, groups, strict=True):
        try:
            out[name] = conv.to_python(raw)
        except (ValidationError, ValueError):
            return None
    return out


class _Tree:
    """Rules of one domain: the static dict and the segment tree."""

    __slots__ = ("static", "root")

    def __init__(self) -> None:
        self.static: dict[str, dict[str, Rule]] = {}
        self.root = _Node()

    def add(self, rule: Rule) -> None:
        # The static dict answers with no values, so rules with defaults walk the tree.
        if rule.is_static and rule.redirect_to is None and rule.methods is not None \
                and not rule.defaults:
            bucket = self.static.setdefault(rule.rule, {})
            for m in rule.methods:
                bucket.setdefault(m, rule)
        # Split the parts into segments at "/" in static text.
        segments: list[list[_Part]] = [[]]
        for p in rule._parts[1:] if rule._parts[0].static == "/" else rule._parts:
            if p.static is None:
                segments[-1].append(p)
                continue
            text = p.static
            if not segments[0] and segments == [[]] and text.startswith("/"):
                text = text[1:]
            pieces = text.split("/")
            if pieces[0]:
                segments[-1].append(_Part(pieces[0]))
            for piece in pieces[1:]:
                segments.append([_Part(piece)] if piece else [])
        node = self.root
        for i, seg in enumerate(segments):
            if any(p.conv is not None and not p.conv.part_isolating for p in seg):
                rest: list[_Part] = []
                for j, s in enumerate(segments[i:]):
                    if j:
                        rest.append(_Part("/"))
                    rest.extend(s)
                fm, convs = _compile(rest)
                node.rest.append((fm, convs, rule))
                # More static text after the prefix is more specific: "/<path:p>/edit"
                # is tried before "/<path:p>" (stable, so registration order breaks ties).
                node.rest.sort(key=lambda t: -sum(
                    len(p.static) for p in t[2]._parts if p.static is not None))
                return
            if all(p.static is not None for p in seg):
                key = "".join(p.static for p in seg)  # type: ignore[misc]
                node = node.static.setdefault(key, _Node())
            else:
                fm, convs = _compile(seg)
                pattern = fm.__self__.pattern  # type: ignore[attr-defined]
                for _, f, c, child, _k, _n in node.dynamic:
                    if f.__self__.pattern == pattern and [type(x) for _, x in c] == [type(x) for _, x in convs] and [n for n, _ in c] == [n for n, _ in convs]:  # type: ignore[attr-defined]
                        node = child
                        break
                else:
                    weight = sum(p.conv.weight for p in seg if p.conv)  # type: ignore[misc]
                    child = _Node()
                    node.dynamic.append((weight, fm, convs, child, _segment_kind(seg), convs[0][0]))
                    node.dynamic.sort(key=lambda t: t[0])
                    node = child
        node.leaf.append(rule)

    def walk(self, node: _Node, segs: list[str], i: int, method: str,
             values: dict[str, Any], allowed: set[str]) -> tuple[Rule, dict[str, Any]] | None:
        if i == len(segs):
            for rule in node.leaf:
                if rule.methods is None or method in rule.methods:
                    return rule, values
                allowed.update(rule.methods)
        else:
            seg = segs[i]
            child = node.static.get(seg)
            if child is not None:
                rv = self.walk(child, segs, i + 1, method, values, allowed)
                if rv is not None:
                    return rv
            for _, fm, convs, child, _k, _n in node.dynamic:
                m = fm(seg)
                if m is not None:
                    got = _convert(m, convs)
                    if got is not None:
                        rv = self.walk(child, segs, i + 1, method, {**values, **got}, allowed)
                        if rv is not None:
                            return rv
        if node.rest:
            remainder = "/".join(segs[i:])
            for fm, convs, rule in node.rest:
                m = fm(remainder)
                if m is not None:
                    got = _convert(m, convs)
                    if got is None:
                        continue
                    if rule.methods is None or method in rule.methods:
                        return rule, {**values, **got}
                    allowed.update(rule.methods)
        return None

    def descend(self, segs: list[str], method: str) -> tuple[Rule, dict[str, Any]] | None:
        """The first path :meth:`walk` tries, as a loop: static child first, else the first
        dynamic child that matches. Its success is walk's answer (walk returns the first
        success in that very order); ``None`` means "let walk search, backtracking"."""
        node = self.root
        values: dict[str, Any] = {}
        for seg in segs:
            child = node.static.get(seg)
            if child is None:
                for _, fm, convs, dyn_child, kind, name in node.dynamic:
                    if kind == _SEG_INT:
                        if seg.isdecimal():
                            try:
                                values[name] = int(seg)
                            except ValueError:  # past sys.get_int_max_str_digits()
                                continue
                            child = dyn_child
                            break
                        continue
                    if kind == _SEG_STR:
                        if seg:
                            values[name] = seg
                            child = dyn_child
                            break
                        continue
                    m = fm(seg)
                    if m is not None:
                        got = _convert(m, convs)
                        if got is not None:
                            values.update(got)
                            child = dyn_child
                            break
                if child is None:
                    return None
            node = child
        for rule in node.leaf:
            if rule.methods is None or method in rule.methods:
                return rule, values
        return None

    def match(self, path: str, method: str, allowed: set[str]) -> tuple[Rule, dict[str, Any]] | None:
        hit = self.static.get(path)
        if hit is not None:
            rule = hit.get(method)
            if rule is not None:
                return rule, {}
        segs = path[1:].split("/")
        return self.descend(segs, method) or self.walk(self.root, segs, 0, method, {}, allowed)


class Map:
    """All URL rules of an app, compiled for matching and building."""

    default_converters = DEFAULT_CONVERTERS

    def __init__(
        self,
        rules: Iterable[Rule] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: dict[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: Any = None,
        host_matching: bool = False,
    ) -> None:
        self.default_subdomain = default_subdomain
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.redirect_defaults = redirect_defaults
        self.host_matching = host_matching
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self._rules: list[Rule] = []
        self._by_endpoint: dict[str, list[Rule]] = {}
        self._build_order: dict[str, list[Rule]] = {}
        # endpoint -> its one plain rule (see _plain_builder), for build's fast path.
        self._plain_build: dict[str, _PlainBuild | None] = {}
        self._trees: dict[str, _Tree] = {}
        self._dyn_domains: list[tuple[Callable[[str], Any], tuple[tuple[str, BaseConverter], ...], _Tree]] = []
        # Fast path: a map whose rules carry no host/subdomain matches on path alone.
        self._plain: _Tree | None = None
        for rule in rules or ():
            self.add(rule)

    def add(self, rulefactory: RuleFactory) -> None:
        """Add and compile a rule, or every rule of a factory (:class:`Submount`, ...)."""
        if not isinstance(rulefactory, Rule):
            for rule in rulefactory.get_rules(self):
                self.add(rule)
            return
        rule = rulefactory
        rule.bind(self)
        self._rules.append(rule)
        self._by_endpoint.setdefault(rule.endpoint, []).append(rule)
        order = self._build_order.setdefault(rule.endpoint, [])
        order.append(rule)
        order.sort(key=Rule.build_compare_key)  # stable: registration order breaks ties
        self._plain_build[rule.endpoint] = _plain_builder(order)
        for i, later in enumerate(order):
            later._defaults_sources = tuple(
                o for o in order[:i]
                if o.defaults and not o.build_only and o.arguments == later.arguments
                and o._trace != later._trace)
        if rule.build_only:
            return
        if not rule._domain_parts:
            key = ""
        elif all(p.static is not None for p in rule._domain_parts):
            key = "".join(p.static for p in rule._domain_parts)  # type: ignore[misc]
        else:
            fm, convs = _compile(rule._domain_parts)
            pattern = fm.__self__.pattern  # type: ignore[attr-defined]
            for f, _, known in self._dyn_domains:
                if f.__self__.pattern == pattern:  # type: ignore[attr-defined]
                    tree = known
                    break
            else:
                tree = _Tree()
                self._dyn_domains.append((fm, convs, tree))
            tree.add(rule)
            self._plain = None
            return
        self._trees.setdefault(key, _Tree()).add(rule)
        self._plain = self._trees[""] if list(self._trees) == [""] and not self._dyn_domains else None

    @property
    def _rules_by_endpoint(self) -> dict[str, list[Rule]]:
        # Werkzeug's private name; read by a few extensions that list routes.
        return self._by_endpoint

    def update(self) -> None:
        """Kept for Werkzeug's callers: rules compile when added, so there is nothing to do."""

    def bind(self, server_name: str, script_name: str | None = None,
             subdomain: str | None = None, url_scheme: str = "http",
             default_method: str = "GET", path_info: str | None = None,
             query_args: Any = None) -> MapAdapter:
        """A :class:`MapAdapter` for matching and building on ``server_name``.

        >>> adapter = Map([Rule("/", endpoint="index")]).bind("example.com", "/app")
        >>> adapter.match("/"), adapter.build("index")
        (('index', {}), '/app/')
        """
        return MapAdapter(self, server_name.lower(), script_name or "/", subdomain,
                          url_scheme, path_info or "/", default_method, query_args)

    def bind_to_environ(self, environ: Any, server_name: str | None = None,
                        subdomain: str | None = None) -> MapAdapter:
        """A :class:`MapAdapter` for a WSGI environ (or a request: its ``environ``).

        The subdomain is what the host has before ``server_name`` (``"<invalid>"``, which no
        rule matches, when the host is not under it).
        """
        environ = getattr(environ, "environ", environ)
        return bind_to_environ(self, environ, server_name, subdomain)

    @property
    def has_domain_rules(self) -> bool:
        """True when some rule has a subdomain or host to match."""
        return self._plain is None and bool(self._rules)

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        """Every rule, or those of ``endpoint``."""
        if endpoint is not None:
            return iter(self._by_endpoint.get(endpoint, ()))
        return iter(self._rules)

    def is_endpoint_expecting(self, endpoint: str, *arguments: str) -> bool:
        """Whether a rule of ``endpoint`` takes every one of ``arguments``."""
        return any(set(arguments) <= rule.arguments for rule in self._by_endpoint.get(endpoint, ()))

    def _match_domain(self, path: str, method: str, domain: str,
                      allowed: set[str]) -> tuple[Rule, dict[str, Any]] | None:
        tree = self._trees.get(domain)
        if tree is not None:
            rv = tree.match(path, method, allowed)
            if rv is not None:
                return rv
        for fm, convs, tree in self._dyn_domains:
            m = fm(domain)
            if m is not None:
                got = _convert(m, convs)
                if got is None:
                    continue
                rv = tree.match(path, method, allowed)
                if rv is not None:
                    return rv[0], {**got, **rv[1]}
        return None

    def match(self, path: str, method: str = "GET", domain: str = "") -> tuple[Rule, dict[str, Any]]:
        """Find ``(rule, view_args)`` for a path.

        Raises :class:`NotFound`, :class:`MethodNotAllowed` (with the allowed methods) or
        :class:`RequestRedirect` (missing trailing slash, ``//`` in the path, ``redirect_to``).
        ``domain`` is the subdomain, or the host with host matching.
        """
        plain = self._plain
        if plain is not None:
            # Inlined static lookup: the hello-world path is one dict hit.
            hit = plain.static.get(path)
            if hit is not None:
                rule = hit.get(method)
                if rule is not None:
                    return rule, {}
        allowed: set[str] = set()
        if plain is not None and not domain:
            # What _match_domain -> plain.match do, minus the static lookup done above.
            segs = path[1:].split("/")
            rv = plain.descend(segs, method) or plain.walk(plain.root, segs, 0, method, {}, allowed)
        else:
            rv = self._match_domain(path, method, domain, allowed)
        if rv is None:
            return self._no_match(path, method, domain, allowed)
        rule, values = rv
        if rule.defaults:
            # As Werkzeug: a default also named in the pattern wins over the matched text
            # (Rule("/", defaults={"name": "x"}, host="<name>") always gives name="x").
            values = {**values, **rule.defaults}
        if rule._defaults_sources and self.redirect_defaults:
            self._redirect_to_defaults(rule, values, method)
        if rule.redirect_to is not None:
            self._redirect_to(rule, values)
        return rule, values

    def _redirect_to_defaults(self, rule: Rule, values: dict[str, Any], method: str) -> None:
        """One URL per resource: a rule whose defaults give the same values and that comes
        first in build order is the canonical URL, and the matched one redirects to it
        (``/page/1`` -> ``/`` beside ``Rule("/", defaults={"page": 1})``)."""
        for other in rule._defaults_sources:
            if other.suitable_for(values, method):
                _, path = other.build({**values, **(other.defaults or {})}, append_unknown=False)
                raise RequestRedirect(path)

    def _redirect_to(self, rule: Rule, values: dict[str, Any]) -> None:
        target = rule.redirect_to
        if callable(target):
            url = target(self, **values)
        else:
            def sub(m: re.Match[str]) -> str:
                return str(values[m.group("var")])

            url = _rule_re.sub(sub, target)  # type: ignore[arg-type]
        raise RequestRedirect(url)

    def _no_match(self, path: str, method: str, domain: str, allowed: set[str]) -> Any:
        if not allowed:
            if self.merge_slashes and "//" in path:
                merged = re.sub("/{2,}", "/", path)
                if self._match_domain(merged, method, domain, set()) is not None:
                    raise RequestRedirect(merged)
            if not path.endswith("/"):
                probe: set[str] = set()
                rv = self._match_domain(path + "/", method, domain, probe)
                if rv is not None and rv[0].strict_slashes and rv[0].rule.endswith("/"):
                    raise RequestRedirect(path + "/")
            raise NotFound()
        raise MethodNotAllowed(sorted(allowed))

    def allowed_methods(self, path: str, domain: str = "") -> list[str]:
        """Every method some rule answers for ``path``."""
        allowed: set[str] = set()
        self._match_domain(path, "\0", domain, allowed)
        return sorted(allowed)

    def build(self, endpoint: str, values: dict[str, Any] | None = None,
              method: str | None = None, append_unknown: bool = True) -> tuple[Rule, str, str]:
        """``(rule, domain_part, path)`` for ``endpoint``; :class:`BuildError` when impossible."""
        values = values or {}
        # Fast path (twin: tests/test_build_fastpath.py): the endpoint's only rule, no
        # defaults, no domain, no method asked, exactly its variables given, none None: the
        # general path below would pick that rule and append no query string.
        plain = self._plain_build.get(endpoint)
        if plain is not None and method is None and values.keys() == plain.variables:
            try:
                path = plain.path(values)
            except (ValidationError, ValueError, TypeError) as e:
                raise BuildError(endpoint, values, method, str(e)) from None
            if path is not None:
                return plain.rule, "", path
        rules = self._by_endpoint.get(endpoint)
        if not rules:
            raise BuildError(endpoint, values, method, "The endpoint does not exist.")
        clean = {k: v for k, v in values.items() if v is not None}
        best = None
        # As Werkzeug: the rules that take more of the values are tried first (a rule
        # whose defaults name a value counts it), and without a method a GET rule wins.
        candidates = self._build_order[endpoint]
        for wanted in ("GET", None) if method is None else (method,):
            best = next((r for r in candidates if r.suitable_for(clean, wanted)), None)
            if best is not None:
                break
        if best is None:
            missing = set()
            for rule in rules:
                missing |= {a for a in rule.arguments if a not in clean and a not in (rule.defaults or {})}
            reason = f"Missing values: {sorted(missing)!r}." if missing else ""
            raise BuildError(endpoint, values, method, reason)
        merged = {**(best.defaults or {}), **clean} if best.defaults else clean
        try:
            domain, path = best.build(merged, append_unknown)
        except (ValidationError, ValueError, TypeError) as e:
            raise BuildError(endpoint, values, method, str(e)) from None
        return best, domain, path

    def __repr__(self) -> str:
        return f"Map({self._rules!r})"
