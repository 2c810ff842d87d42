"""``python -m stein``: the same as the ``stein`` command."""

from .cli import main

main()
