"""app.logger, the default handler and wsgi_errors_stream."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from stein import Stein
from stein.logging import create_logger, default_handler, has_level_handler, wsgi_errors_stream


@pytest.fixture(autouse=True)
def bare_logging(pytestconfig: pytest.Config) -> Iterator[None]:
    """No root handlers (pytest's capture handler included) while a test runs."""
    root_handlers, root_level = logging.root.handlers[:], logging.root.level
    logging.root.handlers = []
    plugin = pytestconfig.pluginmanager.unregister(name="logging-plugin")
    try:
        yield
    finally:
        logging.root.handlers[:] = root_handlers
        logging.root.setLevel(root_level)
        for name in ("logapp", "logapp2", "logapp3", "logapp4"):
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
        if plugin is not None:
            pytestconfig.pluginmanager.register(plugin, "logging-plugin")


def test_logger_gets_the_default_handler_and_debug_level() -> None:
    app = Stein("logapp")
    assert app.logger.name == "logapp"
    assert app.logger.handlers == [default_handler]
    assert app.logger.level == logging.NOTSET
    app2 = Stein("logapp2")
    app2.debug = True
    assert app2.logger.level == logging.DEBUG


def test_configured_logging_keeps_the_default_handler_out() -> None:
    logging.root.addHandler(logging.StreamHandler(io.StringIO()))
    assert Stein("logapp3").logger.handlers == []


def test_has_level_handler_follows_propagation_and_levels() -> None:
    logger = logging.getLogger("logapp4")
    assert not has_level_handler(logger)
    handler = logging.StreamHandler(io.StringIO())
    logging.root.addHandler(handler)
    assert has_level_handler(logger)
    logger.propagate = False
    assert not has_level_handler(logger)
    logger.propagate = True
    handler.setLevel(logging.ERROR)  # above the logger's effective WARNING
    assert not has_level_handler(logger)


def test_wsgi_errors_stream_is_the_request_s_then_stderr() -> None:
    app = Stein("logapp")
    stream = io.StringIO()
    assert wsgi_errors_stream._get_current_object() is sys.stderr
    with app.test_request_context(environ_overrides={"wsgi.errors": stream}):
        assert wsgi_errors_stream._get_current_object() is stream
        app.logger.error("disk %s", "full")
    assert wsgi_errors_stream._get_current_object() is sys.stderr
    assert "ERROR in test_logging: disk full" in stream.getvalue()


def test_unhandled_exception_is_logged_to_the_server_stream() -> None:
    app = Stein("logapp")

    @app.route("/")
    def index() -> str:
        raise RuntimeError("boom")

    stream = io.StringIO()
    response = app.test_client().get("/", environ_overrides={"wsgi.errors": stream})
    assert response.status_code == 500
    text = stream.getvalue()
    assert "Exception on / [GET]" in text
    assert "RuntimeError: boom" in text


def test_create_logger_is_app_logger() -> None:
    app = Stein("logapp")
    assert create_logger(app) is app.logger
