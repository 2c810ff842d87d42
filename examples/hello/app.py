"""The smallest Stein app: run it with `make demo` or `python app.py`."""

from stein import Stein, request

app = Stein(__name__)


@app.get("/")
def index():
    return "<h1>Hello from Stein</h1><p>Try <a href='/hello/world'>/hello/world</a>.</p>"


@app.get("/hello/<name>")
def hello(name: str):
    return {"hello": name, "agent": request.headers.get("User-Agent", "")}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
