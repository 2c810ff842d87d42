"""The app that the real-server tests run under gunicorn and the development server."""

from __future__ import annotations

import hashlib
import time

from stein import Stein, request, session, stream_with_context

app = Stein(__name__, static_folder="serverapp_static", static_url_path="/static")
app.secret_key = "real-server-tests"


@app.get("/")
def index() -> str:
    return "stein is up"


@app.get("/users/<int:user_id>")
def user(user_id: int) -> dict[str, object]:
    return {"id": user_id, "q": request.args.get("q")}


@app.post("/form")
def form() -> dict[str, object]:
    return {"name": request.form["name"], "tags": request.form.getlist("tag")}


@app.post("/upload")
def upload() -> dict[str, object]:
    f = request.files["file"]
    data = f.read()
    return {"filename": f.filename, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "note": request.form.get("note")}


@app.get("/stream")
def stream() -> object:
    count = request.args.get("n", 5, type=int)

    @stream_with_context
    def generate():  # type: ignore[no-untyped-def]
        for i in range(count):
            yield f"chunk {i} of {request.path}\n"
            time.sleep(0.01)

    return app.response_class(generate(), mimetype="text/plain")


@app.post("/session")
def set_session() -> dict[str, object]:
    session["visits"] = session.get("visits", 0) + 1
    session["name"] = request.form.get("name", "")
    return {"visits": session["visits"]}


@app.get("/session")
def get_session() -> dict[str, object]:
    return {"visits": session.get("visits", 0), "name": session.get("name")}


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("boom <script>")
