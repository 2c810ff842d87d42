"""The debug-mode error page: the interactive debugger of the development server.

An unhandled exception in debug mode becomes a page that starts with the user's own code:
each of the user's frames expanded, with its source lines, its local variables (short
``repr``) and a console that evaluates Python in that frame; the framework's frames
(Stein, the standard library, installed packages) folded below them, each frame shown
once (see :mod:`stein.tracebacks`). The plain-text traceback is at the end, to copy.

Who may see and use it is decided here, refusing by default (:func:`client_allowed`):

* the app must be in debug mode (``app.debug``) and wrapped in :class:`DebugMiddleware`,
  which only ``stein run`` in debug mode does; with debug off the middleware passes
  everything through, and an error is the server's plain 500;
* the client must connect from a loopback address, name a loopback host (a page on
  another site that rebinds its DNS name to 127.0.0.1 sends its own name, and is refused)
  and come without proxy headers (a proxy on this machine may be relaying the world);
  any other client gets the plain 500, and the traceback goes to the terminal only;
* the console, in addition, takes a same-origin ``POST`` with the page's secret token and
  the signed cookie set once the PIN printed on the terminal was entered (see
  :mod:`stein.debugger`: wrong PINs lock it for a while).

The page is escaped throughout and sent with a Content-Security-Policy that runs only its
own script (by nonce), so even a value that slipped through escaping cannot run.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import sys
from collections.abc import Iterable, Iterator
from html import escape
from typing import Any
from urllib.parse import parse_qs

from .debugger import COOKIE_NAME, Console, PinGuard, StoredTraceback, TracebackStore
from .tracebacks import CapturedException, CapturedFrame, capture_exception, plain_text

__all__ = ["DebugMiddleware", "client_allowed", "render_exception", "render_page",
           "DEBUGGER_PATH"]

_logger = logging.getLogger("stein.serving")

#: The URL prefix of the debugger's own requests (console, PIN, stored pages).
DEBUGGER_PATH = "/__stein_debugger__"
#: Longest console input or PIN request body accepted by default (bytes; longer -> 413).
MAX_INPUT = 64 * 1024
#: Host names the debugger answers to besides loopback IP addresses.
TRUSTED_HOSTS = ("localhost", ".localhost")

_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP",
                  "HTTP_X_FORWARDED_HOST")

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{background:#8b1e1e;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}
header p{margin:6px 0 0;font-family:ui-monospace,monospace;white-space:pre-wrap}
main{padding:8px 28px 28px}
h2{font-size:17px;margin:22px 0 6px;font-family:ui-monospace,monospace;color:#8b1e1e}
.note{color:#555;margin:10px 0}
.frame{background:#fff;border:1px solid #ddd;border-radius:6px;margin:10px 0;overflow:hidden}
.frame>summary{padding:8px 12px;background:#efefeb;font-family:ui-monospace,monospace;
cursor:pointer;list-style-position:inside}
.frame.lib>summary{background:#f3f3f1;color:#555}
.frame b{color:#8b1e1e}
.pos{float:right;color:#888;font-size:12px}
.lib-group{margin:14px 0}.lib-group>summary{cursor:pointer;color:#555;font-weight:600}
pre{margin:0;padding:6px 0;font:13px/1.4 ui-monospace,monospace;overflow-x:auto}
pre span{display:block;padding:0 12px;white-space:pre}
pre span.cur{background:#fbe3e3;font-weight:bold}
pre i{color:#999;font-style:normal;display:inline-block;width:4em}
table.locals{border-collapse:collapse;margin:0 12px 8px;font:12px ui-monospace,monospace}
table.locals td{border-top:1px solid #eee;padding:2px 10px 2px 0;vertical-align:top}
table.locals td.v{white-space:pre-wrap;word-break:break-all;color:#333}
form.console{margin:0 12px 10px;display:flex;gap:6px}
form.console input{flex:1;font:13px ui-monospace,monospace;padding:4px}
pre.out{background:#1e1e1e;color:#ddd;margin:0 12px 10px;padding:6px 10px;display:none}
pre.out.shown{display:block}
#pin{position:fixed;inset:0;background:rgba(0,0,0,.45);display:none;align-items:center;
justify-content:center}
#pin.shown{display:flex}
#pin form{background:#fff;padding:20px 24px;border-radius:8px;max-width:28em}
#pin input{font:16px ui-monospace,monospace;padding:4px;width:12em}
#pin-msg{color:#8b1e1e;min-height:1.4em}
details.plain{margin-top:22px}textarea{width:100%;height:16em;font:12px monospace}
"""

