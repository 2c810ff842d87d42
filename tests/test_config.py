"""Config loading: mappings, objects, files, environment."""

from __future__ import annotations

import json
import os

import pytest

from stein import Stein
from stein.config import Config


class DefaultSettings:
    SECRET_KEY = "from-object"
    DEBUG = False
    lowercase_ignored = "x"


def test_from_mapping_only_uppercase(app):
    assert app.config.from_mapping({"A": 1, "b": 2}, C=3)
    assert app.config["A"] == 1 and app.config["C"] == 3
    assert "b" not in app.config


def test_from_object_class_and_import_string(app, tmp_path, monkeypatch):
    app.config.from_object(DefaultSettings)
    assert app.config["SECRET_KEY"] == "from-object"
    assert "lowercase_ignored" not in app.config
    mod = tmp_path / "my_settings_mod.py"
    mod.write_text("FROM_MODULE = 'yes'\nlower = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    app.config.from_object("my_settings_mod")
    assert app.config["FROM_MODULE"] == "yes"
    with pytest.raises(ImportError):
        app.config.from_object("no_such_module_xyz")


def test_from_pyfile(tmp_path):
    (tmp_path / "settings.py").write_text("VALUE = 40 + 2\nlower = 'no'\n")
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py")
    assert config["VALUE"] == 42 and "lower" not in config
    assert config.from_pyfile("missing.py", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_pyfile("missing.py")


def test_from_file_json(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"PORT": 8000, "lower": 1}))
    config = Config(tmp_path)
    assert config.from_file("c.json", load=json.load)
    assert config["PORT"] == 8000 and "lower" not in config
    assert config.from_file("nope.json", load=json.load, silent=True) is False
    with pytest.raises(OSError):
        config.from_file("nope.json", load=json.load)


def test_from_file_toml(tmp_path):
    tomllib = pytest.importorskip("tomllib")
    (tmp_path / "c.toml").write_text('NAME = "stein"\n[DB]\nHOST = "h"\n')
    config = Config(tmp_path)
    assert config.from_file("c.toml", load=tomllib.load, text=False)
    assert config["NAME"] == "stein" and config["DB"] == {"HOST": "h"}


def test_from_prefixed_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("STEIN_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("STEIN_SECRET_KEY", "env-secret")
    monkeypatch.setenv("STEIN_PORT", "8080")
    monkeypatch.setenv("STEIN_FLAG", "true")
    monkeypatch.setenv("STEIN_LIST", "[1, 2]")
    monkeypatch.setenv("STEIN_DB__HOST", "db.local")
    monkeypatch.setenv("STEIN_DB__OPTS__TIMEOUT", "5")
    monkeypatch.setenv("OTHER_KEY", "ignored")
    config = Config(".")
    config["DB"] = {"NAME": "kept"}
    assert config.from_prefixed_env("STEIN")
    assert config["SECRET_KEY"] == "env-secret"
    assert config["PORT"] == 8080
    assert config["FLAG"] is True
    assert config["LIST"] == [1, 2]
    assert config["DB"] == {"NAME": "kept", "HOST": "db.local", "OPTS": {"TIMEOUT": 5}}
    assert "OTHER_KEY" not in config and "KEY" not in config


def test_from_prefixed_env_custom_prefix_and_loads(monkeypatch):
    monkeypatch.setenv("MYAPP_N", "7")
    config = Config(".")
    config.from_prefixed_env("MYAPP", loads=str)
    assert config["N"] == "7"


def test_from_envvar(tmp_path, monkeypatch):
    (tmp_path / "e.py").write_text("X = 'env file'\n")
    monkeypatch.setenv("STEIN_TEST_SETTINGS", str(tmp_path / "e.py"))
    config = Config(tmp_path)
    assert config.from_envvar("STEIN_TEST_SETTINGS")
    assert config["X"] == "env file"
    monkeypatch.delenv("STEIN_TEST_SETTINGS")
    assert config.from_envvar("STEIN_TEST_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="not set"):
        config.from_envvar("STEIN_TEST_SETTINGS")


def test_get_namespace():
    config = Config(".", {"IMG_PATH": "/i", "IMG_MAX": 3, "OTHER": 1})
    assert config.get_namespace("IMG_") == {"path": "/i", "max": 3}
    assert config.get_namespace("IMG_", lowercase=False, trim_namespace=False) == {
        "IMG_PATH": "/i", "IMG_MAX": 3}


def test_app_defaults_and_properties():
    app = Stein("cfg")
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["TESTING"] is False
    app.testing = True
    assert app.config["TESTING"] is True
    app.config["SECRET_KEY"] = "k"
    assert app.secret_key == "k"
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    assert app.permanent_session_lifetime.total_seconds() == 60
    assert "Config" in repr(app.config)
