"""``multipart/form-data`` parsing, streamed or in place.

The body is read from ``request.stream`` in chunks of :data:`CHUNK_SIZE` and parsed as it
arrives, so memory use stays bounded whatever the body size:

- file parts go to a :class:`tempfile.SpooledTemporaryFile` that moves to disk once it
  holds more than :data:`SPOOL_MAX_SIZE` bytes;
- the bytes of ordinary fields together may not exceed ``MAX_FORM_MEMORY_SIZE`` (413);
- the number of parts may not exceed ``MAX_FORM_PARTS`` (413);
- a part may have at most :data:`MAX_PART_HEADERS` header lines of at most
  :data:`MAX_PART_HEADER_SIZE` bytes each (400);
- the whole body may not exceed ``MAX_CONTENT_LENGTH`` (413, enforced by ``request.stream``);
- a malformed or truncated body is a 400 that says what is wrong.

A body with a declared ``Content-Length`` of at most the spool size plus one chunk (and one
that an ASGI server handed over whole before the view ran) is read in one call and parsed in
place instead: each file part up to the spool size becomes a :class:`PartFile`, a read-only
file over its slice of the body, so its bytes are copied only when the view reads them
(bigger ones still go to a temporary file). Why: streaming copies every byte twice (out of
the stream, into the file buffer) in 64 KiB steps, while the spool-sized upload it builds
costs as much memory as the body read whole. The same parser walks both, so every limit and
error is the same on both paths; a body that ends before its declared length is a 400 on
both.

The grammar accepted is python-multipart's (``tests/test_multipart_diff.py`` checks the two
against each other on generated bodies); the parser is Stein's own because the upload path
is dominated by copying and searching, which a pull parser over whole chunks does once per
chunk instead of once per callback. The temporary files are closed (and so removed) by
``request.close()`` at the end of the request.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .bodies import direct_length, read_body
from .datastructures import FileStorage, Headers, ImmutableMultiDict, multidict_from_pairs
from .exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from .http import parse_options_header

if TYPE_CHECKING:
    from .wrappers import Request

#: File parts larger than this (bytes) are moved from memory to a temporary file.
SPOOL_MAX_SIZE = 1024 * 1024
#: How much of the body is read and parsed at a time.
CHUNK_SIZE = 64 * 1024
#: Header lines allowed in one part (python-multipart's default).
MAX_PART_HEADERS = 8
#: Bytes allowed in one part header line, without its CRLF (python-multipart's default).
MAX_PART_HEADER_SIZE = 4096 + 128

# RFC 2046: 1 to 70 characters from a restricted set, not ending in a space.
_boundary_re = re.compile(r"^[ -~]{0,69}[!-~]$")
# RFC 7230 token characters: a part header name may hold nothing else.
_TOKEN = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# One complete, valid part header line: what _headers accepts without a closer look (a line
# it does not match goes through the checks that say what is wrong with it).
_header_line = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([^\r\n\0]*)\r\n").match
# The usual Content-Disposition, parsed as parse_options_header would (no escapes, no
# RFC 2231 names, no other parameters); anything else goes to parse_options_header.
_plain_disposition = re.compile(r'form-data; name="([^"\\]*)"(?:; filename="([^"\\]*)")?'
                                ).fullmatch
_TRUNCATED = "The multipart body ended before its closing boundary (truncated upload?)."
# Transport padding after a delimiter (RFC 2046 5.1.1 LWSP).
_padding_end = re.compile(rb"[ \t]*").match
# Below this many bytes bytes.find is cheaper than a call through ctypes.
_MEMMEM_MIN = 4096


def _load_memmem() -> tuple[Any, Callable[[bytes], int]] | None:
    """libc's ``memmem`` and a function giving a bytes object's buffer address, or None
    where there is no memmem (Windows) or no ctypes.

    Why: CPython's ``bytes.find`` steps through binary data a few bytes at a time (its skip
    table hashes bytes into 64 buckets), while glibc's ``memmem`` skips about a needle's
    length per step; on a 1 MB upload the search is most of the parse time. It is only
    called with ``start + size <= len(haystack)`` on a live ``bytes`` object, so it reads
    nothing outside that object's buffer.
    """
    try:
        import ctypes

        fn = ctypes.CDLL(None).memmem
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    fn.restype = ctypes.c_void_p
    fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
    cast, void_p = ctypes.cast, ctypes.c_void_p

    def address(data: bytes) -> int:
        return cast(data, void_p).value or 0  # type: ignore[arg-type]

    return fn, address


_MEMMEM = _load_memmem()


def _decode_header(raw: bytes) -> str:
    # Browsers send UTF-8 file names raw in the quoted filename parameter.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _malformed(why: str) -> BadRequest:
    return BadRequest(f"The multipart body is malformed: {why}.")


class PartFile(io.BufferedIOBase):
    """An uploaded file that is a slice ``[start:end]`` of a request body read whole.

    A read-only, seekable binary file (``read``, ``readinto``, ``readline``, ``seek``,
    ``tell``, iteration; ``FileStorage.save`` copies from it); ``read()`` returns bytes.
    Nothing is copied until the bytes are read, and ``close()`` lets go of the body.
    """

    __slots__ = ("_body", "_start", "_end", "_pos")

    def __init__(self, body: bytes, start: int, end: int) -> None:
        self._body: bytes | None = body
        self._start = start
        self._end = end
        self._pos = start

    def _open(self) -> bytes:
        body = self._body
        if body is None:
            raise ValueError("I/O operation on closed file.")
        return body

    def readable(self) -> bool:
        self._open()
        return True

    def seekable(self) -> bool:
        self._open()
        return True

    def read(self, size: int | None = -1) -> bytes:
        body = self._open()
        pos, end = self._pos, self._end
        if size is not None and 0 <= size < end - pos:
            end = pos + size
        if pos >= end:
            return b""
        self._pos = end
        return body[pos:end]

    def read1(self, size: int | None = -1) -> bytes:
        return self.read(size)

    def readinto(self, b: Any) -> int:
        body = self._open()
        with memoryview(b) as out, out.cast("B") as dst:
            pos = self._pos
            n = max(0, min(len(dst), self._end - pos))
            dst[:n] = memoryview(body)[pos:pos + n]
        self._pos = pos + n
        return n

    def readinto1(self, b: Any) -> int:
        return self.readinto(b)

    def readline(self, size: int | None = -1) -> bytes:
        body = self._open()
        pos, end = self._pos, self._end
        if size is not None and 0 <= size < end - pos:
            end = pos + size
        if pos >= end:
            return b""
        nl = body.find(b"\n", pos, end)
        if nl >= 0:
            end = nl + 1
        self._pos = end
        return body[pos:end]

    def seek(self, offset: int, whence: int = 0) -> int:
        self._open()
        if whence == 0:
            if offset < 0:
                raise ValueError(f"negative seek value {offset}")
            pos = self._start + offset
        elif whence == 1:
            pos = max(self._start, self._pos + offset)
        elif whence == 2:
            pos = max(self._start, self._end + offset)
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        self._pos = pos
        return pos - self._start

    def tell(self) -> int:
        self._open()
        return self._pos - self._start

    def close(self) -> None:
        self._body = None
        super().close()


def _discard(piece: memoryview) -> None:
    """The sink for a file part's data when the body is parsed in place."""