# The page's only script: it posts PINs and console input to the debugger's endpoints and
# writes what comes back with textContent (never as HTML).
_SCRIPT = """
(function(){
var d=document.getElementById("stein-debugger").dataset,authed=d.authed==="1",pending=null;
var dlg=document.getElementById("pin"),msg=document.getElementById("pin-msg");
function post(path,fields){
  var body=new URLSearchParams(fields);body.set("tb",d.tb);body.set("token",d.token);
  return fetch(d.base+path,{method:"POST",body:body,credentials:"same-origin",
    headers:{"X-Stein-Debugger":"1"}}).then(function(r){return r.json();});
}
function run(form){
  var input=form.querySelector("input"),out=form.nextElementSibling;
  post("/eval",{frame:form.dataset.frame,source:input.value}).then(function(r){
    if(r.pin_required){authed=false;pending=form;dlg.classList.add("shown");return;}
    out.classList.add("shown");
    out.textContent+=">>> "+input.value+"\\n"+(r.output||"");input.value="";
  });
}
document.querySelectorAll("form.console").forEach(function(form){
  form.addEventListener("submit",function(e){
    e.preventDefault();
    if(!authed){pending=form;dlg.classList.add("shown");
      document.getElementById("pin-input").focus();return;}
    run(form);
  });
});
document.getElementById("pin-form").addEventListener("submit",function(e){
  e.preventDefault();
  var field=document.getElementById("pin-input");
  post("/pin",{pin:field.value}).then(function(r){
    field.value="";
    if(r.ok){authed=true;dlg.classList.remove("shown");msg.textContent="";
      if(pending){run(pending);pending=null;}return;}
    msg.textContent=r.message||"Wrong PIN.";
  });
});
document.getElementById("pin-cancel").addEventListener("click",function(){
  dlg.classList.remove("shown");pending=null;});
})();
"""


# -- rendering ------------------------------------------------------------------------------


def _source_html(frame: CapturedFrame) -> str:
    lines = []
    for n, text in frame.source:
        cls = ' class="cur"' if n == frame.lineno else ""
        lines.append(f"<span{cls}><i>{n}</i>{escape(text)}</span>")
        if n == frame.lineno and frame.offset:
            caret = " " * max(0, frame.offset - 1) + "^"
            lines.append(f"<span class=\"cur\"><i></i>{escape(caret)}</span>")
    return f"<pre>{''.join(lines)}</pre>" if lines else ""


def _locals_html(frame: CapturedFrame) -> str:
    if not frame.locals:
        return ""
    rows = "".join(f'<tr><td>{escape(name)}</td><td class="v">{escape(value)}</td></tr>'
                   for name, value in frame.locals)
    return f'<table class="locals" aria-label="local variables">{rows}</table>'


def _frame_html(frame: CapturedFrame, total: int, open_: bool, interactive: bool) -> str:
    kind = "user" if frame.is_user else "lib"
    console = ""
    if interactive and frame.frame is not None:
        console = (f'<form class="console" data-frame="{frame.index}">'
                   f'<input name="source" autocomplete="off" spellcheck="false" '
                   f'placeholder="Python in this frame (Enter runs it)" '
                   f'aria-label="console for frame {frame.index}"><button>Run</button>'
                   f'</form><pre class="out"></pre>')
    return (f'<details class="frame {kind}" id="frame-{frame.index}"'
            f'{" open" if open_ else ""}><summary>'
            f'<span class="pos">call {frame.index + 1} of {total}</span>'
            f'File <b>{escape(frame.short_filename)}</b>, line {frame.lineno}, in '
            f'<b>{escape(frame.name)}</b></summary>'
            f'{_source_html(frame)}{_locals_html(frame)}{console}</details>')


def _exception_html(exc: CapturedException, total: int, interactive: bool,
                    chained: bool) -> str:
    # The user's frames first (expanded), the framework's folded below them. With no
    # user frame at all, the innermost framework frame is opened instead.
    user = [f for f in exc.frames if f.is_user]
    lib = [f for f in exc.frames if not f.is_user]
    parts = [f"<h2>{escape(exc.title)}</h2>"] if chained else []
    parts.extend(_frame_html(f, total, True, interactive) for f in user)
    if lib:
        inner = "".join(_frame_html(f, total, not user and f is lib[-1], interactive)
                        for f in lib)
        parts.append(f'<details class="lib-group"{"" if user else " open"}><summary>'
                     f"{len(lib)} framework frame{'s' if len(lib) != 1 else ''} (Stein, "
                     f"the standard library, installed packages)</summary>{inner}</details>")
    if exc.relation:
        word = ("The above exception was the direct cause of the following exception:"
                if exc.relation == "cause" else
                "During handling of the above exception, another exception occurred:")
        parts.append(f'<p class="note">{word}</p>')
    return "".join(parts)


