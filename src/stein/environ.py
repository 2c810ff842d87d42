"""Building WSGI environ dicts from test-client style arguments: :class:`EnvironBuilder`.

The test client, ``app.test_request_context()`` and ``Request.from_values()`` all describe a
request the same way (a path, a query, headers, a body given as bytes, a form dict with
files, or JSON) and this module turns that description into the environ a WSGI server
would pass. It follows ``werkzeug.test.EnvironBuilder`` parameter for parameter, because
Flask code and extensions build requests with it directly.

One class serves both Werkzeug's signature, ``EnvironBuilder(path, base_url, ...)``, and
Flask's, ``EnvironBuilder(app, path, base_url, subdomain, url_scheme, ...)``: under
``stein.compat`` both ``werkzeug.test`` and ``flask.testing`` are :mod:`stein.testing`, so
the two names are one object. A first argument that is an app (it has ``wsgi_app`` and
``config``) selects Flask's form, whose base URL comes from ``SERVER_NAME``,
``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME`` and whose JSON is the app's provider.

Layer: beside the request wrapper. It reads the app only through the object handed in.
"""

from __future__ import annotations

import base64
import json as _json
import mimetypes
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from io import BytesIO
from tempfile import TemporaryFile
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from .datastructures import FileStorage, Headers, MultiDict
from .http import dump_options_header, parse_options_header

if TYPE_CHECKING:
    from .request import Request

__all__ = ["EnvironBuilder", "create_environ", "encode_multipart", "stream_encode_multipart"]

# Characters a browser leaves alone in a path; everything else (non-ASCII above all) is
# percent-encoded, as an IRI becomes a URI.
_PATH_SAFE = "/:@!$&'()*+,;=~%"
# What Werkzeug's query encoder leaves unquoted, so environs compare equal.
_QUERY_SAFE = "!$'()*,/:;?@"
_CHARSET_TYPES = frozenset({
    "application/ecmascript", "application/javascript", "application/sql", "application/xml",
    "application/xml-dtd", "application/xml-external-parsed-entity"})


def _content_type(mimetype: str) -> str:
    """``mimetype`` with ``; charset=utf-8`` when it is a text type."""
    if mimetype.startswith("text/") or mimetype in _CHARSET_TYPES or mimetype.endswith("+xml"):
        return f"{mimetype}; charset=utf-8"
    return mimetype


def _wsgi_str(s: str) -> str:
    """A native WSGI string: the UTF-8 bytes of ``s`` seen as Latin-1 (PEP 3333)."""
    return s.encode("utf-8", "surrogateescape").decode("latin-1")


