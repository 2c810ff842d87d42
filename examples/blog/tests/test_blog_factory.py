import sqlite3

import pytest
from blog import create_app
from blog.db import get_db


def test_config():
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


def test_hello(client):
    response = client.get("/hello")
    assert response.status_code == 200
    assert response.data == b"Hello, World!"


def test_static_css(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert b"--accent" in response.data


def test_db_connection_is_per_context(app):
    with app.app_context():
        db = get_db()
        assert db is get_db()
    with pytest.raises(sqlite3.ProgrammingError) as e:
        db.execute("SELECT 1")
    assert "closed" in str(e.value)


def test_init_db_command(runner, app):
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM post").fetchone()[0] == 1
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database." in result.output
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM post").fetchone()[0] == 0


# -- the secret key ------------------------------------------------------------------------

_WARNING = "No SECRET_KEY set: using a random key for this process"


def _no_configured_key(monkeypatch, tmp_path):
    """No STEIN_SECRET_KEY in the environment and no instance/config.py to read."""
    monkeypatch.delenv("STEIN_SECRET_KEY", raising=False)
    from stein.config import Config

    real = Config.from_pyfile

    def from_pyfile(self, filename, silent=False):
        if filename == "config.py":
            return False  # as if instance/config.py did not exist
        return real(self, filename, silent)

    monkeypatch.setattr(Config, "from_pyfile", from_pyfile)


def test_without_a_configured_key_a_random_process_key_is_used(monkeypatch, tmp_path, caplog):
    _no_configured_key(monkeypatch, tmp_path)
    with caplog.at_level("WARNING"):
        first = create_app()
    key = first.config["SECRET_KEY"]
    assert key != "dev"
    assert len(key) == 64 and int(key, 16) >= 0  # 32 random bytes, hex
    warnings = [r.getMessage() for r in caplog.records if _WARNING in r.getMessage()]
    assert len(warnings) == 1  # one line per app built without a key
    assert create_app().config["SECRET_KEY"] == key  # one key per process, not per app
    assert "set STEIN_SECRET_KEY" in warnings[0] and "\n" not in warnings[0]


def test_each_process_gets_its_own_key(tmp_path):
    import os
    import subprocess
    import sys

    blog_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {k: v for k, v in os.environ.items() if k != "STEIN_SECRET_KEY"}
    code = "from blog import create_app; print(create_app().config['SECRET_KEY'])"
    runs = [subprocess.run([sys.executable, "-c", code], cwd=blog_dir, env=env, timeout=60,
                           capture_output=True, text=True, check=True) for _ in range(2)]
    keys = [r.stdout.strip() for r in runs]
    assert len(keys[0]) == 64 and keys[0] != keys[1]
    assert all(_WARNING in r.stderr for r in runs)


def test_configured_key_wins_and_silences_the_warning(monkeypatch, tmp_path, caplog):
    _no_configured_key(monkeypatch, tmp_path)
    monkeypatch.setenv("STEIN_SECRET_KEY", "a-configured-key-of-some-length")
    with caplog.at_level("WARNING"):
        app = create_app()
    assert app.config["SECRET_KEY"] == "a-configured-key-of-some-length"
    assert _WARNING not in caplog.text


def test_a_session_signed_with_the_old_dev_key_is_refused(app, monkeypatch, tmp_path):
    # Forge "logged in as user 1" with the key the blog used to ship, and present it to an
    # app that was given no key: it must not log anyone in.
    forger = create_app({"TESTING": True, "DATABASE": app.config["DATABASE"], "SECRET_KEY": "dev"})
    forged = forger.test_client()
    with forged.session_transaction() as sess:
        sess["user_id"] = 1
    assert b"Log Out" in forged.get("/").data  # the cookie works where "dev" is the key
    cookie = forged.get_cookie("session")
    assert cookie is not None

    _no_configured_key(monkeypatch, tmp_path)
    target = create_app({"TESTING": True, "DATABASE": app.config["DATABASE"]})
    assert target.config["SECRET_KEY"] != "dev"
    client = target.test_client()
    client.set_cookie("session", cookie.value)
    page = client.get("/")
    assert page.status_code == 200
    assert b"Log Out" not in page.data and b"Log In" in page.data
    assert client.get("/create").headers["Location"].endswith("/auth/login")
