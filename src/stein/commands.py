"""The built-in commands of ``stein``: ``run``, ``shell`` and ``routes``.

Each is a plain click command; :class:`stein.cli.SteinGroup` adds them. Their options also
read environment variables named after the command (``STEIN_RUN_PORT=8000``, or
``FLASK_RUN_PORT`` under :mod:`stein.compat`), through click's ``auto_envvar_prefix``.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

from . import helpers
from .ctx import current_app
from .discovery import ScriptInfo, pass_script_info, with_appcontext
from .utils import import_string

__all__ = ["CertParamType", "SeparatedPathType", "run_command", "shell_command",
           "routes_command"]


class CertParamType(click.ParamType):
    """``run --cert``: a PEM certificate file, ``adhoc`` (a throwaway self-signed
    certificate, needs the ``cryptography`` package), or the import path of an
    ``ssl.SSLContext`` object (``--cert mysite.tls:context``).
    """

    name = "path"

    def __init__(self) -> None:
        self._file = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        try:
            import ssl
        except ImportError:
            self.fail('"--cert" needs a Python built with SSL support.', param, ctx)
        if isinstance(value, ssl.SSLContext):
            return value
        try:
            return self._file.convert(value, param, ctx)
        except click.BadParameter:
            text = str(value)
            if text.lower() == "adhoc":
                try:
                    import cryptography  # noqa: F401
                except ImportError:
                    self.fail("An 'adhoc' certificate needs the cryptography package "
                              "(pip install cryptography), or pass a certificate file with "
                              "--cert and --key.", param, ctx)
                return "adhoc"
            try:
                obj = import_string(text.replace(":", "."))
            except Exception:
                obj = None
            if isinstance(obj, ssl.SSLContext):
                return obj
            raise


def _validate_key(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``--key`` goes with a certificate *file*; it turns ``cert`` into ``(cert, key)``."""
    cert = ctx.params.get("cert")
    try:
        import ssl

        is_context = isinstance(cert, ssl.SSLContext)
    except ImportError:
        is_context = False
    if value is not None:
        if cert == "adhoc":
            raise click.BadParameter('"--key" is not used with "--cert adhoc".', ctx, param)
        if is_context:
            raise click.BadParameter('"--key" is not used when "--cert" is an SSLContext.',
                                     ctx, param)
        if not cert:
            raise click.BadParameter('"--key" needs "--cert".', ctx, param)
        ctx.params["cert"] = (cert, value)
    elif cert and cert != "adhoc" and not is_context and not isinstance(cert, tuple):
        raise click.BadParameter('"--cert" with a certificate file needs "--key" too.',
                                 ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A list of paths in one value, separated like ``PATH`` (``:``, ``;`` on Windows)."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, list):
            return value
        convert = super().convert
        return [convert(item, param, ctx) for item in self.split_envvar_value(value)]


def _adhoc_ssl_context() -> Any:
    """A TLS context with a new self-signed certificate for ``localhost``, kept only in
    memory and a private temporary folder: for trying HTTPS locally, never for serving."""
    import datetime
    import ssl
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stein adhoc")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
        context.load_cert_chain(cert_path, key_path)
    return context


@click.command("run", short_help="Run the development server.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True,
              help="The interface to bind to.")
@click.option("--port", "-p", default=5000, show_default=True, type=int,
              help="The port to bind to (0 picks a free one).")
@click.option("--cert", type=CertParamType(), is_eager=True,
              help="Serve HTTPS: a certificate file (with --key), 'adhoc', or the import "
                   "path of an ssl.SSLContext.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, resolve_path=True),
              callback=_validate_key, expose_value=False,
              help="The private key file of --cert.")
@click.option("--debug/--no-debug", default=None,
              help="Debug mode for this run (default: the group's --debug, or STEIN_DEBUG).")
@click.option("--reload/--no-reload", default=None,
              help="Restart when code changes. Default: on in debug mode.")
@click.option("--debugger/--no-debugger", default=None,
              help="Show a traceback page for errors. Default: on in debug mode.")
@click.option("--debug-public", is_flag=True, default=False,
              help="Allow debug mode on an address other than loopback (the debugger "
                   "still answers loopback clients only; others get a plain 500).")
@click.option("--with-threads/--without-threads", default=True,
              help="Handle each request in its own thread.")
@click.option("--extra-files", default=None, type=SeparatedPathType(),
              help=f"More files that trigger a reload, separated by {os.pathsep!r}.")
@click.option("--exclude-patterns", default=None, type=SeparatedPathType(),
              help="fnmatch patterns of files that do not trigger a reload, separated by "
                   f"{os.pathsep!r}.")
@pass_script_info
def run_command(info: ScriptInfo, host: str, port: int, cert: Any, debug: bool | None,
                reload: bool | None, debugger: bool | None, debug_public: bool,
                with_threads: bool, extra_files: list[str] | None,
                exclude_patterns: list[str] | None) -> None:
    """Serve the app with Stein's development server (use gunicorn, uvicorn or granian in
    production). --debug turns on the reloader and the traceback page."""
    from . import serving  # deferred: the dev server loads for `stein run` only

    if debug is not None:
        os.environ[helpers.env_name("DEBUG")] = "1" if debug else "0"
    debug = helpers.get_debug_flag()
    reload = debug if reload is None else reload
    debugger = debug if debugger is None else debugger
    try:
        serving.check_debug_bind(host, debugger, debug_public)
    except serving.DebugBindRefused as e:
        raise click.UsageError(str(e)) from None
    ssl_context = _adhoc_ssl_context() if cert == "adhoc" else cert
    extra_files = list(extra_files or ())
    options: dict[str, Any] = {}
    if exclude_patterns:
        options["exclude_patterns"] = exclude_patterns

    if reload and not serving.is_running_from_reloader():
        # The supervising process: keep the socket, and restart the serving child.
        serving.run_with_reloader_supervisor(host, port, extra_files=extra_files,
                                             ssl_context=ssl_context)
        return

    try:
        app: Any = info.load_app()
    except Exception as e:
        if not reload:
            raise
        # Keep the watcher alive: show the error and serve it until the code is fixed.
        app = serving.error_app(e, debugger)
        click.echo(f"Error: {e}", err=True)
        if isinstance(e.__cause__, SyntaxError) or debugger:
            cause = e.__cause__ or e
            traceback.print_exception(type(cause), cause, cause.__traceback__)
        extra_files = [*extra_files, *serving.files_of_exception(e)]
    serving.run_simple(host, port, app, use_reloader=reload, use_debugger=debugger,
                       threaded=with_threads, extra_files=extra_files,
                       ssl_context=ssl_context, debug_public=debug_public,
                       app_name=getattr(app, "name", None), **options)


@click.command("shell", short_help="Run a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """An interactive Python shell in the app's context, with ``app`` and ``g`` defined,
    plus what the app's shell context processors add (and ``PYTHONSTARTUP`` runs)."""
    import code

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    banner = (f"Python {sys.version} on {sys.platform}\n"
              f"App: {app.import_name}\nInstance: {app.instance_path}")
    ctx: dict[str, Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            exec(compile(f.read(), startup, "exec"), ctx)
    ctx.update(app.make_shell_context())
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None:
        try:
            import readline
            from rlcompleter import Completer

            readline.set_completer(Completer(ctx).complete)
        except ImportError:
            pass
        interactive_hook()
    code.interact(banner=banner, local=ctx)


_SORT_KEYS = ("endpoint", "methods", "domain", "rule", "match")


@click.command("routes", short_help="Show the app's routes.")
@click.option("--sort", "-s", type=click.Choice(_SORT_KEYS), default="endpoint",
              show_default=True,
              help="Order by endpoint, methods, domain (host or subdomain), rule, or the "
                   "order they match in.")
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """A table of every route: endpoint, methods, host or subdomain (when used) and rule."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    rules = list(app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    ignored = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = bool(getattr(app.url_map, "host_matching", False))
    show_domain = host_matching or any(getattr(r, "subdomain", None) for r in rules)

    def domain(rule: Any) -> str:
        return (getattr(rule, "host", None) if host_matching
                else getattr(rule, "subdomain", None)) or ""

    if sort in ("endpoint", "rule"):
        rules.sort(key=lambda r: getattr(r, sort))
    elif sort == "methods":
        rules.sort(key=lambda r: sorted(r.methods or ()))
    elif sort == "domain":
        rules.sort(key=lambda r: (domain(r), r.rule))
    headers = ["Endpoint", "Methods"]
    if show_domain:
        headers.append("Host" if host_matching else "Subdomain")
    headers.append("Rule")
    table = []
    for r in rules:
        row = [r.endpoint, ", ".join(sorted((r.methods or set()) - ignored))]
        if show_domain:
            row.append(domain(r))
        row.append(r.rule)
        table.append(row)
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{{i}:<{w}}}" for i, w in enumerate(widths))
    click.echo(fmt.format(*headers).rstrip())
    click.echo(fmt.format(*("-" * w for w in widths)))
    for row in table:
        click.echo(fmt.format(*row).rstrip())
