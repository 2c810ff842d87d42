"""``python -m bench``: in-process peer comparison, route scaling, the multipart parser on
hostile bodies, import time -> stdout and ``bench/results.md``.

Options: ``--quick`` (shorter runs, for a smoke check), ``--only a,b`` (scenario names).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys

from . import imports, multipart_hostile, scaling
from .registry import SECTION_MODULES
from .report import Section

HERE = os.path.dirname(os.path.abspath(__file__))


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()} ({platform.python_implementation()})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="short runs (smoke check)")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--no-write", action="store_true", help="do not write results.md")
    args = parser.parse_args(argv)
    target_s = 0.02 if args.quick else 0.08
    only = [s for s in args.only.split(",") if s] or None

    out = [
        "# Stein benchmark results", "",
        f"- Date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- Machine: {machine_line()}",
    ]
    sections: list[Section] = []
    versions: dict[str, str] = {}
    for modname in SECTION_MODULES:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name != modname:
                raise
            print(f"[{modname}] not present yet: section skipped")
            continue
        print(f"[{modname}]", flush=True)
        sections.append(mod.run(target_s=target_s, only=only))
        versions.update(mod.versions())
    out.append("- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    out.append("")

    print("[route scaling]", flush=True)
    sections.append(scaling.run())
    print("[multipart on hostile bodies]", flush=True)
    mp_size = 1.0 if args.quick else 8.0
    mp_rows = multipart_hostile.run(mp_size, 3 if args.quick else 5)
    ms = imports.import_time_ms()
    ms_cold = imports.import_time_ms(bytecode=False)
    heavy = imports.heavy_modules_loaded()
    for s in sections:
        out.append(s.render())
    # Issue 15, item 9: padding and CR/LF-heavy bodies parse at parser speed, not per byte.
    out += [multipart_hostile.render(mp_rows, mp_size), ""]
    out += [
        "### Import", "",
        f"- `python -X importtime -c 'import stein'`: {ms:.1f} ms cumulative with compiled bytecode "
        f"(best of 5; target < 60 ms); {ms_cold:.1f} ms compiling from source (no .pyc)",
        f"- Heavy modules loaded by `import stein`: {', '.join(heavy) if heavy else 'none'} "
        f"(checked: {', '.join(imports.LAZY)})",
        "",
    ]
    text = "\n".join(out)
    print()
    print(text)
    if not args.no_write:
        from .results_file import PATH, write_section

        write_section("", text)  # the http and tfb sections are kept
        print(f"written {PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
