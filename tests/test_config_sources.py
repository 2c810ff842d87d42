"""Config provenance: every write records where the value came from (``source_of``)."""

from __future__ import annotations

import copy
import json
import pickle
import sys
from pathlib import Path

import pytest

from stein import Stein
from stein.config import Config, ConfigSource

HERE = __file__


def _line(marker: str) -> int:
    """The line of this file that ends with ``# <marker>``."""
    for n, text in enumerate(Path(HERE).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return n
    raise AssertionError(marker)


class Settings:
    FROM_CLASS = 1
    lower = 2


def test_defaults_and_item_assignment() -> None:
    app = Stein(__name__)
    assert app.config.source_of("TESTING") == ConfigSource("default")
    app.config["GREETING"] = "hi"  # set-item
    assert app.config.source_of("GREETING") == ConfigSource("set", None, HERE, _line("set-item"))
    app.secret_key = "k"  # attr
    assert app.config.source_of("SECRET_KEY") == ConfigSource("set", None, HERE, _line("attr"))
    app.debug = True  # debug-prop
    assert app.config.source_of("DEBUG").line == _line("debug-prop")
    assert app.config.source_of("MISSING") is None


def test_loaders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(tmp_path)
    config.from_object(Settings)  # obj
    assert config.source_of("FROM_CLASS") == ConfigSource(
        "from_object", f"{__name__}.Settings", HERE, _line("obj"))
    (tmp_path / "settings.py").write_text("FROM_FILE = 1\n")
    config.from_pyfile("settings.py")  # pyfile
    assert config.source_of("FROM_FILE") == ConfigSource(
        "from_pyfile", str(tmp_path / "settings.py"), HERE, _line("pyfile"))
    monkeypatch.setenv("MY_SETTINGS", str(tmp_path / "settings.py"))
    config.from_envvar("MY_SETTINGS")  # envvar
    assert config.source_of("FROM_FILE") == ConfigSource(
        "from_envvar", f"MY_SETTINGS={tmp_path / 'settings.py'}", HERE, _line("envvar"))
    (tmp_path / "c.json").write_text(json.dumps({"FROM_JSON": 1}))
    config.from_file("c.json", load=json.load)  # json
    assert config.source_of("FROM_JSON") == ConfigSource(
        "from_file", str(tmp_path / "c.json"), HERE, _line("json"))
    config.from_mapping({"FROM_MAP": 1}, OTHER=2)  # mapping
    assert config.source_of("FROM_MAP") == config.source_of("OTHER") == ConfigSource(
        "from_mapping", None, HERE, _line("mapping"))
    config.update({"U": 1}, V=2)  # update
    assert config.source_of("V") == ConfigSource("update", None, HERE, _line("update"))
    config |= {"W": 1}  # ior
    assert config.source_of("W").line == _line("ior")
    config.setdefault("S", 1)  # setdefault
    config.setdefault("S", 2)
    assert config.source_of("S") == ConfigSource("setdefault", None, HERE, _line("setdefault"))
    assert config["S"] == 1


def test_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEIN_PORT", "8000")
    monkeypatch.setenv("STEIN_DB__HOST", "db.local")
    config = Config(".")
    config.from_prefixed_env()  # env
    assert config.source_of("PORT") == ConfigSource("from_prefixed_env", "STEIN_PORT", HERE,
                                                    _line("env"))
    assert config.source_of("DB").detail == "STEIN_DB__HOST"
    assert config["DB"] == {"HOST": "db.local"} and config["PORT"] == 8000


def test_extension_defaults_name_the_extension() -> None:
    from stein.ext.csrf import CSRFProtect

    app = Stein(__name__)
    CSRFProtect(app)
    src = app.config.source_of("CSRF_ENABLED")
    assert src.how == "setdefault"
    assert src.file == sys.modules["stein.ext.csrf"].__file__


def test_copies_and_pickles_keep_sources() -> None:
    config = Config(".", {"A": 1})
    config["B"] = 2
    for other in (copy.copy(config), copy.deepcopy(config), pickle.loads(pickle.dumps(config))):
        assert other == config and type(other) is Config and other.root_path == "."
        assert other.source_of("A") == ConfigSource("default")
        assert other.source_of("B") == config.source_of("B")


def test_reads_are_plain_dict_reads() -> None:
    # No __getitem__/get override: reads cost what a dict's do.
    for name in ("__getitem__", "get", "__contains__"):
        assert name not in vars(Config)
