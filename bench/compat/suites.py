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


SUITES: tuple[Suite, ...] = (
    Suite("Flask-Login", "0.6.3", ("asgiref", "blinker", "semantic-version")),
    Suite("Flask-WTF", "1.3.0", ("Flask-Babel", "flask-reuploaded", "email_validator"),
          source="repo:pallets-eco/flask-wtf@v1.3.0"),
    # Flask-SQLAlchemy 3.1 predates SQLAlchemy 2.1 (its dataclass models fail there).
    Suite("Flask-SQLAlchemy", "3.1.1", ("blinker", "SQLAlchemy<2.1")),
    # Its tests run ``flask db ...`` in a subprocess: the Stein venv answers those through
    # the STEIN_COMPAT=1 start-up hook, as a deployment would.
    Suite("Flask-Migrate", "4.1.0", ("SQLAlchemy<2.1",), pytest_args=("-p", "no:logging")),
    Suite("Flask-Cors", "6.0.5", ("packaging",)),
    # pylibmc needs libmemcached headers; its tests are skipped on both sides.
    Suite("Flask-Caching", "2.5.1", ("asgiref", "pytest-asyncio", "pytest-xprocess", "redis")),
    # The Redis/Memcached/MongoDB tests start Docker containers (not available here):
    # they fail on both sides and so are not in the reference.
    Suite("Flask-Limiter", "4.1.1", ("asgiref", "flask-restful", "flask-restx", "hiro>0.1.6",
                                      "pytest-check", "pytest-mock", "redis", "pymemcache",
                                      "pymongo")),
    Suite("Flask-HTTPAuth", "4.8.1", ("asgiref",), pytest_args=("-p", "no:logging")),
    Suite("Flask-Babel", "4.0.0", ("pytest-mock",), source="repo:python-babel/flask-babel@v4.0.0"),
    Suite("Flask-Mail", "0.10.0", (), source="repo:pallets-eco/flask-mail@0.10.0"),
    Suite("APIFlask", "3.1.2", ("asgiref", "openapi-spec-validator", "pyyaml", "packaging",
                                "flask-sqlalchemy", "SQLAlchemy<2.1", "authlib", "marshmallow-dataclass",
                                "pydantic"), paths=("tests", "examples")),
    Suite("flask-smorest", "0.47.0", ("asgiref", "packaging", "marshmallow", "webargs==8.7.1",
                                      "apispec==6.10.0", "PyYAML")),
)
