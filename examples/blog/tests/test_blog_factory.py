import os
import sqlite3
import textwrap

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

def _no_configured_key(monkeypatch, tmp_path):
    """No STEIN_SECRET_KEY in the environment, no instance/config.py to read, and the
    instance folder in ``tmp_path`` (not the checkout's)."""
    monkeypatch.delenv("STEIN_SECRET_KEY", raising=False)
    from stein import Stein
    from stein.config import Config

    real = Config.from_pyfile

    def from_pyfile(self, filename, silent=False):
        if filename == "config.py":
            return False  # as if instance/config.py did not exist
        return real(self, filename, silent)

    monkeypatch.setattr(Config, "from_pyfile", from_pyfile)
    monkeypatch.setattr(Stein, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))


def test_without_a_configured_key_one_is_kept_in_the_instance_folder(monkeypatch, tmp_path,
                                                                      caplog):
    _no_configured_key(monkeypatch, tmp_path)
    with caplog.at_level("DEBUG"):
        first = create_app()
    key = first.config["SECRET_KEY"]
    assert first.instance_path == str(tmp_path / "instance")
    assert key != "dev"
    assert len(key) == 64 and int(key, 16) >= 0  # 32 random bytes, hex
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == key
    assert key_file.stat().st_mode & 0o777 == 0o600  # the owner's only
    assert "SECRET_KEY" not in caplog.text  # nothing to warn about: the key is a real one
    assert create_app().config["SECRET_KEY"] == key  # read back, not made again


def test_testing_without_a_key_writes_nothing(monkeypatch, tmp_path):
    _no_configured_key(monkeypatch, tmp_path)
    app = create_app({"TESTING": True})
    assert len(app.config["SECRET_KEY"]) == 64
    assert not (tmp_path / "instance" / "secret_key").exists()
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == app.config["SECRET_KEY"]


def _copy_of_the_blog(tmp_path):
    import shutil

    blog_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shutil.copytree(os.path.join(blog_dir, "blog"), tmp_path / "blog",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return {k: v for k, v in os.environ.items() if not k.startswith("STEIN_")}


def test_restarts_keep_the_key_and_a_login(tmp_path):
    # Two processes, as a restart (or a reload of `stein run --debug`) makes them: the
    # second accepts the session cookie that the first signed.
    import subprocess
    import sys

    env = _copy_of_the_blog(tmp_path)
    login = textwrap.dedent("""
        from blog import create_app
        app = create_app()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["user_id"] = 1
        print(app.config["SECRET_KEY"]); print(client.get_cookie("session").value)
    """)
    check = textwrap.dedent("""
        import sys
        from stein import session
        from blog import create_app
        app = create_app()
        with app.test_request_context(headers={"Cookie": "session=" + sys.argv[1]}):
            print(app.config["SECRET_KEY"]); print(session.get("user_id"))
    """)
    first = subprocess.run([sys.executable, "-c", login], cwd=tmp_path, env=env, timeout=60,
                           capture_output=True, text=True, check=True)
    key, cookie = first.stdout.split()
    second = subprocess.run([sys.executable, "-c", check, cookie], cwd=tmp_path, env=env,
                            timeout=60, capture_output=True, text=True, check=True)
    assert second.stdout.split() == [key, "1"]
    assert (tmp_path / "instance" / "secret_key").read_text().strip() == key
    assert first.stderr == second.stderr == ""  # no warning on the way


def test_cli_commands_print_no_key_noise(tmp_path):
    import shutil
    import subprocess
    import sys

    env = _copy_of_the_blog(tmp_path)
    stein = shutil.which("stein", path=os.path.dirname(sys.executable)) or "stein"
    for args in (["init-db"], ["routes"]):
        proc = subprocess.run([stein, "--app", "blog", *args], cwd=tmp_path, env=env,
                              timeout=60, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == "", proc.stderr
        assert "SECRET_KEY" not in proc.stdout and "warning" not in proc.stdout.lower()
    assert "Initialized the database." in subprocess.run(
        [stein, "--app", "blog", "init-db"], cwd=tmp_path, env=env, timeout=60,
        capture_output=True, text=True).stdout


def test_configured_key_wins_and_silences_the_warning(monkeypatch, tmp_path, caplog):
    _no_configured_key(monkeypatch, tmp_path)
    monkeypatch.setenv("STEIN_SECRET_KEY", "a-configured-key-of-some-length")
    with caplog.at_level("WARNING"):
        app = create_app()
    assert app.config["SECRET_KEY"] == "a-configured-key-of-some-length"
    assert "SECRET_KEY" not in caplog.text


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