def render_page(chain: list[CapturedException], plain: str, *,
                stored: StoredTraceback | None = None, authed: bool = False,
                base: str = DEBUGGER_PATH, nonce: str = "") -> str:
    """The HTML page for a captured exception chain; with ``stored`` (a traceback kept for
    the console) each frame gets a console, and the PIN dialog is included.

    >>> try:
    ...     1 / 0
    ... except ZeroDivisionError as e:
    ...     html = render_page(capture_exception(e), plain_text(e))
    >>> "ZeroDivisionError" in html, 'id="stein-debugger"' in html
    (True, False)
    """
    last = chain[-1]
    total = sum(len(e.frames) for e in chain)
    interactive = stored is not None
    sections = "".join(_exception_html(e, total, interactive, len(chain) > 1) for e in chain)
    nonce_attr = f' nonce="{escape(nonce)}"' if nonce else ""
    extra = ""
    if stored is not None:
        extra = (f'<div id="stein-debugger" data-tb="{escape(stored.id)}" '
                 f'data-token="{escape(stored.token)}" data-base="{escape(base)}" '
                 f'data-authed="{"1" if authed else "0"}"></div>'
                 '<div id="pin"><form id="pin-form"><h3>Console locked</h3>'
                 "<p>Enter the debugger PIN printed in the terminal where the server runs."
                 '</p><p><input id="pin-input" name="pin" autocomplete="off" '
                 'aria-label="debugger PIN"> <button>Unlock</button> '
                 '<button type="button" id="pin-cancel">Cancel</button></p>'
                 '<p id="pin-msg"></p></form></div>'
                 f"<script{nonce_attr}>{_SCRIPT}</script>")
    note = ("Each frame's console runs Python in that frame (after the PIN)."
            if interactive else "")
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{escape(last.title)} // Stein debugger</title>"
        f"<style{nonce_attr}>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(last.type_name)}</h1><p>{escape(last.message)}</p></header>"
        "<main><p class=\"note\">Your code first; the framework's frames are folded. "
        f"Shown because the app runs in debug mode. {note}</p>"
        f"{sections}<details class=\"plain\"><summary>Plain-text traceback</summary>"
        f"<textarea readonly>{escape(plain)}</textarea></details></main>{extra}"
        "</body></html>"
    )


def render_exception(exc: BaseException) -> str:
    """The read-only page for ``exc`` (no console): message, the user's frames, the
    framework's folded, chained causes, and the plain-text traceback.

    >>> try:
    ...     {}["k"]
    ... except KeyError as e:
    ...     "KeyError" in render_exception(e)
    True
    """
    return render_page(capture_exception(exc), plain_text(exc))


# -- who may see it -------------------------------------------------------------------------


def _is_loopback_ip(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def _host_name(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or ""
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()


def client_allowed(environ: dict[str, Any],
                   trusted_hosts: Iterable[str] = TRUSTED_HOSTS) -> bool:
    """Whether the debugger may answer this request: a loopback client that names a
    loopback host and came through no proxy.

    >>> client_allowed({"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost:5000"})
    True
    >>> client_allowed({"REMOTE_ADDR": "10.0.0.7", "HTTP_HOST": "localhost:5000"})
    False
    >>> client_allowed({"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "evil.example"})
    False
    """
    if not _is_loopback_ip(str(environ.get("REMOTE_ADDR") or "")):
        return False
    if any(environ.get(key) for key in _PROXY_HEADERS):
        return False
    host = _host_name(environ)
    if not host or _is_loopback_ip(host):
        return bool(host)
    for trusted in trusted_hosts:
        trusted = trusted.lower()
        if host == trusted or (trusted.startswith(".") and host.endswith(trusted)):
            return True
    return False


# -- the middleware -------------------------------------------------------------------------


def _json(start_response: Any, status: str, data: dict[str, Any],
          extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = json.dumps(data).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), *(extra or [])])
    return [body]


