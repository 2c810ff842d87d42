"""The built distribution: ``python -m build`` makes an sdist and, from it, a wheel that
holds everything an installed Stein needs (Swagger UI's assets, the start-up hook, the C
speedups when a compiler is there). The wheel is installed into a fresh venv and serves
``/docs`` from there, away from this checkout.

One build and one venv for the whole test session (about a minute, most of it pip).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "src" / "stein" / "ext" / "openapi_static"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "SWAGGER-UI-LICENSE", "init.js")

pytestmark = pytest.mark.skipif(
    not (STATIC / "swagger-ui-bundle.js").is_file(),
    reason="Swagger UI is not built in this checkout: run `make openapi-assets` first "
           "(`make test` does)",
)


def _run(*args: Any, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 600) -> str:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A venv with ``build``, the sdist and wheel it built from this checkout, and the
    wheel installed into it (with the ``openapi`` extra)."""
    tmp = tmp_path_factory.mktemp("dist")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp)
    py = venv / "bin" / "python"
    _run(py, "-m", "pip", "install", "-q", "build", cwd=tmp)
    out = tmp / "dist"
    _run(py, "-m", "build", "--outdir", out, ROOT, cwd=tmp)
    wheels = list(out.glob("stein-*.whl"))
    sdists = list(out.glob("stein-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    _run(py, "-m", "pip", "install", "-q", f"{wheels[0]}[openapi]", cwd=tmp)
    return {"tmp": tmp, "python": py, "wheel": wheels[0], "sdist": sdists[0]}


def test_wheel_holds_assets_hook_license_and_speedups(built: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    for asset in ASSETS:
        assert f"stein/ext/openapi_static/{asset}" in names
    # At the root: site-packages runs it at every start-up of the environment.
    assert "stein-compat.pth" in names
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)
    assert "stein/py.typed" in names and "stein/_speedups.pyi" in names
    compiled = [n for n in names if n.startswith("stein/_speedups.") and n.endswith((".so", ".pyd"))]
    if sysconfig.get_config_var("CC"):
        assert compiled, "a compiler is there, yet the wheel has no compiled speedups"
    # No checkout debris (tests, caches, build output of an editable install).
    assert not [n for n in names if n.startswith(("tests/", "build/")) or "__pycache__" in n]


def test_wheel_metadata(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as zf:
        meta = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        entry_points = next(zf.read(n).decode() for n in zf.namelist()
                            if n.endswith(".dist-info/entry_points.txt"))
    assert "License-Expression: BSD-3-Clause" in meta
    assert "Provides-Extra: openapi" in meta and "Provides-Extra: demo" in meta
    assert "stein = stein.cli:main" in entry_points


def test_sdist_can_rebuild_the_wheel(built: dict[str, Path]) -> None:
    import tarfile

    names = tarfile.open(built["sdist"]).getnames()
    top = names[0].split("/")[0]
    for needed in ("LICENSE", "pyproject.toml", "setup.py", "src/stein/_speedups.c",
                   "src/stein/compat/stein-compat.pth",
                   "src/stein/ext/openapi_static/swagger-ui-bundle.js"):
        assert f"{top}/{needed}" in names


_SERVE = textwrap.dedent("""
    import json, stein
    from stein import Stein
    from stein.ext.openapi import OpenAPI

    app = Stein("installed")
    OpenAPI(app, title="Installed")
    client = app.test_client()
    out = {"file": stein.__file__}
    for path in ("/docs", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/openapi.json"):
        r = client.get(path)
        out[path] = [r.status_code, r.content_type, len(r.data), r.data[:4000].decode("utf-8", "replace")]
    print(json.dumps(out))
""")


def test_installed_wheel_serves_swagger_ui(built: dict[str, Path]) -> None:
    # cwd and a clean environment: the checkout's src/ must not be what is imported.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "STEIN_"))}
    out = json.loads(_run(built["python"], "-c", _SERVE, cwd=built["tmp"], env=env))
    assert "site-packages" in out["file"] and str(ROOT) not in out["file"]
    status, ctype, _, body = out["/docs"]
    assert status == 200 and ctype.startswith("text/html") and "swagger-ui-bundle.js" in body
    status, ctype, size, _ = out["/docs/swagger-ui-bundle.js"]
    assert status == 200 and "javascript" in ctype
    assert size == (STATIC / "swagger-ui-bundle.js").stat().st_size
    assert out["/docs/swagger-ui.css"][0] == 200
    assert out["/openapi.json"][0] == 200


def test_installed_wheel_has_the_cli_and_the_compat_hook(built: dict[str, Path]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "STEIN_"))}
    stein = built["python"].parent / "stein"
    assert "run" in _run(stein, "--help", cwd=built["tmp"], env=env)
    probe = "import flask, stein; print(flask.Flask is stein.Stein)"
    # The .pth hook answers `import flask` with Stein only when STEIN_COMPAT is set.
    assert _run(built["python"], "-c", probe, cwd=built["tmp"],
                env={**env, "STEIN_COMPAT": "1"}).strip() == "True"
    proc = subprocess.run([str(built["python"]), "-c", "import flask"], cwd=built["tmp"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr


def _quickstart_install_commands() -> list[str]:
    """The shell lines of the quickstart's Install section, as a reader types them."""
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    section = text.split("## Install", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.M | re.S)
    return [ln for block in blocks for ln in block.splitlines() if ln.strip()]


def test_quickstart_install_commands_work(built: dict[str, Path]) -> None:
    # What the quickstart tells a reader to type, with its placeholder for the checkout
    # pointed at this one; `make -C ... dist` is what the `built` fixture does (python -m
    # build, as the dist target), so it is not run a second time.
    lines = _quickstart_install_commands()
    assert "pip install stein" not in lines, "stein is not on the package index"
    assert lines[0] == "make -C path/to/stein dist"
    assert any(ln.startswith("pip install path/to/stein/dist/stein-") for ln in lines)
    work = built["tmp"] / "reader"
    work.mkdir()
    (work / "path" / "to" / "stein").mkdir(parents=True)
    (work / "path" / "to" / "stein" / "dist").symlink_to(built["wheel"].parent)
    script = "set -e\n" + "\n".join(
        ln.replace("mkdir hello && cd hello", "mkdir hello && cd hello && ln -s ../path path")
        for ln in lines[1:])
    script += textwrap.dedent("""
        cat > hello.py <<'PY'
        from stein import Stein
        app = Stein(__name__)
        @app.route("/")
        def index():
            return "Hello, World!"
        PY
        python -c 'import hello, stein; print(stein.__file__); print(hello.app.test_client().get("/").text)'
    """)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "STEIN_", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if ".venv" not in p)
    out = _run("bash", "-c", script, cwd=work, env=env).splitlines()
    assert out[-1] == "Hello, World!"
    assert "site-packages" in out[-2] and str(ROOT) not in out[-2]
