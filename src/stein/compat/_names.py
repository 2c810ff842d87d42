"""Which Stein module answers each Flask/Werkzeug module name, and the Flask-named aliases.

Kept as data so that a reader sees the whole mapping at once, and so that adding a name
is a one-line change. ``MODULES`` maps an importable name to the Stein module that *is*
that module under compat; ``SYNTHETIC`` lists namespace packages that Flask and Werkzeug
have and Stein has no module for (their children are answered from ``MODULES``);
``ALIASES`` maps ``(stein module, Flask name)`` to ``"module:attribute"``.
"""

from __future__ import annotations

MODULES: dict[str, str] = {
    # Flask
    "flask": "stein",
    "flask.app": "stein.app",
    "flask.blueprints": "stein.blueprints",
    "flask.cli": "stein.cli",
    "flask.config": "stein.config",
    "flask.ctx": "stein.ctx",
    "flask.debughelpers": "stein.debughelpers",
    "flask.globals": "stein.ctx",
    "flask.helpers": "stein.helpers",
    "flask.json": "stein.json",
    "flask.json.provider": "stein.json",
    "flask.json.tag": "stein.json_tag",
    "flask.logging": "stein.logging",
    "flask.sansio.app": "stein.app",
    "flask.sansio.blueprints": "stein.blueprints",
    "flask.sansio.scaffold": "stein.scaffold",
    "flask.sessions": "stein.sessions",
    "flask.signals": "stein.signals",
    "flask.templating": "stein.templating",
    "flask.testing": "stein.testing",
    "flask.typing": "stein.typing",
    "flask.views": "stein.views",
    "flask.wrappers": "stein.wrappers",
    # Werkzeug
    "werkzeug.datastructures": "stein.datastructures",
    "werkzeug.datastructures.accept": "stein.datastructures",
    "werkzeug.datastructures.auth": "stein.datastructures",
    "werkzeug.datastructures.cache_control": "stein.datastructures",
    "werkzeug.datastructures.csp": "stein.datastructures",
    "werkzeug.datastructures.etag": "stein.datastructures",
    "werkzeug.datastructures.file_storage": "stein.datastructures",
    "werkzeug.datastructures.headers": "stein.datastructures",
    "werkzeug.datastructures.mixins": "stein.datastructures",
    "werkzeug.datastructures.range": "stein.datastructures",
    "werkzeug.datastructures.structures": "stein.datastructures",
    "werkzeug.debug": "stein.debugpage",
    "werkzeug.exceptions": "stein.exceptions",
    "werkzeug.formparser": "stein.forms",
    "werkzeug.http": "stein.http",
    "werkzeug.local": "stein.local",
    "werkzeug.middleware.dispatcher": "stein.dispatcher",
    "werkzeug.middleware.proxy_fix": "stein.middleware",
    "werkzeug.middleware.shared_data": "stein.shared_data",
    "werkzeug.routing": "stein.routing",
    "werkzeug.routing.converters": "stein.routing",
    "werkzeug.routing.exceptions": "stein.routing",
    "werkzeug.routing.map": "stein.routing",
    "werkzeug.routing.rules": "stein.routing",
    "werkzeug.sansio.http": "stein.http",
    "werkzeug.sansio.multipart": "stein.multipart",
    "werkzeug.sansio.request": "stein.request",
    "werkzeug.sansio.response": "stein.response",
    "werkzeug.security": "stein.security",
    "werkzeug.serving": "stein.serving",
    "werkzeug.test": "stein.testing",
    "werkzeug.urls": "stein.urls",
    "werkzeug.user_agent": "stein.request",
    "werkzeug.utils": "stein.utils",
    "werkzeug.wrappers": "stein.wrappers",
    "werkzeug.wrappers.request": "stein.request",
    "werkzeug.wrappers.response": "stein.response",
    "werkzeug.wsgi": "stein.wsgi",
}

# Namespace packages with no Stein module of their own: attribute name -> "module:attr".
SYNTHETIC: dict[str, dict[str, str]] = {
    "werkzeug": {
        "Request": "stein.wrappers:Request",
        "Response": "stein.wrappers:Response",
        "Client": "stein.testing:Client",
        "run_simple": "stein.serving:run_simple",
    },
    "werkzeug.middleware": {},
    "werkzeug.sansio": {},
    "flask.sansio": {},
}

# The Werkzeug release whose public API stein.compat follows (``werkzeug.__version__``).
WERKZEUG_VERSION = "3.1.3"
FLASK_VERSION = "3.1.3"

ALIASES: dict[tuple[str, str], str] = {
    ("stein", "Flask"): "stein.app:Stein",
    ("stein.app", "Flask"): "stein.app:Stein",
    ("stein.testing", "FlaskClient"): "stein.testing:TestClient",
    ("stein.testing", "FlaskCliRunner"): "stein.testing:SteinCliRunner",
    # Werkzeug keeps the test builder's file dict with its data structures.
    ("stein.datastructures", "FileMultiDict"): "stein.environ:FileMultiDict",
    ("stein.cli", "FlaskGroup"): "stein.cli:SteinGroup",
    # Read by extensions (Flask-WTF's form meta): Werkzeug keeps it in werkzeug.utils,
    # Stein beside the request it serves.
    ("stein.utils", "cached_property"): "stein.request:cached_property",
}
