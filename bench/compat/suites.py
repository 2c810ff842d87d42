"""The Flask extensions whose own test suites measure ``stein.compat`` (``make compat``).

Each entry pins the latest release that supports Flask 3.1, the packages its suite needs
(taken from the project's tox.ini / pyproject test group, less coverage tools and the
services CI cannot start), and where its tests come from. Most sdists ship ``tests/``;
the three that do not (Flask-WTF, Flask-Babel, Flask-Mail) are read from the project's
public repository at the release tag, which ``make compat`` can only use where a copy of
that repository is on the machine (see ``source``); their reference stays committed, so
the table still says what they need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The reference: real Flask and Werkzeug at the versions stein.compat follows.
FLASK = "flask==3.1.3"
WERKZEUG = "werkzeug==3.1.3"
PYTEST = "pytest==9.0.2"


@dataclass(frozen=True)
class Suite:
    """One extension's suite: what to install and how pytest is pointed at it."""

    name: str                     # the distribution name on the package index
    version: str
    deps: tuple[str, ...] = ()    # test-only requirements besides pytest
    paths: tuple[str, ...] = ("tests",)
    # ``sdist`` or ``repo:owner/name@tag`` (the sdist ships no tests).
    source: str = "sdist"
    pytest_args: tuple[str, ...] = ()
    notes: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def repo(self) -> tuple[str, str] | None:
        """``(owner/name, tag)`` when the tests come from the repository."""
        if not self.source.startswith("repo:"):
            return None
        repo, _, tag = self.source[5:].partition("@")
        return repo, tag


_REPO_NOTE = ("The sdist ships no tests: they are read from the repository at the release "
              "tag, where a copy is on the machine (STEIN_COMPAT_MIRROR); elsewhere, CI "
              "included, the suite is not run and its committed reference stays.")

SUITES: tuple[Suite, ...] = (
    Suite("Flask-Login", "0.6.3", ("asgiref", "blinker", "semantic-version"),
          notes="Its apps use SECRET_KEY = 'deterministic' (13 characters) and the suite "
                "runs with filterwarnings=error: where Stein warns about a short key, the "
                "warning becomes a 500 inside the request, which is what the assertions "
                "below report. With that one warning ignored, all 114 pass (measured "
                "2026-12-03)."),
    Suite("Flask-WTF", "1.3.0", ("Flask-Babel", "flask-reuploaded", "email_validator"),
          source="repo:pallets-eco/flask-wtf@v1.3.0", notes=_REPO_NOTE),
    # Flask-SQLAlchemy 3.1 predates SQLAlchemy 2.1 (its dataclass models fail there).
    Suite("Flask-SQLAlchemy", "3.1.1", ("blinker", "SQLAlchemy<2.1"),
          notes="With SQLAlchemy < 2.1: 3.1.1's dataclass models fail on 2.1, on Flask too."),
    # Its tests run ``flask db ...`` in a subprocess: the Stein venv answers those through
    # the STEIN_COMPAT=1 start-up hook, as a deployment would.
    Suite("Flask-Migrate", "4.1.0", ("SQLAlchemy<2.1",), pytest_args=("-p", "no:logging"),
          notes="Its tests run `flask db ...` in subprocesses; on Stein those go through "
                "the STEIN_COMPAT=1 start-up hook (the console script is real Flask's)."),
    Suite("Flask-Cors", "6.0.5", ("packaging",)),
    # pylibmc needs libmemcached headers; its tests are skipped on both sides.
    Suite("Flask-Caching", "2.5.1", ("asgiref", "pytest-asyncio", "pytest-xprocess", "redis"),
          notes="The Redis tests start redis-server (`make compat` installs it); the "
                "Memcached ones (pylibmc, a memcached server) fail on both sides."),
    # The Redis/Memcached/MongoDB tests start Docker containers (not available here):
    # they fail on both sides and so are not in the reference.
    Suite("Flask-Limiter", "4.1.1", ("asgiref", "flask-restful", "flask-restx", "hiro>0.1.6",
                                      "pytest-check", "pytest-mock", "redis", "pymemcache",
                                      "pymongo"),
          notes="The Redis/Memcached/MongoDB tests start Docker containers and fail on both "
                "sides; `test_flask_restx_resource` is marked xfail and passes (XPASS) on "
                "both, so it is counted."),
    Suite("Flask-HTTPAuth", "4.8.1", ("asgiref",), pytest_args=("-p", "no:logging")),
    Suite("Flask-Babel", "4.0.0", ("pytest-mock",), source="repo:python-babel/flask-babel@v4.0.0",
          notes=_REPO_NOTE),
    Suite("Flask-Mail", "0.10.0", (), source="repo:pallets-eco/flask-mail@0.10.0",
          notes=_REPO_NOTE),
    Suite("APIFlask", "3.1.2", ("asgiref", "openapi-spec-validator", "pyyaml", "packaging",
                                "flask-sqlalchemy", "SQLAlchemy<2.1", "authlib", "marshmallow-dataclass",
                                "pydantic"), paths=("tests", "examples"),
          notes="tests/ and examples/ (as its tox.ini runs them); on Flask one test fails "
                "(marshmallow's abstract Number) and one is skipped."),
    Suite("flask-smorest", "0.47.0", ("asgiref", "packaging", "marshmallow", "webargs==8.7.1",
                                      "apispec==6.10.0", "PyYAML")),
)

# Why a failure cause happens, for the table: (text in the failure's first line, reason).
# The first match explains a cause; a cause no entry matches is listed without one.
EXPLANATIONS: tuple[tuple[str, str], ...] = (
    ("SECRET_KEY is only", "Stein warns (RuntimeWarning) about a SECRET_KEY under 16 "
     "characters outside testing; the suite runs with filterwarnings=error and a short "
     "test key, so the warning fails the request (stein/sessions.py)."),
    ("'201 Created' == '201 CREATED'", "Werkzeug's Response.status upper-cases the reason "
     "phrase for an int status ('201 CREATED'); Stein keeps RFC 9110's spelling."),
)

