"""Development server (standard library). Not for production: use gunicorn, uvicorn or granian."""

from __future__ import annotations

import sys
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def run_simple(host: str, port: int, app: Any, use_reloader: bool = False,
               use_debugger: bool = False, threaded: bool = True, **kwargs: Any) -> None:
    """Serve ``app`` on ``host:port`` until Ctrl-C."""
    server_class = _ThreadingWSGIServer if threaded else WSGIServer
    with make_server(host, port, app, server_class=server_class, handler_class=_Handler) as httpd:
        print(f" * Running on http://{host}:{port}/ (press CTRL+C to quit)", file=sys.stderr)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
