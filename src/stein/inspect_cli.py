"""``stein inspect``: what runs for a URL (``inspect url``) and what the app is made of
(``inspect app``), as aligned text with ``file:line`` for every function (editors and
terminals open those), or as JSON with ``--json`` for tools.

The data comes from :mod:`stein.inspection`; this module only lays it out.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from .ctx import current_app
from .discovery import ScriptInfo, with_appcontext
from .inspection import AppReport, Step, URLReport, describe_app, explain_url
from .sourceinfo import display_path

__all__ = ["inspect_group", "format_url_report", "format_app_report"]


def _where(file: str | None, line: int | None) -> str:
    if file is None:
        return "?"
    return f"{display_path(file)}:{line}" if line else display_path(file)


class _Table:
    """Rows of (name, where, note) under section titles, aligned across all sections."""

    def __init__(self) -> None:
        self.items: list[tuple[str, ...] | str] = []

    def title(self, text: str) -> None:
        if self.items:
            self.items.append("")
        self.items.append(text)

    def row(self, *cells: str) -> None:
        self.items.append(cells)

    def steps(self, steps: list[Step], numbered: bool = False, empty: str = "(none)") -> None:
        if not steps:
            self.row(empty)
        for i, step in enumerate(steps, 1):
            name = f"{i}. {step.name}" if numbered else step.name
            self.row(name, _where(step.file, step.line), step.note or step.scope)

    def render(self) -> str:
        rows = [r for r in self.items if isinstance(r, tuple)]
        ncols = max((len(r) for r in rows), default=0)
        widths = [max((len(r[i]) for r in rows if len(r) > i + 1), default=0)
                  for i in range(ncols)]
        out = []
        for item in self.items:
            if isinstance(item, str):
                out.append(item)
                continue
            cells = [c.ljust(widths[i]) if i < len(item) - 1 else c
                     for i, c in enumerate(item)]
            out.append(("  " + "  ".join(cells)).rstrip())
        return "\n".join(out)


def format_url_report(report: URLReport) -> str:
    """The text of ``stein inspect url``: a heading line, then one section per stage in
    the order the app runs them, each function with its ``file:line``.

    >>> from stein import Stein
    >>> from stein.inspection import explain_url
    >>> app = Stein(__name__)
    >>> @app.get("/")
    ... def index():
    ...     return "hi"
    >>> print(format_url_report(explain_url(app, "GET", "/")).splitlines()[0])
    GET / -> index (rule /)
    """
    if report.endpoint is not None:
        args = ", ".join(f"{k}={v!r}" for k, v in report.view_args.items())
        head = f"{report.method} {report.path} -> {report.endpoint} (rule {report.rule}" + \
            (f", {args})" if args else ")")
        if report.outcome != "view":
            head += f": {report.outcome}"
    else:
        head = f"{report.method} {report.path} -> {report.outcome}"
    if report.blueprints:
        head += f"  [blueprint {report.blueprints[0]}]"
    t = _Table()
    t.title(head)
    t.title("url value preprocessors")
    t.steps(report.url_value_preprocessors, numbered=True)
    t.title("before_request")
    t.steps(report.before_request, numbered=True)
    t.title("view")
    if report.view is None:
        t.row("(none: " + report.outcome + ")")
    else:
        t.steps([*report.decorators, report.view])
    t.title("templates")
    if not report.templates:
        t.row("(none found in the view's render_template calls)"
              if report.view is not None else "(none)")
    for tpl in report.templates:
        name = tpl.name if tpl.via is None else f"{tpl.name} (from {tpl.via})"
        t.row(name, display_path(tpl.file) if tpl.file else "not found", "")
    t.title("context processors (when a template renders)")
    t.steps(report.context_processors, numbered=True)
    t.title("after_request")
    t.steps(report.after_request, numbered=True)
    t.title("teardown")
    t.steps(report.teardown, numbered=True)
    t.title("error handlers")
    if not report.error_handlers:
        t.row("(none: errors get Stein's default error pages)")
    for route in report.error_handlers:
        if route.handler is None:
            t.row(route.error, "-", "Stein's default error page")
        else:
            t.row(f"{route.error}: {route.handler.name}",
                  _where(route.handler.file, route.handler.line), route.handler.scope)
    return t.render()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _how(entry: Any) -> str:
    text = entry.how
    if entry.detail:
        detail = entry.detail
        if entry.how in ("from_pyfile", "from_file"):
            detail = display_path(detail)
        text += f" {detail}"
    return text


def format_app_report(report: AppReport, skip_defaults: bool = False) -> str:
    """The text of ``stein inspect app``: blueprints, extensions, signal receivers, CLI
    commands and config, each with where it is defined or came from.

    >>> from stein import Stein
    >>> from stein.inspection import describe_app
    >>> print(format_app_report(describe_app(Stein("shop"))).splitlines()[0])
    app shop: 1 route
    """
    t = _Table()
    t.title(f"app {report.name}: {_count(report.routes, 'route')}")
    t.title("blueprints")
    if not report.blueprints:
        t.row("(none)")
    for bp in report.blueprints:
        depth = bp.name.count(".")
        where = [f"url_prefix {bp.url_prefix or '/'}"]
        if bp.subdomain:
            where.append(f"subdomain {bp.subdomain}")
        if bp.blueprint != bp.name.rpartition(".")[2]:
            where.append(f"Blueprint {bp.blueprint!r}")
        where.append(_count(bp.routes, "route"))
        t.row("  " * depth + bp.name, _where(bp.file, bp.line), ", ".join(where))
    t.title("extensions (app.extensions)")
    t.steps(report.extensions)
    t.title("signals")
    if not report.signals:
        t.row("(no receivers)")
    for signal, receivers in report.signals.items():
        for step in receivers:
            t.row(f"{signal}: {step.name}", _where(step.file, step.line), "")
    t.title("commands (stein COMMAND)")
    t.steps(report.commands)
    t.title("config")
    for entry in report.config:
        if skip_defaults and entry.how == "default":
            continue
        how = _how(entry)
        if entry.file:
            how += f" at {_where(entry.file, entry.line)}"
        t.row(entry.key, entry.value, how)
    return t.render()


def _emit(report: Any, as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(report), indent=2, default=str))
    else:
        click.echo(text)


@click.group("inspect", short_help="Show what runs for a URL, or what the app is made of.")
def inspect_group() -> None:
    """Find your way in an app: what runs for a URL and where each function is defined
    (inspect url), or the app's blueprints, extensions, signals, commands and config with
    where each value came from (inspect app). --json for tools."""


@inspect_group.command("url", short_help="What runs for a request, in order.")
@click.argument("method")
@click.argument("path")
@click.option("--host", default=None, help="The request's host (for subdomain or host "
              "matching), e.g. api.example.com.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@with_appcontext
def inspect_url_command(method: str, path: str, host: str | None, as_json: bool) -> None:
    """What the app runs for a METHOD request to PATH, in order: URL value preprocessors,
    before_request hooks, the view and its decorators, the templates it renders,
    context processors, after_request and teardown hooks, and the error handlers; each
    with its file and line.

    \b
      stein inspect url GET /posts/3
      stein inspect url POST '/search?q=x' --json
    """
    if not method.isalpha():
        raise click.BadParameter(f"{method!r} is not an HTTP method (GET, POST, ...).",
                                 param_hint="METHOD")
    if not path.startswith("/"):
        path = "/" + path
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    report = explain_url(app, method, path, host=host)
    _emit(report, as_json, "" if as_json else format_url_report(report))


@inspect_group.command("app", short_help="Blueprints, extensions, signals, commands, config.")
@click.option("--skip-defaults", is_flag=True, help="Leave out config keys at their defaults.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@with_appcontext
def inspect_app_command(skip_defaults: bool, as_json: bool) -> None:
    """The app's blueprints (nesting, URL prefixes, subdomains), extensions, signal
    receivers, CLI commands, and every config key with where its value came from
    (default, from_object, from_pyfile, the environment, or the line that set it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    info = click.get_current_context().find_object(ScriptInfo)
    # The stein command set DEBUG from STEIN_DEBUG/--debug when it loaded the app.
    loaded = info is not None and info.set_debug_flag and \
        getattr(info, "_loaded_app", None) is app
    report = describe_app(app, debug_from_env=loaded)
    if as_json and skip_defaults:
        report.config = [c for c in report.config if c.how != "default"]
    _emit(report, as_json, "" if as_json else format_app_report(report, skip_defaults))
