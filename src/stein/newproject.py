"""``stein new NAME``: a new project laid out for growth, copied from
``stein/project_template/``.

The layout is the one docs/large-apps.md explains: an app factory that only assembles, one
package per blueprint with its own templates and static files, config per environment
from ``STEIN_*`` variables, tests with a client fixture, and a ``Makefile`` whose
``make demo`` and ``make test`` work on a fresh machine, as Stein's own do.

The template tree is plain files: ``[[package]]``, ``[[name]]``, ``[[title]]`` and
``[[stein_requirement]]`` are replaced in every file, the folder ``PACKAGE`` takes the
package's name, a ``-tpl`` suffix is dropped (``views.py-tpl``: so that no tool takes the
template for Stein's own code) and ``gitignore`` becomes ``.gitignore``.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

import click

__all__ = ["TEMPLATE", "create_project", "package_name", "stein_requirement", "new_command"]

TEMPLATE = Path(__file__).parent / "project_template"
_RENAMES = {"gitignore": ".gitignore"}


def package_name(name: str) -> str:
    """The Python package for a project called ``name``: lowercase, ``-`` and spaces
    become ``_``. Raises ``ValueError`` when that is no importable name of its own.

    >>> package_name("My-Shop")
    'my_shop'
    """
    package = re.sub(r"[-\s.]+", "_", name.strip()).lower()
    if not package.isidentifier() or keyword.iskeyword(package):
        raise ValueError(f"{name!r} does not make a Python package name; use letters, "
                         "digits, '-' and '_', starting with a letter.")
    stdlib = getattr(sys, "stdlib_module_names", ())
    if package in stdlib or package in ("stein", "flask", "test", "tests"):
        raise ValueError(f"{package!r} would hide the module of that name; choose another.")
    return package


def stein_requirement() -> str:
    """What the new project's ``Makefile`` gives pip to install Stein: the folder this
    Stein was installed from when it came from one (a checkout), else ``stein==<version>``.

    >>> stein_requirement()  # doctest: +SKIP
    'stein==0.1.0'
    """
    try:
        dist = metadata.distribution("stein")
    except metadata.PackageNotFoundError:
        return "stein"
    direct = dist.read_text("direct_url.json")
    if direct:
        try:
            url = json.loads(direct).get("url", "")
        except ValueError:
            url = ""
        if url.startswith("file://"):
            return unquote(urlparse(url).path)
    return f"stein=={dist.version}"


def create_project(target: str | os.PathLike[str], name: str | None = None,
                   package: str | None = None) -> list[Path]:
    """Write a new project into the folder ``target`` (made; it must be missing or
    empty) and return the files written. ``name`` defaults to the folder's name,
    ``package`` to :func:`package_name` of it.

    >>> import tempfile
    >>> files = create_project(Path(tempfile.mkdtemp()) / "shop")
    >>> sorted(p.name for p in files if p.parent.name == "shop")[:3]
    ['.gitignore', 'Makefile', 'README.md']
    """
    root = Path(target)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not an empty folder.")
    name = name or root.resolve().name
    package = package or package_name(name)
    title = re.sub(r"[-_]+", " ", name).strip().title() or package
    values = {"[[package]]": package, "[[name]]": name, "[[title]]": title,
              "[[stein_requirement]]": stein_requirement()}
    written = []
    for src in sorted(TEMPLATE.rglob("*")):
        if src.is_dir() or "__pycache__" in src.parts:
            continue
        rel = src.relative_to(TEMPLATE)
        parts = [package if p == "PACKAGE" else p for p in rel.parts]
        leaf = _RENAMES.get(parts[-1], parts[-1])
        parts[-1] = leaf[:-len("-tpl")] if leaf.endswith("-tpl") else leaf
        dest = root.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8")
        for marker, value in values.items():
            text = text.replace(marker, value)
        dest.write_text(text, encoding="utf-8")
        written.append(dest)
    return written


@click.command("new", short_help="Create a new project laid out for growth.")
@click.argument("name")
@click.option("--package", default=None,
              help="The Python package's name (default: NAME, lowercase, '-' -> '_').")
def new_command(name: str, package: str | None) -> None:
    """Create the project NAME (a folder, made here or at the path NAME): an app factory,
    one package per blueprint with its templates and static files, config per
    environment from STEIN_* variables, tests with a client fixture, and a Makefile
    (make demo, make test).

    \b
      stein new shop && cd shop && make test
    """
    try:
        files = create_project(name, package=package)
    except (ValueError, FileExistsError) as e:
        raise click.UsageError(str(e)) from None
    root = Path(name)
    pkg = package or package_name(root.resolve().name)
    click.echo(f"Created {root} ({len(files)} files), package {pkg}:")
    click.echo(f"  cd {root}")
    click.echo("  make demo    # the app on http://127.0.0.1:5000")
    click.echo("  make test    # its tests")