def _body_ended(size: int) -> bytes:
    return b""


def _body_cut_short(size: int) -> bytes:
    # What LimitedStream says when the input ends before its declared length.
    raise ClientDisconnected("The client went away before sending the whole body.")


class _Parser:
    """A pull parser: reads chunks from ``read`` and walks them with ``bytes.find``."""

    def __init__(self, read: Callable[[int], bytes], boundary: bytes,
                 max_memory: int | None, max_parts: int | None, spool_max_size: int,
                 memmem: tuple[Any, Callable[[bytes], int]] | None = _MEMMEM,
                 length: int | None = None) -> None:
        self.read = read
        self.unread = length  # bytes of the body not read yet, when the length is known
        self.delim = b"\r\n--" + boundary
        self.max_memory = max_memory
        self.max_parts = max_parts
        self.spool_max_size = spool_max_size
        self.memmem: Any = None
        self.address: Any = None
        if memmem is not None:
            self.memmem, self.address = memmem
        self.memory_used = 0
        self.parts = 0
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.buf = b""
        self.view = memoryview(b"")
        self.pos = 0
        self.whole = False  # True: ``buf`` is the whole body, parsed in place
        self.base = 0  # buf's address, once known (0: not yet)
        self._file: Any = None  # the open SpooledTemporaryFile of the current file part
        self._real_delim_re: re.Pattern[bytes] | None = None

    def load(self, body: bytes, complete: bool) -> None:
        """Parse ``body`` in place: the whole request body (``complete``), or all of it that
        arrived before the input ended short of its declared length."""
        self.read = _body_ended if complete else _body_cut_short
        self.unread = None
        self.buf = body
        self.view = memoryview(body)
        self.pos = 0
        self.whole = True
        self.base = 0

    # -- buffer ------------------------------------------------------------------------

    def _more(self) -> bool:
        """Append the next chunk to the unparsed rest of the buffer; False at the end."""
        chunk = self.read(CHUNK_SIZE)
        if not chunk:
            return False
        if self.unread is not None:
            self.unread -= len(chunk)
        rest = len(self.buf) - self.pos
        self.buf = self.buf[self.pos:] + chunk if rest else chunk
        self.base = 0
        self.pos = 0
        self.view = memoryview(self.buf)
        return True

    def _need(self, n: int) -> None:
        """Make sure ``n`` unparsed bytes are buffered, or raise the truncation 400."""
        while len(self.buf) - self.pos < n:
            if not self._more():
                raise BadRequest(_TRUNCATED)

    def _find_delim(self, start: int) -> int:
        buf = self.buf
        size = len(buf) - start
        if self.memmem is not None and size >= _MEMMEM_MIN:
            if start:
                base = self.base or self._address()
                hit = self.memmem(base + start, size, self.delim, len(self.delim))
            else:  # ctypes passes a bytes object as a pointer to its buffer
                hit = self.memmem(buf, size, self.delim, len(self.delim))
                if hit is not None:
                    base = self.base or self._address()
            return -1 if hit is None else hit - base  # type: ignore[no-any-return]
        return buf.find(self.delim, start)

    def _address(self) -> int:
        self.base = base = self.address(self.buf)
        return base  # type: ignore[no-any-return]

    # -- grammar -----------------------------------------------------------------------

    def parse(self) -> None:
        """Parse the whole body into ``self.fields`` and ``self.files``."""
        self._need(1)
        if self.buf[self.pos] in b"\r\n":
            # Leading blank lines (python-multipart skips up to the first '-').
            while True:
                k = self.buf.find(b"-", self.pos)
                if k >= 0:
                    self.pos = k
                    break
                self.pos = len(self.buf)
                if not self._more():
                    raise BadRequest(_TRUNCATED)
        opening = self.delim[2:]
        self._need(len(opening) + 2)
        buf, pos = self.buf, self.pos
        if not buf.startswith(opening, pos):
            raise _malformed("it does not start with the boundary")
        pos += len(opening)
        tail = buf[pos:pos + 2]
        self.pos = pos + 2
        if tail == b"--":
            return  # an empty form
        if tail != b"\r\n":
            raise _malformed("no CRLF after the opening boundary")
        while True:
            self.parts += 1
            if self.max_parts is not None and self.parts > self.max_parts:
                raise RequestEntityTooLarge(
                    f"The multipart body has more than {self.max_parts} parts (MAX_FORM_PARTS)."
                )
            headers = self._headers()
            if self._part(headers):
                return

    def _headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        # The usual case first: whole, valid lines already in the buffer.
        buf, pos = self.buf, self.pos
        while (m := _header_line(buf, pos)) is not None:
            end = m.end()
            if end - pos - 2 > MAX_PART_HEADER_SIZE or len(headers) >= MAX_PART_HEADERS:
                break  # the checks below give the error
            name, value = m.groups()
            headers.append((name.decode("ascii"), _decode_header(value.lstrip(b" ")).strip()))
            pos = end
        self.pos = pos
        if buf.startswith(b"\r\n", pos):
            self.pos = pos + 2
            return headers
        while True:
            self._need(2)
            buf, pos = self.buf, self.pos
            if buf.startswith(b"\r\n", pos):
                self.pos = pos + 2
                return headers
            if buf[pos] == 13:
                raise _malformed("a CR without LF ends a part's headers")
            if len(headers) >= MAX_PART_HEADERS:
                raise _malformed(f"a part has more than {MAX_PART_HEADERS} headers")
            # A header line runs to the next CR, which must be followed by LF.
            while True:
                cr = self.buf.find(b"\r", self.pos, self.pos + MAX_PART_HEADER_SIZE + 1)
                if cr >= 0 and cr + 1 < len(self.buf):
                    break
                if len(self.buf) - self.pos > MAX_PART_HEADER_SIZE + 1:
                    raise _malformed(
                        f"a part header line is longer than {MAX_PART_HEADER_SIZE} bytes")
                if not self._more():
                    raise BadRequest(_TRUNCATED)
            buf, pos = self.buf, self.pos
            if buf[cr + 1] != 10:
                raise _malformed("a part header line ends in CR without LF")
            line = buf[pos:cr]
            self.pos = cr + 2
            colon = line.find(b":")
            if colon <= 0 or line[:colon].translate(None, _TOKEN):
                raise _malformed("a part header line has no valid 'Name:'")
            value = line[colon + 1:].lstrip(b" ")
            if b"\0" in value or b"\n" in value:
                raise BadRequest("A multipart part header contains a NUL, CR or LF character.")
            headers.append((_decode_header(line[:colon]).strip(), _decode_header(value).strip()))

    def _part(self, headers: list[tuple[str, str]]) -> bool:
        """Read one part's data (headers already read); True if it was the last part."""
        disposition = content_type = None
        has_length = False
        for k, v in headers:
            lk = k.lower()
            if lk == "content-disposition":
                disposition = v
            elif lk == "content-type":
                content_type = v
            elif lk == "content-length":
                has_length = True
        m = _plain_disposition(disposition) if disposition else None
        if m is not None:
            name, filename = m.groups()
        else:
            kind, options = parse_options_header(disposition)
            if kind.lower() != "form-data" or "name" not in options:
                raise BadRequest(
                    "A multipart part has no 'Content-Disposition: form-data; name=...' header."
                )
            name = options["name"]
            filename = options.get("filename")
        f: Any
        if filename is not None and self.whole:
            start = self.pos
            last, size = self._data(_discard, False)
            if size <= self.spool_max_size:
                f = PartFile(self.buf, start, start + size)
            else:  # as the streamed path: over the spool size, to disk
                f = tempfile.SpooledTemporaryFile(max_size=self.spool_max_size, mode="w+b")
                self._file = f
                f.rollover()
                f.write(self.view[start:start + size])
                f.seek(0)
                self._file = None
            self.files.append((name, self._storage(f, filename, name, headers, size,
                                                   has_length)))
        elif filename is not None:
            f = tempfile.SpooledTemporaryFile(max_size=self.spool_max_size, mode="w+b")
            self._file = f
            last, size = self._data(self._write_file, False)
            if not f._rolled and size:
                # SpooledTemporaryFile keeps unrolled data in a BytesIO named _file.
                # getvalue() trims that buffer in place and returns it, and a BytesIO made
                # from it shares it: a later read() of the whole file hands back the same
                # bytes instead of a second copy of the upload.
                bio = f._file
                bio.truncate(size)  # drop what _reserve set aside and was not used
                f._file = io.BytesIO(bio.getvalue())
            else:
                f.seek(0)
            self._file = None
            self.files.append((name, self._storage(f, filename, name, headers, size,
                                                   has_length)))
        else:
            if self.whole:
                start = self.pos
                last, size = self._data(_discard, True)
                raw = self.buf[start:start + size]
            else:
                sink = io.BytesIO()
                last, _ = self._data(sink.write, True)
                raw = sink.getvalue()
            charset = "utf-8"
            if content_type:
                charset = parse_options_header(content_type)[1].get("charset", "utf-8")
            try:
                value = raw.decode(charset, "replace")
            except LookupError:
                value = raw.decode("utf-8", "replace")
            self.fields.append((name, value))
        return last

    @staticmethod
    def _storage(f: Any, filename: str, name: str, headers: list[tuple[str, str]],
                 size: int, has_length: bool) -> FileStorage:
        # Part headers were split on CRLF above: no need to re-validate them.
        if not has_length:
            headers.append(("Content-Length", str(size)))
        h = Headers.__new__(Headers)
        h._list = headers
        return FileStorage(f, filename, name, headers=h)

    def _data(self, write: Callable[[memoryview], Any], is_field: bool) -> tuple[bool, int]:
        """Pass a part's data up to the next delimiter to ``write`` as views of the chunks,
        each chunk as soon as it is parsed (holding none keeps memory flat: allocations
        that outlive a chunk cost page faults on every request). Returns (was it the
        closing delimiter, size in bytes). Field bytes count against MAX_FORM_MEMORY_SIZE.
        """
        delim = self.delim
        m = len(delim)
        size = 0
        limit = self.max_memory if is_field else None
        reserve = True
        while True:
            buf, pos, view = self.buf, self.pos, self.view
            j = self._find_delim(pos)
            if j >= 0 and len(buf) - j >= m + 2:
                after = j + m
                nxt = buf[after:after + 2]
                if not (nxt == b"\r\n" or nxt == b"--" or buf[after] in b" \t"):
                    # "\r\n--boundary" followed by anything else is data (as
                    # python-multipart). Where there is one there may be many (a hostile
                    # body can be nothing else): the rest of the buffer is searched for a
                    # real delimiter in one regex call, not one trip here per look-alike.
                    r = self._real_delim().search(buf, j + 1)
                    j = -2 if r is None else r.start()
            if j >= 0 and len(buf) - j < m + 2:
                end = j  # a delimiter, but what follows it is not buffered yet
            elif j >= 0:
                after = j + m
                nxt = buf[after:after + 2]
                if j > pos:
                    size += j - pos
                    if limit is not None:
                        self._count(j - pos, limit)
                    write(view[pos:j])
                if nxt == b"\r\n":
                    self.pos = after + 2
                    return False, size
                if nxt == b"--":
                    self.pos = after + 2
                    return True, size
                self.pos = after
                self._padding()
                return False, size
            elif j == -2:
                # Only look-alikes: a delimiter starting this far from the end would have
                # been seen whole, with the two bytes after it.
                end = max(pos, len(buf) - m - 1)
            else:
                # No delimiter: all of it is data except a tail that may begin one. Only
                # the last CR can start it, since the boundary holds no CR.
                end = len(buf)
                k = buf.rfind(b"\r", max(pos, end - m + 1))
                if k >= 0 and delim.startswith(buf[k:]):
                    end = k
            if end > pos:
                size += end - pos
                if limit is not None:
                    self._count(end - pos, limit)
                write(view[pos:end])
            self.pos = end
            if reserve and not is_field:
                reserve = self._reserve(size)
            if not self._more():
                raise BadRequest(_TRUNCATED)

    def _write_file(self, piece: memoryview) -> None:
        f = self._file
        if not f._rolled:
            bio = f._file
            if bio.tell() + len(piece) > self.spool_max_size:
                # Past the spool: to disk, without the room _reserve set aside.
                bio.truncate(bio.tell())
                f.rollover()
            else:
                bio.write(piece)
                return
        f.write(piece)

    def _reserve(self, size: int) -> bool:
        """Give an in-memory upload its final buffer size at once; True to ask again later.

        Why: a BytesIO grows by reallocating 1/8 more each time; for a 1 MB upload the
        last steps overshoot, and glibc serves such blocks with fresh mmap pages whose
        page faults cost more than the parse. When the rest of the body is known (the
        request has a Content-Length) and fits in the spool (+ 4 KiB), a part that has
        already filled half a chunk gets a buffer sized for all of it. Memory stays within
        the spool size; the zero-filling is at most once per chunk edge of the body's last
        spool-sized stretch.
        """
        f = self._file
        if self.unread is None or f._rolled:
            return False
        # The part's data can be at most the rest of the body less a closing delimiter.
        most = size + self.unread + len(self.buf) - self.pos - len(self.delim) - 2
        if most > self.spool_max_size + 4096 or most <= size:
            return False
        if size < CHUNK_SIZE // 2:
            return True  # it may still be small: ask again after the next chunk
        bio = f._file
        bio.seek(most - 1)
        bio.write(b"\0")
        bio.seek(size)
        return False

    def _count(self, n: int, limit: int) -> None:
        self.memory_used += n
        if self.memory_used > limit:
            raise RequestEntityTooLarge(
                f"The form fields are over the limit of {limit} bytes (MAX_FORM_MEMORY_SIZE)."
            )

    def _real_delim(self) -> re.Pattern[bytes]:
        """The delimiter with what may follow it (CRLF, ``--``, padding), made on first use."""
        pattern = self._real_delim_re
        if pattern is None:
            pattern = self._real_delim_re = re.compile(re.escape(self.delim) + rb"(\r\n|--|[ \t])")
        return pattern

    def _padding(self) -> None:
        """Transport padding (spaces, tabs) after a delimiter, then CRLF. Skipped a buffer
        at a time (one regex call), so a body of padding parses at the speed of the rest."""
        while True:
            self._need(1)
            m = _padding_end(self.buf, self.pos)
            end = self.pos if m is None else m.end()  # ("[ \t]*" always matches)
            if end == len(self.buf):
                self.pos = end  # all padding so far: drop it and read on
                continue
            self.pos = end
            if self.buf[end] != 13:
                raise _malformed("no CRLF after the boundary's padding")
            self._need(2)
            if self.buf[self.pos + 1] != 10:
                raise _malformed("no CRLF after the boundary's padding")
            self.pos += 2
            return

    def close(self) -> None:
        """Close every temporary file made so far (after an error)."""
        if self._file is not None:
            self._file.close()
        for _, storage in self.files:
            storage.close()


