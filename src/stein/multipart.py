"""Streaming ``multipart/form-data`` parsing with python-multipart.

The body is read from ``request.stream`` in chunks and fed to python-multipart's push
parser, so memory use stays bounded whatever the body size:

- file parts go to a :class:`tempfile.SpooledTemporaryFile` that moves to disk once it
  holds more than :data:`SPOOL_MAX_SIZE` bytes;
- the bytes of ordinary fields together may not exceed ``MAX_FORM_MEMORY_SIZE`` (413);
- the number of parts may not exceed ``MAX_FORM_PARTS`` (413);
- the whole body may not exceed ``MAX_CONTENT_LENGTH`` (413, enforced by ``request.stream``);
- a malformed or truncated body is a 400 that says what is wrong.

The temporary files are closed (and so removed) by ``request.close()`` at the end of the
request.
"""

from __future__ import annotations

import re
import tempfile
from typing import TYPE_CHECKING, Any

from .datastructures import FileStorage, Headers, ImmutableMultiDict
from .exceptions import BadRequest, RequestEntityTooLarge
from .http import parse_options_header

if TYPE_CHECKING:
    from .wrappers import Request

#: File parts larger than this (bytes) are moved from memory to a temporary file.
SPOOL_MAX_SIZE = 1024 * 1024
#: How much of the body is read and parsed at a time.
CHUNK_SIZE = 64 * 1024

# RFC 2046: 1 to 70 characters from a restricted set, not ending in a space.
_boundary_re = re.compile(r"^[ -~]{0,69}[!-~]$")


def _decode_header(raw: bytes) -> str:
    # Browsers send UTF-8 file names raw in the quoted filename parameter.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _MultipartReader:
    """The parser callbacks' state for one request body."""

    def __init__(self, max_memory: int | None, max_parts: int | None,
                 spool_max_size: int) -> None:
        self.max_memory = max_memory
        self.max_parts = max_parts
        self.spool_max_size = spool_max_size
        self.memory_used = 0
        self.parts = 0
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.done = False
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._name = ""
        self._filename: str | None = None
        self._charset = "utf-8"
        self._buffer = bytearray()
        self._file: Any = None

    # -- python-multipart callbacks ---------------------------------------------------

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.max_parts is not None and self.parts > self.max_parts:
            raise RequestEntityTooLarge(
                f"The multipart body has more than {self.max_parts} parts (MAX_FORM_PARTS)."
            )
        self._headers = []
        self._header_field.clear()
        self._header_value.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if b"\0" in self._header_value or b"\r" in self._header_value or b"\n" in self._header_value:
            # Found by tests/test_properties.py: Headers() rejects these, which was a 500.
            raise BadRequest("A multipart part header contains a NUL, CR or LF character.")
        self._headers.append((_decode_header(bytes(self._header_field)).strip(),
                              _decode_header(bytes(self._header_value)).strip()))
        self._header_field.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        disposition = None
        content_type = None
        for k, v in self._headers:
            lk = k.lower()
            if lk == "content-disposition":
                disposition = v
            elif lk == "content-type":
                content_type = v
        kind, options = parse_options_header(disposition)
        if kind.lower() != "form-data" or "name" not in options:
            raise BadRequest(
                "A multipart part has no 'Content-Disposition: form-data; name=...' header."
            )
        self._name = options["name"]
        self._filename = options.get("filename")
        self._charset = "utf-8"
        if self._filename is not None:
            self._file = tempfile.SpooledTemporaryFile(max_size=self.spool_max_size, mode="w+b")
        else:
            self._file = None
            self._buffer = bytearray()
            if content_type:
                self._charset = parse_options_header(content_type)[1].get("charset", "utf-8")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end])
            return
        self.memory_used += end - start
        if self.max_memory is not None and self.memory_used > self.max_memory:
            raise RequestEntityTooLarge(
                f"The form fields are over the limit of {self.max_memory} bytes"
                " (MAX_FORM_MEMORY_SIZE)."
            )
        self._buffer += data[start:end]

    def on_part_end(self) -> None:
        if self._file is not None:
            f = self._file
            self._file = None
            size = f.tell()
            f.seek(0)
            # Part headers were split on CRLF by the parser: no need to re-validate them.
            headers = Headers.__new__(Headers)
            headers._list = self._headers
            storage = FileStorage(f, self._filename, self._name, headers=headers)
            if "content-length" not in headers:
                headers.set("Content-Length", str(size))
            self.files.append((self._name, storage))
        else:
            try:
                value = self._buffer.decode(self._charset, "replace")
            except LookupError:
                value = self._buffer.decode("utf-8", "replace")
            self.fields.append((self._name, value))

    def on_end(self) -> None:
        self.done = True

    def close(self) -> None:
        """Close every temporary file made so far (after an error)."""
        if self._file is not None:
            self._file.close()
        for _, storage in self.files:
            storage.close()


def parse_multipart(request: Request, spool_max_size: int | None = None
                    ) -> tuple[ImmutableMultiDict, ImmutableMultiDict]:
    """Parse the request's ``multipart/form-data`` body into ``(form, files)``.

    ``form`` maps field names to strings, ``files`` maps them to
    :class:`~stein.datastructures.FileStorage` objects, both as immutable multi-dicts.
    Limits come from the app config (see the module docs).
    """
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser

    boundary = request.mimetype_params.get("boundary", "")
    if not _boundary_re.match(boundary):
        raise BadRequest("The multipart boundary in the Content-Type is missing or invalid.")
    reader = _MultipartReader(
        request.max_form_memory_size, request.max_form_parts,
        SPOOL_MAX_SIZE if spool_max_size is None else spool_max_size,
    )
    callbacks: Any = {
        "on_part_begin": reader.on_part_begin,
        "on_part_data": reader.on_part_data,
        "on_part_end": reader.on_part_end,
        "on_header_field": reader.on_header_field,
        "on_header_value": reader.on_header_value,
        "on_header_end": reader.on_header_end,
        "on_headers_finished": reader.on_headers_finished,
        "on_end": reader.on_end,
    }
    parser = MultipartParser(boundary.encode("latin-1"), callbacks)
    read = request.stream.read
    try:
        while True:
            chunk = read(CHUNK_SIZE)
            if not chunk:
                break
            parser.write(chunk)
            if reader.done:
                break  # anything after the closing boundary is ignored
        parser.finalize()
    except FormParserError as e:
        reader.close()
        raise BadRequest(f"The multipart body is malformed: {e}")
    except BaseException:
        reader.close()
        raise
    if not reader.done:
        reader.close()
        raise BadRequest(
            "The multipart body ended before its closing boundary (truncated upload?)."
        )
    return ImmutableMultiDict(reader.fields), ImmutableMultiDict(reader.files)
