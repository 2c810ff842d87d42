"""The app's logger: a standard ``logging`` logger named after the app."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import Stein

default_handler = logging.StreamHandler(sys.stderr)
default_handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s"))


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler in the logger's chain takes its effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Stein) -> logging.Logger:
    """The logger for ``app``: DEBUG level in debug mode, a stderr handler when none is set."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
