"""Rule factories: groups of URL rules given a common prefix, subdomain or endpoint prefix.

:meth:`stein.routing.Map.add` takes a :class:`~stein.routing.Rule` or any object with a
``get_rules(map)`` method; these are the ready-made ones Werkzeug's users know. Each
factory yields *copies* of the rules it wraps (``rule.empty()``), so one group of rules can
be mounted twice, and the originals stay unbound.

>>> from stein.routing import Map, Rule
>>> m = Map([Submount("/blog", [Rule("/", endpoint="index"), Rule("/<slug>", endpoint="post")])])
>>> sorted(r.rule for r in m.iter_rules())
['/blog/', '/blog/<slug>']

This module imports nothing from :mod:`stein.routing` (it only calls ``get_rules`` and
``empty`` on the rules it is given), so routing can import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from string import Template
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .routing import Map, Rule


class RuleFactory:
    """Base of objects that give :meth:`Map.add` several rules at once.

    Subclass it and implement :meth:`get_rules`::

        class Crud(RuleFactory):
            def __init__(self, name):
                self.name = name

            def get_rules(self, map):
                yield Rule(f"/{self.name}/", endpoint=f"{self.name}.list")
                yield Rule(f"/{self.name}/<int:id>", endpoint=f"{self.name}.show")
    """

    def get_rules(self, map: Map) -> Iterable[Rule]:
        """The rules to add to ``map``."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_rules(map)")


class _Wrapping(RuleFactory):
    """A factory that changes one thing on every rule of the factories it wraps."""

    def __init__(self, rules: Iterable[Any]) -> None:
        self.rules = rules

    def _change(self, rule: Rule) -> None:
        raise NotImplementedError

    def get_rules(self, map: Map) -> Iterator[Rule]:
        for factory in self.rules:
            for rule in factory.get_rules(map):
                copy = rule.empty()
                self._change(copy)
                yield copy


class Submount(_Wrapping):
    """Put every rule under a path prefix: ``Submount("/api", [Rule("/users", ...)])``
    matches ``/api/users``."""

    def __init__(self, path: str, rules: Iterable[Any]) -> None:
        super().__init__(rules)
        self.path = path.rstrip("/")

    def _change(self, rule: Rule) -> None:
        rule.rule = self.path + rule.rule


class Subdomain(_Wrapping):
    """Match every rule on a subdomain (which may hold variables):
    ``Subdomain("<lang>", [Rule("/", endpoint="index")])``."""

    def __init__(self, subdomain: str, rules: Iterable[Any]) -> None:
        super().__init__(rules)
        self.subdomain = subdomain

    def _change(self, rule: Rule) -> None:
        rule.subdomain = self.subdomain


class EndpointPrefix(_Wrapping):
    """Prefix every rule's endpoint: ``EndpointPrefix("blog.", [...])``."""

    def __init__(self, prefix: str, rules: Iterable[Any]) -> None:
        super().__init__(rules)
        self.prefix = prefix

    def _change(self, rule: Rule) -> None:
        rule.endpoint = self.prefix + rule.endpoint


class RuleTemplate:
    """Rules with ``$placeholders`` in their path, endpoint, subdomain or string defaults,
    filled in when the template is called.

    >>> from stein.routing import Map, Rule
    >>> resource = RuleTemplate([Rule("/$name/", endpoint="$name.list")])
    >>> rules = Map([resource(name="user"), resource(name="page")]).iter_rules()
    >>> " ".join(r.endpoint for r in rules)
    'user.list page.list'
    """

    def __init__(self, rules: Iterable[Any]) -> None:
        self.rules = list(rules)

    def __call__(self, *args: Any, **kwargs: Any) -> RuleTemplateFactory:
        return RuleTemplateFactory(self.rules, dict(*args, **kwargs))


class RuleTemplateFactory(RuleFactory):
    """What calling a :class:`RuleTemplate` gives: its rules with the values substituted."""

    def __init__(self, rules: Iterable[Any], context: dict[str, Any]) -> None:
        self.rules = rules
        self.context = context

    def _fill(self, text: str) -> str:
        # A missing placeholder is an error at registration, not a silently odd URL.
        return Template(text).substitute(self.context)

    def get_rules(self, map: Map) -> Iterator[Rule]:
        for factory in self.rules:
            for rule in factory.get_rules(map):
                copy = rule.empty()
                copy.rule = self._fill(rule.rule)
                if isinstance(rule.endpoint, str):
                    copy.endpoint = self._fill(rule.endpoint)
                if rule.subdomain is not None:
                    copy.subdomain = self._fill(rule.subdomain)
                if rule.defaults:
                    copy.defaults = {k: self._fill(v) if isinstance(v, str) else v
                                     for k, v in rule.defaults.items()}
                yield copy
