"""Flask extensions' own test suites on real Flask and on ``stein.compat`` (``make compat``)."""
