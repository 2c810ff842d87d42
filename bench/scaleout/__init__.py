"""The scale-out run (``make scale``, ``python -m bench.scaleout``): HAProxy in front of three
app nodes, each a gunicorn (2 sync workers, HTTP) and a uvicorn (WebSockets) on their own
loopback ports, with a real Redis (sessions, broadcast) and a real PostgreSQL (rows), all
started and stopped here. Under a wrk load of logins, reads and writes, one node is killed
(SIGKILL) and started again, all three are restarted one at a time (gunicorn HUP, uvicorn
TERM + start), and Redis is restarted. Then it counts: requests that failed and when
(HAProxy's log, one line per request), sessions lost, rows lost or doubled, and broadcasts
missed by the WebSocket clients, which reconnect with ``since=`` whenever they lose their
node. Writes ``bench/scaleout/results.md``; exits 1 when a count that must be zero is not.
"""