def _iter_data(data: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The ``(key, value)`` pairs of a form mapping; a list value gives one pair per item
    (a tuple is one value: it describes a file)."""
    if isinstance(data, MultiDict):
        yield from data.items(multi=True)
        return
    for key, value in data.items():
        if isinstance(value, list):
            for v in value:
                yield key, v
        else:
            yield key, value


def _urlencode(pairs: Iterable[tuple[Any, Any]]) -> str:
    """Query-string encoding; a ``None`` value leaves its key out."""
    return urlencode([(k, v) for k, v in pairs if v is not None], safe=_QUERY_SAFE)


def _query_pairs(query: Any) -> list[tuple[Any, Any]]:
    if isinstance(query, MultiDict):
        return list(query.items(multi=True))
    items = query.items() if isinstance(query, Mapping) else query
    pairs: list[tuple[Any, Any]] = []
    for k, v in items:
        if isinstance(v, (list, tuple)):
            pairs.extend((k, x) for x in v)
        else:
            pairs.append((k, v))
    return pairs


class FileMultiDict(MultiDict):
    """The files of a form being built: ``add_file(name, file, filename, content_type)``.

    >>> files = FileMultiDict()
    >>> files.add_file("doc", BytesIO(b"%PDF"), "report.pdf")
    >>> files["doc"].content_type
    'application/pdf'
    """

    def add_file(self, name: str, file: Any, filename: str | None = None,
                 content_type: str | None = None) -> None:
        """Add a file: a :class:`FileStorage`, a binary file object, or a path to open.

        Without ``content_type`` it is guessed from the file name
        (``application/octet-stream`` when the name says nothing).
        """
        if isinstance(file, FileStorage):
            self.add(name, file)
            return
        if isinstance(file, (str, os.PathLike)):
            if filename is None:
                filename = os.fspath(file)
            file = open(file, "rb")  # noqa: SIM115 - closed by EnvironBuilder.close()
        elif filename is None:
            # A file object names itself; "<stdin>"-style names are not file names.
            stream_name = getattr(file, "name", None)
            if isinstance(stream_name, (str, bytes)):
                stream_name = os.fsdecode(stream_name)
                if not (stream_name[:1] == "<" and stream_name[-1:] == ">"):
                    filename = stream_name
        if filename and content_type is None:
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self.add(name, FileStorage(file, filename, name, content_type))


def stream_encode_multipart(data: Mapping[str, Any], use_tempfile: bool = True,
                            threshold: int = 1024 * 500,
                            boundary: str | None = None) -> tuple[IO[bytes], int, str]:
    """Encode a form (values and file objects) as ``multipart/form-data``.

    Returns ``(stream, length, boundary)``; past ``threshold`` bytes the body moves to a
    temporary file when ``use_tempfile`` is true.

    >>> stream, length, boundary = stream_encode_multipart({"a": "1"}, boundary="b")
    >>> stream.read()
    b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n--b--\\r\\n'
    """
    if boundary is None:
        boundary = "----------SteinFormBoundary" + os.urandom(12).hex()
    stream: IO[bytes] = BytesIO()
    total = 0
    on_disk = False

    def write(b: bytes) -> None:
        nonlocal stream, total, on_disk
        if use_tempfile and not on_disk and total + len(b) > threshold:
            disk = TemporaryFile("wb+")
            disk.write(stream.getvalue())  # type: ignore[attr-defined]
            stream, on_disk = disk, True
        stream.write(b)
        total += len(b)

    for key, value in _iter_data(data):
        write(f"--{boundary}\r\n".encode())
        reader = getattr(value, "read", None)
        disposition = f'form-data; name="{_quote_part(key)}"'
        if reader is not None:
            filename = getattr(value, "filename", None)
            if filename is None and not isinstance(value, FileStorage):
                filename = getattr(value, "name", None)
            content_type = getattr(value, "content_type", None)
            if content_type is None:
                content_type = (filename and mimetypes.guess_type(filename)[0]) or \
                    "application/octet-stream"
            if filename is not None:
                disposition += f'; filename="{_quote_part(os.fsdecode(filename))}"'
            part = Headers(getattr(value, "headers", None) or ())
            part.set("Content-Type", content_type)
            write(f"Content-Disposition: {disposition}\r\n".encode())
            for k, v in part.items():
                if k.lower() != "content-disposition":
                    write(f"{k}: {v}\r\n".encode())
            write(b"\r\n")
            while True:
                chunk = reader(16384)
                if not chunk:
                    break
                write(chunk if isinstance(chunk, bytes) else chunk.encode())
        else:
            write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
            write(value if isinstance(value, bytes) else str(value).encode())
        write(b"\r\n")
    write(f"--{boundary}--\r\n".encode())
    length = stream.tell()
    stream.seek(0)
    return stream, length, boundary


def encode_multipart(values: Mapping[str, Any], boundary: str | None = None) -> tuple[str, bytes]:
    """``(boundary, body)`` for a form: :func:`stream_encode_multipart` in memory."""
    stream, _, boundary = stream_encode_multipart(values, use_tempfile=False, boundary=boundary)
    return boundary, stream.read()


def _quote_part(value: str) -> str:
    # As browsers do (HTML form encoding): percent-encode what would end the quoted value.
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _authorization_header(auth: Any) -> str:
    """The ``Authorization`` value for ``auth=``: a ``(user, password)`` tuple is Basic."""
    if isinstance(auth, tuple):
        user, password = auth
        raw = f"{user}:{password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")
    to_header = getattr(auth, "to_header", None)
    if to_header is not None:
        return str(to_header())
    scheme = (getattr(auth, "type", None) or "basic").lower()
    if scheme == "basic" and getattr(auth, "username", None) is not None:
        return _authorization_header((auth.username, auth.password or ""))
    token = getattr(auth, "token", None)
    if token is not None:
        return f"{scheme.title()} {token}"
    params = ", ".join(f"{k}={v}" for k, v in dict(auth).items())
    return f"{scheme.title()} {params}"


def _remaining(stream: IO[bytes]) -> int | None:
    """How many bytes a seekable stream holds from where it is; ``None`` if unknown."""
    try:
        start = stream.tell()
        stream.seek(0, 2)
        end = stream.tell()
        stream.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return end - start


def _is_app(obj: Any) -> bool:
    return hasattr(obj, "wsgi_app") and hasattr(obj, "config")


#: The class :meth:`EnvironBuilder.get_request` makes when neither the builder nor its app
#: names one. :class:`~stein.request.Request` sits a layer above this module, so it is set
#: from there: by :mod:`stein.testing` when imported, and by ``Request.from_values``.
default_request_class: type[Any] | None = None


class EnvironBuilder:
    """Describe a request, get its WSGI environ (:meth:`get_environ`) or a
    :class:`~stein.request.Request` (:meth:`get_request`).

    >>> b = EnvironBuilder("/search", query_string={"q": "stein"}, method="POST",
    ...                    data={"name": "x"})
    >>> env = b.get_environ()
    >>> env["QUERY_STRING"], env["CONTENT_TYPE"], env["wsgi.input"].read()
    ('q=stein', 'application/x-www-form-urlencoded', b'name=x')

    ``data`` is bytes or str (the body as it is), a file object (read), or a mapping of
    form fields whose values may be file objects or ``(file, filename[, content_type])``
    tuples (then the body is ``multipart/form-data``). ``json`` serialises an object as
    the body. ``auth`` is a ``(username, password)`` tuple or an ``Authorization``.
    With an app as the first argument (Flask's form), the base URL comes from the app's
    config, and ``subdomain``/``url_scheme`` adjust it.
    """

    server_protocol = "HTTP/1.1"
    wsgi_version = (1, 0)
    request_class: type[Any] | None = None

    _args: MultiDict | None
    _query_string: str | None
    _input_stream: IO[bytes] | None
    _form: MultiDict | None
    _files: FileMultiDict | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        app = None
        if args and _is_app(args[0]):
            app, args = args[0], args[1:]
        elif _is_app(kwargs.get("app")):
            app = kwargs.pop("app")
        else:
            kwargs.pop("app", None)
        self.app = app
        if app is not None:
            args, kwargs = self._app_arguments(app, args, kwargs)
        self._setup(*args, **kwargs)

    @staticmethod
    def _app_arguments(app: Any, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Flask's ``(app, path, base_url, subdomain, url_scheme, *rest)``, turned into the
        plain signature with the base URL made from the app's config."""
        names = ("path", "base_url", "subdomain", "url_scheme")
        given = dict(zip(names, args, strict=False))
        args = args[len(names):]
        for name in names:
            if name in kwargs:
                if name in given:
                    raise TypeError(f"EnvironBuilder() got multiple values for {name!r}")
                given[name] = kwargs.pop(name)
        path = given.get("path", "/")
        base_url = given.get("base_url")
        subdomain = given.get("subdomain")
        url_scheme = given.get("url_scheme")
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        if base_url is None:
            host = app.config.get("SERVER_NAME") or "localhost"
            root = app.config.get("APPLICATION_ROOT") or "/"
            if subdomain:
                host = f"{subdomain}.{host}"
            if url_scheme is None:
                url_scheme = app.config.get("PREFERRED_URL_SCHEME") or "http"
            url = urlsplit(path)
            base_url = f"{url.scheme or url_scheme}://{url.netloc or host}/{root.lstrip('/')}"
            path = url.path
            root = root.rstrip("/")
            if root and path.startswith(root + "/"):
                # A path given with the application root in it: the root is SCRIPT_NAME,
                # not part of the route (Flask would request /root/root/...).
                path = path[len(root):]
            path += f"?{url.query}" if url.query else ""
        return (path, base_url, *args), kwargs

    def _setup(
        self,
        path: str = "/",
        base_url: str | None = None,
        query_string: Mapping[str, Any] | str | bytes | None = None,
        method: str = "GET",
        input_stream: IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: Headers | Iterable[tuple[str, str]] | Mapping[str, str] | None = None,
        data: Any = None,
        environ_base: Mapping[str, Any] | None = None,
        environ_overrides: Mapping[str, Any] | None = None,
        mimetype: str | None = None,
        json: Any = None,
        auth: Any = None,
    ) -> None:
        if isinstance(path, bytes):
            path = path.decode("utf-8", "surrogateescape")
        if query_string is not None and "?" in path:
            raise ValueError("Query string is defined in the path and as an argument")
        request_uri = urlsplit(path)
        if query_string is None and "?" in path:
            query_string = request_uri.query
        if request_uri.netloc and base_url is None:
            # A full URL as the path: its scheme and host are the base.
            base_url = f"{request_uri.scheme or 'http'}://{request_uri.netloc}"
        self.path = quote(request_uri.path or "/", safe=_PATH_SAFE)
        self.request_uri = urlunsplit(("", "", self.path, request_uri.query, ""))
        self.base_url = base_url  # type: ignore[assignment]
        self._query_string = None
        self._args = None
        if isinstance(query_string, bytes):
            query_string = query_string.decode("latin-1")
        if isinstance(query_string, str):
            self.query_string = query_string
        elif query_string is not None:
            self.args = MultiDict(_query_pairs(query_string))
        self.method = method.upper()
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        if content_type is not None:
            self.content_type = content_type
        self.errors_stream = sys.stderr if errors_stream is None else errors_stream
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.environ_base = environ_base
        self.environ_overrides = environ_overrides
        self.input_stream = input_stream
        if content_length is not None:
            self.content_length = content_length
        self.closed = False
        if auth is not None:
            self.headers.set("Authorization", _authorization_header(auth))
        if json is not None:
            if data is not None:
                raise TypeError("can't provide both json and data")
            data = self.json_dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"
        if data:
            if input_stream is not None:
                raise TypeError("can't provide input stream and data")
            if hasattr(data, "read"):
                data = data.read()
            if isinstance(data, str):
                data = data.encode()
            if isinstance(data, (bytes, bytearray)):
                self.input_stream = BytesIO(bytes(data))
                if self.content_length is None:
                    self.content_length = len(data)
            else:
                for key, value in _iter_data(data):
                    if isinstance(value, (tuple, dict)) or hasattr(value, "read"):
                        self._add_file_from_data(key, value)
                    else:
                        self.form.add(key, value)
        if mimetype is not None:
            self.mimetype = mimetype

    def json_dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise ``json=``: with the app's JSON provider when there is an app."""
        if self.app is not None:
            return self.app.json.dumps(obj, **kwargs)  # type: ignore[no-any-return]
        return _json.dumps(obj, **kwargs)

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any], **kwargs: Any) -> EnvironBuilder:
        """A builder for an existing environ; ``kwargs`` override what it says."""
        headers = Headers()
        for key, value in environ.items():
            if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                headers.add(key[5:].replace("_", "-").title(), value)
        host = headers.get("Host") or environ.get("SERVER_NAME", "localhost")
        headers.remove("Host")

        def native(s: str) -> str:
            return s.encode("latin-1").decode("utf-8", "replace")

        out: dict[str, Any] = {
            "path": native(environ.get("PATH_INFO", "")) or "/",
            "base_url": cls._make_base_url(environ.get("wsgi.url_scheme", "http"), host,
                                           native(environ.get("SCRIPT_NAME", ""))),
            "query_string": native(environ.get("QUERY_STRING", "")),
            "method": environ.get("REQUEST_METHOD", "GET"),
            "input_stream": environ.get("wsgi.input"),
            "content_type": environ.get("CONTENT_TYPE"),
            "content_length": environ.get("CONTENT_LENGTH") or None,
            "errors_stream": environ.get("wsgi.errors"),
            "multithread": environ.get("wsgi.multithread", False),
            "multiprocess": environ.get("wsgi.multiprocess", False),
            "run_once": environ.get("wsgi.run_once", False),
            "headers": headers,
        }
        out.update(kwargs)
        return cls(**out)

    def _add_file_from_data(self, key: str, value: Any) -> None:
        if isinstance(value, tuple):
            self.files.add_file(key, *value)
        elif isinstance(value, dict):
            file = value.get("file") or value.get("stream")
            self.files.add_file(key, file, value.get("filename"),
                                value.get("content_type") or value.get("mimetype"))
        else:
            self.files.add_file(key, value)

    # -- URL parts ---------------------------------------------------------------------

    @staticmethod
    def _make_base_url(scheme: str, host: str, script_root: str) -> str:
        return urlunsplit((scheme, host, script_root, "", "")).rstrip("/") + "/"

    @property
    def base_url(self) -> str:
        """``scheme://host/script_root/``: setting it sets the three."""
        return self._make_base_url(self.url_scheme, self.host, self.script_root)

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        if value is None:
            scheme, netloc, script_root = "http", "localhost", ""
        else:
            scheme, netloc, script_root, qs, anchor = urlsplit(value)
            if qs or anchor:
                raise ValueError("base url must not contain a query string or fragment")
        self.script_root = quote(script_root.rstrip("/"), safe=_PATH_SAFE)
        self.host = netloc
        self.url_scheme = scheme

    @property
    def server_name(self) -> str:
        """The host without its port."""
        host = self.host
        if host.startswith("["):  # an IPv6 literal keeps its colons
            return host.partition("]")[0] + "]"
        return host.split(":", 1)[0]

    @property
    def server_port(self) -> int:
        """The port in the host, else the scheme's default."""
        host = self.host[self.host.find("]") + 1:] if self.host.startswith("[") else self.host
        _, sep, port = host.partition(":")
        if sep and port.isdigit():
            return int(port)
        return 443 if self.url_scheme == "https" else 80

    # -- query -------------------------------------------------------------------------

    @property
    def query_string(self) -> str:
        """The query string; setting it replaces :attr:`args`."""
        if self._query_string is None:
            return _urlencode(self._args.items(multi=True)) if self._args is not None else ""
        return self._query_string

    @query_string.setter
    def query_string(self, value: str | None) -> None:
        self._query_string = value
        self._args = None

    @property
    def args(self) -> MultiDict:
        """The query as a :class:`MultiDict` (unavailable once a query string is set)."""
        if self._query_string is not None:
            raise AttributeError("a query string is defined")
        if self._args is None:
            self._args = MultiDict()
        return self._args

    @args.setter
    def args(self, value: MultiDict | None) -> None:
        self._query_string = None
        self._args = value

    # -- body --------------------------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        """``Content-Type`` from :attr:`headers`; without one, the form's type."""
        ct = self.headers.get("Content-Type")
        if ct is None and not self._input_stream:
            if self._files:
                return "multipart/form-data"
            if self._form:
                return "application/x-www-form-urlencoded"
        return ct  # type: ignore[no-any-return]

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self.headers.remove("Content-Type")
        else:
            self.headers.set("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters; setting it adds a charset to text types."""
        ct = self.content_type
        return ct.split(";")[0].strip() if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.content_type = _content_type(value)

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters (a copy: set :attr:`content_type` to change them)."""
        return parse_options_header(self.headers.get("Content-Type", ""))[1]

    @property
    def content_length(self) -> int | None:
        """``Content-Length`` from :attr:`headers`, as an int."""
        v = self.headers.get("Content-Length")
        try:
            return int(v) if v is not None else None
        except ValueError:
            return None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.remove("Content-Length")
        else:
            self.headers.set("Content-Length", str(value))

    def _form_store(self, name: str, factory: type[MultiDict]) -> Any:
        if self._input_stream is not None:
            raise AttributeError("an input stream is defined")
        rv = getattr(self, name)
        if rv is None:
            rv = factory()
            setattr(self, name, rv)
        return rv

    @property
    def form(self) -> MultiDict:
        """The form fields (unavailable once an :attr:`input_stream` is set)."""
        return self._form_store("_form", MultiDict)  # type: ignore[no-any-return]

    @form.setter
    def form(self, value: MultiDict) -> None:
        self._input_stream = None
        self._form = value

    @property
    def files(self) -> FileMultiDict:
        """The uploaded files; add with :meth:`FileMultiDict.add_file`."""
        return self._form_store("_files", FileMultiDict)  # type: ignore[no-any-return]

    @files.setter
    def files(self, value: FileMultiDict) -> None:
        self._input_stream = None
        self._files = value

    @property
    def input_stream(self) -> IO[bytes] | None:
        """The body as a stream; setting it drops :attr:`form` and :attr:`files`."""
        return self._input_stream

    @input_stream.setter
    def input_stream(self, value: IO[bytes] | None) -> None:
        self._input_stream = value
        self._form = None
        self._files = None

    def close(self) -> None:
        """Close the files added to the form (safe to call twice)."""
        if self.closed:
            return
        for f in (self._files or {}).values():
            try:
                f.close()
            except Exception:
                pass
        self.closed = True

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- output ------------------------------------------------------------------------

    def get_environ(self) -> dict[str, Any]:
        """The WSGI environ for this request (a new dict, with a fresh body stream)."""
        input_stream = self.input_stream
        content_length = self.content_length
        mimetype = self.mimetype
        content_type = self.content_type
        if input_stream is not None:
            # The stream's length, unless the request says its own (a test of a short
            # body gives a larger Content-Length; a chunked one gives none).
            if content_length is None and not self._chunked():
                content_length = _remaining(input_stream)
        elif mimetype == "multipart/form-data":
            values = MultiDict(self.form.items(multi=True))
            for k, f in self.files.items(multi=True):
                values.add(k, f)
            input_stream, content_length, boundary = stream_encode_multipart(values)
            params = parse_options_header(content_type)[1]
            params["boundary"] = boundary
            content_type = dump_options_header(mimetype, params)
        elif mimetype == "application/x-www-form-urlencoded":
            body = _urlencode(self.form.items(multi=True)).encode("ascii")
            content_length = len(body)
            input_stream = BytesIO(body)
        else:
            input_stream = BytesIO()
        env: dict[str, Any] = dict(self.environ_base or ())
        raw_uri = self.request_uri
        if self._query_string is None and self._args is not None and "?" not in raw_uri:
            raw_uri += f"?{self.query_string}" if self.query_string else ""
        raw_uri = _wsgi_str(raw_uri)
        env.update({
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": _wsgi_str(unquote(self.script_root)),
            "PATH_INFO": _wsgi_str(unquote(self.path, errors="surrogateescape")),
            "QUERY_STRING": _wsgi_str(self.query_string),
            "REQUEST_URI": raw_uri,
            "RAW_URI": raw_uri,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": str(self.server_port),
            "HTTP_HOST": self.host,
            "SERVER_PROTOCOL": self.server_protocol,
            "wsgi.version": self.wsgi_version,
            "wsgi.url_scheme": self.url_scheme,
            "wsgi.input": input_stream,
            "wsgi.errors": self.errors_stream,
            "wsgi.multithread": self.multithread,
            "wsgi.multiprocess": self.multiprocess,
            "wsgi.run_once": self.run_once,
        })
        if content_type is not None:
            env["CONTENT_TYPE"] = content_type
        if content_length is not None:
            env["CONTENT_LENGTH"] = str(content_length)
        # Repeated headers are joined into one environ value, as a server does.
        joined: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            name = key.upper().replace("-", "_")
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                continue
            joined.setdefault("HTTP_" + name, []).append(value)
        for name, parts in joined.items():
            env[name] = ", ".join(parts)
        if self.environ_overrides:
            env.update(self.environ_overrides)
        return env

    def _chunked(self) -> bool:
        return "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()

    def get_request(self, cls: type[Request] | None = None) -> Request:
        """A request object for this environ (``cls``, else :attr:`request_class`, else
        the app's ``request_class``, else :data:`default_request_class`, which is
        :class:`~stein.request.Request` once :mod:`stein.testing` is imported)."""
        if cls is None:
            cls = self.request_class
        if cls is None and self.app is not None:
            cls = self.app.request_class
        if cls is None:
            cls = default_request_class
        if cls is None:
            raise TypeError("get_request() needs a request class: pass 'cls', set "
                            "'request_class', or give the builder an app")
        return cls(self.get_environ())


def create_environ(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """A WSGI environ built from :class:`EnvironBuilder`'s arguments.

    >>> create_environ("/hello", "http://example.com/app")["SCRIPT_NAME"]
    '/app'
    """
    builder = EnvironBuilder(*args, **kwargs)
    try:
        return builder.get_environ()
    finally:
        builder.close()
