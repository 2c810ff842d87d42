"""Multipart parser speed on hostile bodies, in MiB/s: ``python -m bench.multipart_hostile``.

A parser that is fast on ordinary uploads can still spend a Python step per byte on input
nobody sends but an attacker: transport padding after a boundary (RFC 2046 allows spaces
and tabs there, without a bound), data made of CR/LF, and data full of delimiter look-alikes
(``\\r\\n--boundary`` followed by anything but CRLF, ``--`` or padding, which is data). Each
body here is parsed through ``request.form``/``request.files``, both on the path that reads
a declared-length body whole and on the streamed one (chunked, no length), beside an
ordinary upload of the same size as the yardstick. Issue 15: the padding path ran at about
10 MiB/s before, look-alikes at 1-2 MiB/s.

Options: ``--quick`` (1 MiB bodies, 3 runs: a smoke check), ``--size MIB``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from typing import Any

BOUNDARY = b"B"  # the attacker picks it: one byte makes look-alikes as dense as they get


def ordinary(n: int) -> bytes:
    """One file part of ``n`` bytes of binary-looking data (the yardstick)."""
    data = bytes(range(256)) * (n // 256)
    return (b'--B\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n'
            + data + b"\r\n--B--\r\n")


def padding(n: int) -> bytes:
    """Two fields with ``n`` bytes of spaces and tabs after the boundary between them."""
    return (b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B'
            + b" \t" * (n // 2)
            + b'\r\nContent-Disposition: form-data; name="b"\r\n\r\n2\r\n--B--\r\n')


def crlf(n: int) -> bytes:
    """A file part whose data is ``n`` bytes of CRLF."""
    return (b'--B\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n'
            + b"\r\n" * (n // 2) + b"\r\n--B--\r\n")


def lookalikes(n: int) -> bytes:
    """A file part whose data is delimiter look-alikes, one every six bytes."""
    return (b'--B\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n'
            + b"\r\n--Bx" * (n // 6) + b"\r\n--B--\r\n")


SCENARIOS: dict[str, Callable[[int], bytes]] = {
    "ordinary upload": ordinary, "padding after a boundary": padding,
    "CR/LF data": crlf, "delimiter look-alikes": lookalikes,
}


def _parse_seconds(app: Any, body: bytes, streamed: bool) -> float:
    from stein import request

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/", "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": "multipart/form-data; boundary=" + BOUNDARY.decode(),
    }
    if streamed:
        environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    else:
        environ["CONTENT_LENGTH"] = str(len(body))
    with app.request_context(environ):
        t0 = time.perf_counter()
        request.form  # noqa: B018
        files = request.files
        elapsed = time.perf_counter() - t0
        for f in files.values():
            f.close()
    return elapsed


def run(size_mib: float = 8, repeats: int = 5) -> list[tuple[str, float, float]]:
    """``(scenario, MiB/s whole, MiB/s streamed)`` per scenario, medians of ``repeats``."""
    from stein import Stein

    app = Stein("bench_multipart_hostile")
    app.config.update(MAX_CONTENT_LENGTH=None, MAX_FORM_MEMORY_SIZE=None)
    _parse_seconds(app, padding(1000), False)  # imports and first-use costs out of the way
    _parse_seconds(app, padding(1000), True)
    n = int(size_mib * 1024 * 1024)
    rows = []
    for name, make in SCENARIOS.items():
        body = make(n)
        mib = len(body) / 2**20
        rates = []
        for streamed in (False, True):
            runs = [_parse_seconds(app, body, streamed) for _ in range(repeats)]
            rates.append(mib / statistics.median(runs))
        rows.append((name, rates[0], rates[1]))
    return rows


def render(rows: list[tuple[str, float, float]], size_mib: float) -> str:
    lines = [f"### Multipart parser on hostile bodies ({size_mib:g} MiB each)", "",
             "Unit: MiB/s (median); higher is faster.", "",
             "| body | read whole | streamed |", "|---|---|---|"]
    lines += [f"| {name} | {whole:.0f} | {streamed:.0f} |" for name, whole, streamed in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.multipart_hostile")
    parser.add_argument("--quick", action="store_true", help="1 MiB bodies, 3 runs")
    parser.add_argument("--size", type=float, default=8.0, help="body size in MiB")
    args = parser.parse_args(argv)
    size = 1.0 if args.quick else args.size
    print(render(run(size, 3 if args.quick else 5), size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