def _whole_body(request: Request, spool_max_size: int) -> tuple[bytes, bool] | None:
    """The body and whether it all arrived, when it is to be parsed in place; None to
    stream it.

    Under WSGI: a declared length of at most the spool size plus one chunk, within
    ``MAX_CONTENT_LENGTH``, with the input not touched yet. Why that size: the streamed path
    holds an in-memory upload of the spool size plus a chunk anyway, so reading such a body
    in one call costs no more memory and saves copying every byte twice. Under ASGI: the
    body the server handed over before the view ran (already in memory whole).
    """
    env = request.environ
    if "stein.asgi.receive" in env:
        if "stein.asgi.body" not in env:
            return None  # not pre-read (a stream_body view, or a 413 from the header)
        return request.stream.read(), True  # 413/400 as the stream would give them
    n = direct_length(request)
    if n is None or n > spool_max_size + CHUNK_SIZE:
        return None
    max_length = request.max_content_length
    if max_length is not None and n > max_length:
        return None  # request.stream answers 413 before reading
    data = read_body(env["wsgi.input"], n)
    # The input is used up, as after the streamed parse: request.stream gives nothing more.
    request.__dict__["stream"] = io.BytesIO()
    return data, len(data) >= n


def parse_multipart(request: Request, spool_max_size: int | None = None,
                    boundary: str | None = None
                    ) -> tuple[ImmutableMultiDict, ImmutableMultiDict]:
    """Parse the request's ``multipart/form-data`` body into ``(form, files)``.

    ``form`` maps field names to strings, ``files`` maps them to
    :class:`~stein.datastructures.FileStorage` objects, both as immutable multi-dicts.
    Limits come from the app config (see the module docs). ``boundary``: one already taken
    from the ``Content-Type`` and checked (default: read from ``request.mimetype_params``).
    """
    if boundary is None:
        boundary = request.mimetype_params.get("boundary", "")
        if not _boundary_re.match(boundary):
            raise BadRequest("The multipart boundary in the Content-Type is missing or invalid.")
    spool = SPOOL_MAX_SIZE if spool_max_size is None else spool_max_size
    max_memory, max_parts = request.max_form_memory_size, request.max_form_parts
    whole = _whole_body(request, spool)
    if whole is None:
        parser = _Parser(request.stream.read, boundary.encode("latin-1"), max_memory, max_parts,
                         spool, length=request.content_length)
    else:
        parser = _Parser(_body_ended, boundary.encode("latin-1"), max_memory, max_parts, spool)
        parser.load(*whole)
    try:
        parser.parse()
    except BaseException:
        parser.close()
        raise
    return (multidict_from_pairs(ImmutableMultiDict, parser.fields),
            multidict_from_pairs(ImmutableMultiDict, parser.files))