class DebugMiddleware:
    """Wraps a WSGI app in debug mode with the interactive debugger: an unhandled
    exception before the response started becomes the debug page (status 500) for an
    allowed client (:func:`client_allowed`), and is logged in any case; after the headers
    went out nothing can be shown, so the error is logged and the connection dropped.

    ``pin`` (default: ``STEIN_DEBUG_PIN`` or a fresh one), ``max_attempts`` wrong PINs
    before a lock of ``lock_seconds``, ``max_tracebacks`` kept for the console,
    ``max_input`` bytes of one console or PIN request (more -> 413), ``trusted_hosts``
    (host names besides loopback addresses)::

        app = DebugMiddleware(app, max_attempts=3)
        print(app.pin)

    The wrapped app's ``debug`` attribute, when it has one, is read on every request:
    while it is false the middleware does nothing at all.
    """

    def __init__(self, app: Any, *, pin: str | None = None, max_attempts: int = 5,
                 lock_seconds: float = 60.0, max_tracebacks: int = 10,
                 max_input: int = MAX_INPUT, trusted_hosts: Iterable[str] = TRUSTED_HOSTS,
                 logger: logging.Logger | None = None) -> None:
        self.app = app
        self.guard = PinGuard(pin=pin, max_attempts=max_attempts, lock_seconds=lock_seconds)
        self.store = TracebackStore(limit=max_tracebacks)
        self.trusted_hosts = tuple(trusted_hosts)
        self.max_input = max_input
        self.logger = logger or _logger

    @property
    def pin(self) -> str:
        """The PIN that unlocks the console (print it where the developer sees it)."""
        return self.guard.pin

    @property
    def asgi_app(self) -> Any:
        """The wrapped app's ASGI side (for the development server's WebSockets)."""
        return getattr(self.app, "asgi_app", None)

    @property
    def active(self) -> bool:
        """Whether the debugger is on: the wrapped app is in debug mode (or has no
        ``debug`` attribute: a plain WSGI app wrapped on purpose)."""
        return bool(getattr(self.app, "debug", True))

    def allowed(self, environ: dict[str, Any]) -> bool:
        """Whether this request may see the debugger (debug on, an allowed client)."""
        return self.active and client_allowed(environ, self.trusted_hosts)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(DEBUGGER_PATH + "/") and self.allowed(environ):
            return self._debugger_request(environ, start_response, path[len(DEBUGGER_PATH):])
        if not self.active:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        started: list[bool] = []

        def tracking_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            started.append(True)
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, tracking_start_response)
        except Exception as e:
            return self._error_page(e, environ, start_response)
        return self._iterate(body, environ, start_response, started)

    def _iterate(self, body: Iterable[bytes], environ: dict[str, Any], start_response: Any,
                 started: list[bool]) -> Iterator[bytes]:
        try:
            yield from body
        except Exception as e:
            if started:
                self.logger.error("Error while streaming the response:\n%s",
                                  plain_text(e).rstrip())
                raise
            yield from self._error_page(e, environ, start_response)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    # The page ---------------------------------------------------------------------------

    def record(self, exc: BaseException, environ: dict[str, Any],
               log_traceback: bool = True) -> StoredTraceback | None:
        """Log ``exc``; for an allowed client also keep it for the console and return it
        (its page is then at ``{DEBUGGER_PATH}/tb/{id}``, which the log names).
        ``log_traceback=False`` logs only that address (the app logged the traceback)."""
        stored = self.store.add(exc) if self.allowed(environ) else None
        where = ""
        if stored is not None:
            host = environ.get("HTTP_HOST") or "localhost"
            scheme = environ.get("wsgi.url_scheme", "http")
            where = (f" (debugger: {scheme}://{host}{environ.get('SCRIPT_NAME', '')}"
                     f"{DEBUGGER_PATH}/tb/{stored.id})")
        if log_traceback:
            self.logger.error("Exception in the app%s:\n%s", where, plain_text(exc).rstrip())
        elif where:
            self.logger.error("The debugger has the error above%s", where)
        return stored

    def page(self, stored: StoredTraceback, environ: dict[str, Any]) -> tuple[bytes, str]:
        """The page of a stored traceback and the nonce its CSP allows."""
        nonce = secrets.token_urlsafe(16)
        authed = self.guard.verify_cookie(_cookie(environ))
        html = render_page(stored.chain, stored.plain, stored=stored, authed=authed,
                           base=environ.get("SCRIPT_NAME", "") + DEBUGGER_PATH, nonce=nonce)
        return html.encode("utf-8", "replace"), nonce

    def page_response(self, stored: StoredTraceback, environ: dict[str, Any],
                   start_response: Any, status: str) -> list[bytes]:
        """Answer with the page of ``stored`` (its CSP, no caching)."""
        body, nonce = self.page(stored, environ)
        start_response(status, [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("X-Stein-Debug", "traceback"),
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy",
             f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
             "connect-src 'self'; base-uri 'none'; form-action 'none'; "
             "frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ], sys.exc_info())
        return [body]

    def _error_page(self, exc: BaseException, environ: dict[str, Any],
                    start_response: Any) -> list[bytes]:
        stored = self.record(exc, environ)
        if stored is None:
            # Not a client the debugger answers: the plain 500 any server sends.
            body = (b"<!doctype html><title>500 Internal Server Error</title>"
                    b"<h1>Internal Server Error</h1><p>The server encountered an internal "
                    b"error and was unable to complete your request.</p>")
            start_response("500 INTERNAL SERVER ERROR", [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body)))], sys.exc_info())
            return [body]
        return self.page_response(stored, environ, start_response, "500 INTERNAL SERVER ERROR")

    # The debugger's own requests --------------------------------------------------------

    def _debugger_request(self, environ: dict[str, Any], start_response: Any,
                          action: str) -> list[bytes]:
        if action.startswith("/tb/") and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            stored = self.store.get(action[4:])
            if stored is None:
                return _json(start_response, "404 NOT FOUND",
                             {"message": "That traceback is no longer kept."})
            return self.page_response(stored, environ, start_response, "200 OK")
        if action not in ("/pin", "/eval"):
            return _json(start_response, "404 NOT FOUND", {"message": "Not found."})
        refusal = self._check_post(environ)
        if refusal is not None:
            return _json(start_response, refusal[0], {"message": refusal[1]})
        fields = self._form(environ)
        if fields is None:
            return _json(start_response, "413 REQUEST ENTITY TOO LARGE",
                         {"message": f"At most {self.max_input} bytes."})
        stored = self.store.get(fields.get("tb", ""))
        if stored is None or not secrets.compare_digest(
                fields.get("token", "").encode(), stored.token.encode()):
            return _json(start_response, "403 FORBIDDEN",
                         {"message": "Unknown or expired traceback; reload the page."})
        if action == "/pin":
            return self._pin(fields, start_response)
        if not self.guard.verify_cookie(_cookie(environ)):
            return _json(start_response, "403 FORBIDDEN",
                         {"pin_required": True, "message": "Enter the PIN first."})
        return self._eval(stored, fields, start_response)

    def _check_post(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        if environ.get("REQUEST_METHOD") != "POST":
            return "405 METHOD NOT ALLOWED", "POST only."
        # A custom header: a cross-site page cannot send it without a CORS preflight,
        # which this endpoint never grants.
        if environ.get("HTTP_X_STEIN_DEBUGGER") != "1":
            return "403 FORBIDDEN", "Not a request from the debug page."
        site = environ.get("HTTP_SEC_FETCH_SITE")
        if site is not None and site not in ("same-origin", "none"):
            return "403 FORBIDDEN", "Cross-site request refused."
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None:
            expected = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST')}"
            if origin.lower() != expected.lower():
                return "403 FORBIDDEN", "Cross-origin request refused."
        return None

    def _form(self, environ: dict[str, Any]) -> dict[str, str] | None:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > self.max_input:
            return None
        data = environ["wsgi.input"].read(length) if length else b""
        parsed = parse_qs(data.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def _pin(self, fields: dict[str, str], start_response: Any) -> list[bytes]:
        result = self.guard.check(fields.get("pin", ""))
        if result == "ok":
            return _json(start_response, "200 OK", {"ok": True},
                         [("Set-Cookie", self.guard.set_cookie_header())])
        if result == "locked":
            seconds = int(self.guard.locked_for()) + 1
            self.logger.warning("Debugger PIN locked after too many wrong attempts")
            return _json(start_response, "429 TOO MANY REQUESTS", {
                "ok": False, "locked": True,
                "message": f"Too many wrong PINs: locked for {seconds} s."})
        if self.guard.locked_for() > 0:
            self.logger.warning("Debugger PIN locked after too many wrong attempts")
            return _json(start_response, "429 TOO MANY REQUESTS", {
                "ok": False, "locked": True,
                "message": "Too many wrong PINs: the console is locked for a while."})
        return _json(start_response, "403 FORBIDDEN", {
            "ok": False, "locked": False,
            "message": f"Wrong PIN ({self.guard.attempts_left} tries left)."})

    def _eval(self, stored: StoredTraceback, fields: dict[str, str],
              start_response: Any) -> list[bytes]:
        try:
            index = int(fields.get("frame", ""))
        except ValueError:
            index = -1
        frame = stored.frame(index)
        if frame is None:
            return _json(start_response, "404 NOT FOUND", {"message": "No such frame."})
        namespace = stored.namespaces.get(index)
        console = Console(frame, namespace)
        stored.namespaces[index] = console.namespace
        return _json(start_response, "200 OK", {"output": console.run(fields.get("source", ""))})


def _cookie(environ: dict[str, Any]) -> str | None:
    for part in (environ.get("HTTP_COOKIE") or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == COOKIE_NAME:
            return value
    return None
