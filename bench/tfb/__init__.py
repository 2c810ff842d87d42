"""``make bench-tfb``: the six TechEmpower Framework Benchmarks test types (json, plaintext,
db, queries, fortunes, updates) against a PostgreSQL the run starts itself, for Stein and
its peers under granian, gunicorn and uvicorn, loaded by ``wrk``; plus the example blog's
pages on Stein and on Flask. Writes ``bench/tfb.md``.

Modules: ``spec`` (the rules every app follows: SQL, the queries clamp, the fortune added at
request time), ``pg`` (the throwaway cluster and its data), ``apps_*`` (one module per
framework, each written the way its documentation writes apps), ``validate`` (a checker per
test type: a wrong answer is a failure, never a number), ``runner`` (servers x wrk x
connections), ``blog`` (the real app, Stein vs the same blog on Flask), ``report``.
"""
