"""Routing: converters, methods, redirects, url_for, domains, and the Map API."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stein import Stein, url_for
from stein.exceptions import MethodNotAllowed, NotFound, RequestRedirect
from stein.routing import BaseConverter, BuildError, Map, Rule, ValidationError

# -- converters -------------------------------------------------------------------------


def test_string_converter_default_and_lengths(app, client):
    @app.route("/s/<name>")
    def s(name):
        return f"s:{name}"

    @app.route("/exact/<string(length=3):code>")
    def exact(code):
        return f"exact:{code}"

    @app.route("/range/<string(minlength=2, maxlength=4):v>")
    def rng(v):
        return f"range:{v}"

    assert client.get("/s/hello%20world").text == "s:hello world"
    assert client.get("/s/a/b").status_code == 404
    assert client.get("/exact/abc").text == "exact:abc"
    assert client.get("/exact/ab").status_code == 404
    assert client.get("/exact/abcd").status_code == 404
    assert client.get("/range/ab").text == "range:ab"
    assert client.get("/range/abcd").text == "range:abcd"
    assert client.get("/range/a").status_code == 404
    assert client.get("/range/abcde").status_code == 404


def test_int_converter_min_max_signed(app, client):
    @app.route("/i/<int:n>")
    def i(n):
        return {"n": n, "type": type(n).__name__}

    @app.route("/bounded/<int(min=1, max=10):n>")
    def bounded(n):
        return str(n)

    @app.route("/signed/<int(signed=True):n>")
    def signed(n):
        return str(n * 2)

    @app.route("/fixed/<int(fixed_digits=4):n>")
    def fixed(n):
        return str(n)

    assert client.get("/i/42").get_json() == {"n": 42, "type": "int"}
    assert client.get("/i/-1").status_code == 404
    assert client.get("/i/x").status_code == 404
    assert client.get("/i/1.5").status_code == 404
    assert client.get("/bounded/1").text == "1"
    assert client.get("/bounded/10").text == "10"
    assert client.get("/bounded/0").status_code == 404
    assert client.get("/bounded/11").status_code == 404
    assert client.get("/signed/-4").text == "-8"
    assert client.get("/signed/4").text == "8"
    assert client.get("/fixed/0042").text == "42"
    assert client.get("/fixed/42").status_code == 404
    with app.test_request_context():
        assert url_for("fixed", n=7) == "/fixed/0007"
        assert url_for("signed", n=-3) == "/signed/-3"


def test_float_converter(app, client):
    @app.route("/f/<float:x>")
    def f(x):
        return {"x": x}

    @app.route("/fs/<float(signed=True, max=0):x>")
    def fs(x):
        return {"x": x}

    assert client.get("/f/1.5").get_json() == {"x": 1.5}
    assert client.get("/f/1").status_code == 404
    assert client.get("/fs/-2.25").get_json() == {"x": -2.25}
    assert client.get("/fs/2.25").status_code == 404
    with app.test_request_context():
        assert url_for("f", x=2.5) == "/f/2.5"


def test_path_converter(app, client):
    @app.route("/files/<path:p>")
    def files(p):
        return f"p={p}"

    @app.route("/files/<path:p>/edit")
    def edit(p):
        return f"edit={p}"

    assert client.get("/files/a").text == "p=a"
    assert client.get("/files/a/b/c.txt").text == "p=a/b/c.txt"
    assert client.get("/files/a/b/edit").text == "edit=a/b"
    assert client.get("/files/").status_code == 404
    with app.test_request_context():
        assert url_for("files", p="x/y z") == "/files/x/y%20z"


def test_uuid_converter(app, client):
    u = uuid.uuid4()

    @app.route("/u/<uuid:id>")
    def u_view(id):
        assert isinstance(id, uuid.UUID)
        return str(id)

    assert client.get(f"/u/{u}").text == str(u)
    assert client.get(f"/u/{str(u).upper()}").text == str(u)
    assert client.get("/u/not-a-uuid").status_code == 404
    with app.test_request_context():
        assert url_for("u_view", id=u) == f"/u/{u}"


def test_any_converter(app, client):
    @app.route("/<any(about, help, 'contact'):page>")
    def page(page):
        return page

    assert client.get("/about").text == "about"
    assert client.get("/contact").text == "contact"
    assert client.get("/other").status_code == 404
    with pytest.raises(ValueError):
        Map([Rule("/<any():x>", endpoint="x")])


def test_custom_converter_registered_on_app(app, client):
    class ListConverter(BaseConverter):
        regex = r"\w+(?:,\w+)*"

        def to_python(self, value):
            return value.split(",")

        def to_url(self, value):
            return ",".join(value)

    class EvenConverter(BaseConverter):
        regex = r"\d+"

        def to_python(self, value):
            n = int(value)
            if n % 2:
                raise ValidationError()
            return n

    app.url_map.converters["list"] = ListConverter
    app.url_map.converters["even"] = EvenConverter

    @app.route("/tags/<list:tags>")
    def tags(tags):
        return {"tags": tags}

    @app.route("/even/<even:n>")
    def even(n):
        return str(n)

    assert client.get("/tags/a,b,c").get_json() == {"tags": ["a", "b", "c"]}
    assert client.get("/even/4").text == "4"
    assert client.get("/even/3").status_code == 404
    with app.test_request_context():
        assert url_for("tags", tags=["x", "y"]) == "/tags/x,y"


def test_converter_regex_with_its_own_group(app, client):
    class AorB(BaseConverter):
        regex = "(a|b)+"

    app.url_map.converters["ab"] = AorB

    @app.route("/<ab:first>/<int:second>")
    def two(first, second):
        return f"{first}|{second}"

    assert client.get("/abba/7").text == "abba|7"


def test_unknown_converter_and_malformed_rule():
    with pytest.raises(LookupError, match="nope"):
        Map([Rule("/<nope:x>", endpoint="x")])
    with pytest.raises(ValueError, match="leading slash"):
        Rule("no-slash")
    with pytest.raises(ValueError, match="malformed"):
        Map([Rule("/a/<b", endpoint="x")])
    with pytest.raises(ValueError, match="twice"):
        Map([Rule("/<a>/<a>", endpoint="x")])


def test_static_beats_dynamic_and_int_beats_string(app, client):
    @app.route("/users/me")
    def me():
        return "me"

    @app.route("/users/<name>")
    def by_name(name):
        return f"name:{name}"

    @app.route("/users/<int:id>")
    def by_id(id):
        return f"id:{id}"

    assert client.get("/users/me").text == "me"
    assert client.get("/users/12").text == "id:12"
    assert client.get("/users/bob").text == "name:bob"


# -- methods ---------------------------------------------------------------------------


def test_automatic_head_and_options(app, client):
    @app.route("/thing", methods=["GET", "POST"])
    def thing():
        return "body"

    head = client.head("/thing")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == "4"
    opts = client.options("/thing")
    assert opts.status_code == 200
    assert set(opts.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert opts.data == b""


def test_options_disabled_and_custom_options(app, client):
    @app.route("/no-auto", provide_automatic_options=False)
    def no_auto():
        return "x"

    @app.route("/own", methods=["GET", "OPTIONS"])
    def own():
        return "mine"

    assert client.options("/no-auto").status_code == 405
    assert client.options("/own").text == "mine"


def test_405_with_allow(app, client):
    @app.route("/only-post", methods=["POST"])
    def only_post():
        return "posted"

    @app.put("/only-post")
    def only_put():
        return "put"

    rv = client.get("/only-post")
    assert rv.status_code == 405
    assert set(rv.headers["Allow"].split(", ")) == {"OPTIONS", "POST", "PUT"}
    assert "Method Not Allowed" in rv.text
    assert client.post("/only-post").text == "posted"
    assert client.put("/only-post").text == "put"


def test_method_shortcuts(app, client):
    @app.get("/m")
    def g():
        return "get"

    @app.post("/m")
    def p():
        return "post"

    @app.patch("/m")
    def pa():
        return "patch"

    @app.delete("/m")
    def d():
        return "delete"

    with pytest.raises(TypeError, match="methods"):
        app.route("/bad", methods="GET")(lambda: "")
    assert client.get("/m").text == "get"
    assert client.post("/m").text == "post"
    assert client.patch("/m").text == "patch"
    assert client.delete("/m").text == "delete"


def test_405_for_dynamic_rule(app, client):
    @app.route("/items/<int:id>", methods=["DELETE"])
    def item(id):
        return "gone"

    rv = client.get("/items/3")
    assert rv.status_code == 405
    assert "DELETE" in rv.headers["Allow"]
    assert client.get("/items/x").status_code == 404


# -- redirects -------------------------------------------------------------------------


def test_strict_slashes_redirect_keeps_query(app, client):
    @app.route("/folder/")
    def folder():
        return "folder"

    @app.route("/dyn/<name>/")
    def dyn(name):
        return name

    rv = client.get("/folder?x=1&y=2")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "/folder/?x=1&y=2"
    rv = client.get("/dyn/abc")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "/dyn/abc/"
    assert client.get("/folder/").text == "folder"
    followed = client.get("/folder", follow_redirects=True)
    assert followed.text == "folder"
    assert [r.status_code for r in followed.history] == [308]


def test_no_slash_rule_does_not_match_trailing_slash(app, client):
    @app.route("/file")
    def file():
        return "file"

    assert client.get("/file/").status_code == 404


def test_strict_slashes_false(app, client):
    @app.route("/loose/", strict_slashes=False)
    def loose():
        return "loose"

    assert client.get("/loose/").text == "loose"
    assert client.get("/loose").status_code == 404


def test_merge_slashes_redirect(app, client):
    @app.route("/a/b")
    def ab():
        return "ab"

    rv = client.get("/a//b")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "/a/b"


def test_redirect_to_rule(app, client):
    @app.route("/new/<int:id>")
    def new(id):
        return str(id)

    app.add_url_rule("/old/<int:id>", "old", redirect_to="/new/<id>")
    rv = client.get("/old/5")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "/new/5"


def test_strict_slash_redirect_under_script_name(app, client):
    @app.route("/dir/")
    def d():
        return "d"

    rv = client.get("/dir", environ_overrides={"SCRIPT_NAME": "/mount"})
    assert rv.status_code == 308
    assert rv.headers["Location"] == "/mount/dir/"


def test_rule_defaults(app, client):
    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    def page(n):
        return f"page {n}"

    assert client.get("/page/").text == "page 1"
    assert client.get("/page/3").text == "page 3"
    with app.test_request_context():
        assert url_for("page", n=1) == "/page/"
        assert url_for("page", n=4) == "/page/4"


# -- url_for ---------------------------------------------------------------------------


def test_url_for_options(app):
    @app.route("/users/<int:id>")
    def user(id):
        return ""

    @app.route("/submit", methods=["POST"])
    def submit_post():
        return ""

    @app.route("/submit", methods=["GET"], endpoint="submit_get")
    def submit_get():
        return ""

    with app.test_request_context():
        assert url_for("user", id=3) == "/users/3"
        assert url_for("user", id=3, tab="posts", q=["a", "b"]) == "/users/3?tab=posts&q=a&q=b"
        assert url_for("user", id=3, skip=None) == "/users/3"
        assert url_for("user", id=3, _anchor="top part") == "/users/3#top%20part"
        assert url_for("user", id=3, _external=True) == "http://localhost/users/3"
        assert url_for("user", id=3, _scheme="https", _external=True) == "https://localhost/users/3"
        assert url_for("user", id=3, _scheme="https") == "https://localhost/users/3"
        assert url_for("submit_post", _method="POST") == "/submit"
        with pytest.raises(BuildError):
            url_for("submit_post", _method="GET")
        with pytest.raises(ValueError, match="_external"):
            url_for("user", id=1, _scheme="https", _external=False)
        with pytest.raises(BuildError, match="Missing values"):
            url_for("user")
        with pytest.raises(BuildError, match="does not exist"):
            url_for("nope")


def test_url_for_quotes_values(app):
    @app.route("/s/<name>")
    def s(name):
        return ""

    with app.test_request_context():
        assert url_for("s", name="a b/c?") == "/s/a%20b%2Fc%3F"
        assert url_for("s", name="é") == "/s/%C3%A9"
        assert url_for("s", name="x", q="a&b=c") == "/s/x?q=a%26b%3Dc"


def test_url_for_outside_request_needs_server_name(app):
    @app.route("/x")
    def x():
        return ""

    with app.app_context():
        with pytest.raises(RuntimeError, match="SERVER_NAME"):
            url_for("x")
    app.config.update(SERVER_NAME="example.com", PREFERRED_URL_SCHEME="https",
                      APPLICATION_ROOT="/app")
    with app.app_context():
        assert url_for("x") == "https://example.com/app/x"


def test_url_build_error_handler(app):
    def handler(error, endpoint, values):
        return f"/fallback/{endpoint}"

    app.url_build_error_handlers.append(handler)
    with app.test_request_context():
        assert url_for("missing") == "/fallback/missing"


def test_url_defaults_and_value_preprocessor(app, client):
    seen = {}

    @app.url_defaults
    def add_lang(endpoint, values):
        if app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values.setdefault("lang", "en")

    @app.url_value_preprocessor
    def pull_lang(endpoint, values):
        seen["lang"] = values.pop("lang", None)

    @app.route("/<lang>/about")
    def about():
        return f"about in {seen['lang']}: {url_for('about')}"

    assert client.get("/de/about").text == "about in de: /en/about"


# -- SCRIPT_NAME and domains -----------------------------------------------------------


def test_script_name_in_matching_and_url_for(app, client):
    @app.route("/hello")
    def hello():
        from stein import request

        return f"{request.script_root}|{request.path}|{url_for('hello')}|{request.url}"

    rv = client.get("/hello", environ_overrides={"SCRIPT_NAME": "/mnt"})
    assert rv.text == "/mnt|/hello|/mnt/hello|http://localhost/mnt/hello"
    app.config["APPLICATION_ROOT"] = "/prefix"
    rv = client.get("/prefix/hello")
    assert rv.text == "/prefix|/hello|/prefix/hello|http://localhost/prefix/hello"


def test_subdomains_with_server_name():
    app = Stein("sub", subdomain_matching=True)
    app.config.update(SERVER_NAME="example.com", TESTING=True)

    @app.route("/")
    def index():
        return "main"

    @app.route("/", subdomain="api")
    def api_index():
        return "api"

    @app.route("/", subdomain="<user>")
    def user_index(user):
        return f"user {user}"

    client = app.test_client()
    assert client.get("/").text == "main"
    assert client.get("/", subdomain="api").text == "api"
    assert client.get("/", subdomain="alice").text == "user alice"
    assert client.get("/", base_url="http://other.org/").status_code == 404
    with app.test_request_context():
        assert url_for("api_index") == "http://api.example.com/"
        assert url_for("user_index", user="bob") == "http://bob.example.com/"
        assert url_for("index") == "/"
    with app.test_request_context(subdomain="api"):
        assert url_for("index") == "http://example.com/"
        assert url_for("api_index") == "/"


def test_host_matching():
    app = Stein("hosts", host_matching=True, static_host="static.test")
    app.config["TESTING"] = True

    @app.route("/", host="a.test")
    def a():
        return "A"

    @app.route("/", host="<tenant>.b.test")
    def b(tenant):
        return f"B {tenant}"

    client = app.test_client()
    assert client.get("/", base_url="http://a.test/").text == "A"
    assert client.get("/", base_url="http://acme.b.test/").text == "B acme"
    assert client.get("/", base_url="http://c.test/").status_code == 404
    with app.test_request_context(base_url="http://a.test/"):
        assert url_for("a") == "/"
        assert url_for("b", tenant="x") == "http://x.b.test/"


# -- the Map API -----------------------------------------------------------------------


def test_iter_rules_and_is_endpoint_expecting(app):
    @app.route("/a/<int:x>")
    @app.route("/a/<int:x>/<y>")
    def a(x, y=None):
        return ""

    @app.route("/b")
    def b():
        return ""

    rules = [r.rule for r in app.url_map.iter_rules()]
    assert "/a/<int:x>" in rules and "/a/<int:x>/<y>" in rules and "/b" in rules
    assert "/static/<path:filename>" in rules
    assert sorted(r.rule for r in app.url_map.iter_rules("a")) == ["/a/<int:x>", "/a/<int:x>/<y>"]
    assert list(app.url_map.iter_rules("zzz")) == []
    assert app.url_map.is_endpoint_expecting("a", "x")
    assert app.url_map.is_endpoint_expecting("a", "x", "y")
    assert not app.url_map.is_endpoint_expecting("b", "x")
    assert "int" in app.url_map.converters and "path" in app.url_map.converters
    rule = next(app.url_map.iter_rules("b"))
    assert rule.methods == {"GET", "HEAD", "OPTIONS"}
    assert rule.endpoint == "b"
    assert "/b" in repr(rule)


def test_map_match_raises_directly():
    m = Map([
        Rule("/x", endpoint="x", methods=["GET"]),
        Rule("/d/", endpoint="d", methods=["GET"]),
        Rule("/n/<int:id>", endpoint="n", methods=["GET"]),
    ])
    rule, args = m.match("/n/3")
    assert rule.endpoint == "n" and args == {"id": 3}
    with pytest.raises(NotFound):
        m.match("/missing")
    with pytest.raises(MethodNotAllowed) as ei:
        m.match("/x", "POST")
    assert ei.value.code == 405
    with pytest.raises(RequestRedirect) as ri:
        m.match("/d")
    assert ri.value.code == 308 and ri.value.new_url == "/d/"
    assert m.build("n", {"id": 9})[2] == "/n/9"


def test_duplicate_endpoint_with_other_view_rejected(app):
    @app.route("/one")
    def one():
        return ""

    with pytest.raises(AssertionError, match="overwriting"):
        app.add_url_rule("/two", "one", lambda: "")


def test_many_rules_match_correct_one(app, client):
    def make(i):
        return (lambda id: f"{i}:{id}"), (lambda: f"s{i}")

    for i in range(300):
        dyn, static = make(i)
        app.add_url_rule(f"/r{i}/<int:id>", f"r{i}", dyn)
        app.add_url_rule(f"/s{i}", f"s{i}", static)
    assert client.get("/r299/7").text == "299:7"
    assert client.get("/r0/1").text == "0:1"
    assert client.get("/s150").text == "s150"


# -- property test: tree matcher == reference matcher -----------------------------------

_WORDS = ["a", "b", "users", "x1", "files"]
_CONVS = {"string": r"[^/]+", "int": r"\d+", "path": r"[^/].*?"}


@st.composite
def _rule_sets(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    rules = []
    seen = set()
    for i in range(n):
        nseg = draw(st.integers(min_value=1, max_value=3))
        segs = []
        names = 0
        for j in range(nseg):
            kind = draw(st.sampled_from(["static", "static", "string", "int", "path"]))
            if kind == "static" or (kind == "path" and j != nseg - 1):
                segs.append(draw(st.sampled_from(_WORDS)))
            else:
                segs.append(f"<{kind}:v{names}>")
                names += 1
        template = "/" + "/".join(segs)
        if template in seen:
            continue
        seen.add(template)
        rules.append((template, f"e{i}"))
    return rules


def _reference_match(rules, path):
    """Try every static rule, then the dynamic ones: int before string before path, at
    the first segment where they differ (the documented priority)."""

    def key(item):
        template, _ = item
        weights = []
        for seg in template[1:].split("/"):
            m = re.fullmatch(r"<(\w+):\w+>", seg)
            weights.append({"int": 1, "string": 2, "path": 3}[m.group(1)] if m else 0)
        return weights

    static = [r for r in rules if "<" not in r[0]]
    dynamic = sorted((r for r in rules if "<" in r[0]), key=key)
    for template, endpoint in static + dynamic:
        regex, convs = "", []
        for piece in re.split(r"(<\w+:\w+>)", template):
            m = re.fullmatch(r"<(\w+):(\w+)>", piece)
            if m:
                regex += f"({_CONVS[m.group(1)]})"
                convs.append((m.group(2), m.group(1)))
            else:
                regex += re.escape(piece)
        hit = re.fullmatch(regex, path)
        if hit:
            values = {
                name: int(raw) if kind == "int" else raw
                for (name, kind), raw in zip(convs, hit.groups(), strict=True)
            }
            return endpoint, values
    return None


def _paths_for(rules):
    fills = ["a", "7", "users", "zz", "3/4", "x1/files"]
    out = {"/", "/a", "/users/7", "/zz/zz/zz"}
    for template, _ in rules:
        for fill in fills:
            out.add(re.sub(r"<\w+:\w+>", fill, template))
    return sorted(out)


@settings(max_examples=150, deadline=None)
@given(_rule_sets())
def test_property_matches_reference_and_roundtrips(rules):
    m = Map([Rule(t, endpoint=e, methods=["GET"]) for t, e in rules], merge_slashes=False)
    for path in _paths_for(rules):
        expected = _reference_match(rules, path)
        try:
            rule, values = m.match(path, "GET")
            got = (rule.endpoint, values)
        except (NotFound, RequestRedirect):
            got = None
        if expected is None or got is None:
            assert got == expected, (path, rules)
            continue
        # Several rules can fit one path; which one wins must be the reference's choice
        # whenever the reference's winner is unambiguous by priority.
        assert got == expected, (path, rules)
        _, _, built = m.build(rule.endpoint, values)
        assert built == path


# -- Werkzeug's routing API, as extensions drive it ------------------------------------


def test_rule_str_arguments_and_converters():
    m = Map([Rule("/users/<int:id>/<name>", endpoint="user", defaults={"tab": "info"},
                  methods=["GET"])])
    rule = next(m.iter_rules())
    assert str(rule) == "/users/<int:id>/<name>"
    assert rule.map is m
    # As in Werkzeug: the variables and the keys of the defaults.
    assert rule.arguments == {"id", "name", "tab"}
    assert rule.methods == {"GET", "HEAD"}
    assert rule.is_leaf and not rule.is_branch
    convs = rule._converters
    assert set(convs) == {"id", "name"}
    assert convs["id"].to_python("7") == 7
    assert [name for dynamic, name in rule._trace if dynamic] == ["id", "name"]
    assert (False, "|") in rule._trace
    assert m._rules_by_endpoint["user"] == [rule]


def test_defaults_still_choose_the_rule_when_building():
    m = Map([Rule("/users/", endpoint="users", defaults={"page": 1}),
             Rule("/users/page/<int:page>", endpoint="users")])
    adapter = m.bind("example.com")
    assert adapter.build("users", {"page": 1}) == "/users/"
    assert adapter.build("users", {"page": 3}) == "/users/page/3"
    assert adapter.match("/users/") == ("users", {"page": 1})


def test_rule_empty_is_an_unbound_copy():
    rule = Rule("/a/<x>", endpoint="a", methods=["POST"], strict_slashes=False,
                defaults={"y": 1})
    Map([rule])
    copy = rule.empty()
    assert copy is not rule and copy.map is None
    assert (copy.rule, copy.endpoint, copy.methods, copy.strict_slashes, copy.defaults) == \
        ("/a/<x>", "a", {"POST"}, False, {"y": 1})
    assert copy.defaults is not rule.defaults
    Map([copy])  # binds: the copy was not bound with the original


def test_submount_endpoint_prefix_and_subdomain_factories():
    from stein.routing import EndpointPrefix, Subdomain, Submount

    blog = [Rule("/", endpoint="index"), Rule("/<slug>", endpoint="post")]
    m = Map([
        Rule("/", endpoint="index"),
        EndpointPrefix("blog.", [Submount("/blog/", blog)]),
        Subdomain("api", [Rule("/status", endpoint="status")]),
    ])
    assert sorted((r.rule, r.endpoint) for r in m.iter_rules()) == [
        ("/", "index"), ("/blog/", "blog.index"), ("/blog/<slug>", "blog.post"),
        ("/status", "status")]
    # The rules given to the factories are copied, not bound.
    assert all(r.map is None for r in blog)
    adapter = m.bind("example.com")
    assert adapter.match("/blog/hello") == ("blog.post", {"slug": "hello"})
    with pytest.raises(NotFound):
        adapter.match("/status")
    assert m.bind("example.com", subdomain="api").match("/status") == ("status", {})
    assert adapter.build("status") == "http://api.example.com/status"


def test_rule_template():
    from stein.routing import RuleTemplate

    resource = RuleTemplate([Rule("/$name/", endpoint="$name.list"),
                             Rule("/$name/<int:id>", endpoint="$name.show",
                                  defaults={"kind": "$name"})])
    m = Map([resource(name="user"), resource({"name": "page"})])
    assert m.bind("x").match("/page/3") == ("page.show", {"id": 3, "kind": "page"})
    assert m.bind("x").build("user.list") == "/user/"
    with pytest.raises(KeyError):
        Map([resource(other="x")])


def test_custom_rule_factory():
    from stein.routing import RuleFactory

    class Crud(RuleFactory):
        def __init__(self, name):
            self.name = name

        def get_rules(self, map):
            yield Rule(f"/{self.name}/", endpoint=f"{self.name}.list")
            yield Rule(f"/{self.name}/<int:id>", endpoint=f"{self.name}.show")

    m = Map()
    m.add(Crud("books"))
    assert m.bind("x").match("/books/2") == ("books.show", {"id": 2})
    with pytest.raises(NotImplementedError):
        Map([RuleFactory()])


def test_map_adapter_match_build_and_allowed_methods():
    m = Map([Rule("/items/", endpoint="items", methods=["GET", "POST"]),
             Rule("/items/<int:id>", endpoint="item", methods=["GET"])])
    adapter = m.bind("Example.com", "/app")
    assert adapter.server_name == "example.com"
    assert adapter.match("/items/5") == ("item", {"id": 5})
    rule, values = adapter.match("/items/5", return_rule=True)
    assert isinstance(rule, Rule) and rule.endpoint == "item" and values == {"id": 5}
    assert adapter.match("/items/", method="post") == ("items", {})
    with pytest.raises(MethodNotAllowed) as e:
        adapter.match("/items/5", method="DELETE")
    assert set(e.value.valid_methods) == {"GET", "HEAD"}
    with pytest.raises(NotFound):
        adapter.match("/nope")
    assert sorted(adapter.allowed_methods("/items/")) == ["GET", "HEAD", "POST"]
    assert adapter.allowed_methods("/nope") == []
    assert adapter.test("/items/1") and not adapter.test("/nope")
    assert adapter.build("item", {"id": 5}) == "/app/items/5"
    assert adapter.build("item", {"id": 5, "q": "a b"}) == "/app/items/5?q=a+b"
    assert adapter.build("item", {"id": 5, "q": None}) == "/app/items/5"
    assert adapter.build("item", {"id": 5}, force_external=True) == \
        "http://example.com/app/items/5"
    assert adapter.build("item", {"id": 5}, force_external=True, url_scheme="https") == \
        "https://example.com/app/items/5"
    with pytest.raises(BuildError):
        adapter.build("item")


def test_map_adapter_build_takes_a_multidict():
    from stein.datastructures import MultiDict

    adapter = Map([Rule("/s", endpoint="s")]).bind("x")
    assert adapter.build("s", MultiDict([("tag", "a"), ("tag", "b"), ("one", "1")])) == \
        "/s?tag=a&tag=b&one=1"


def test_map_adapter_redirects_are_absolute_and_keep_the_query():
    m = Map([Rule("/dir/", endpoint="dir")])
    adapter = m.bind("example.com", "/mnt", url_scheme="https")
    with pytest.raises(RequestRedirect) as e:
        adapter.match("/dir", query_args={"a": "1"})
    assert e.value.new_url == "https://example.com/mnt/dir/?a=1"
    assert adapter.test("/dir")  # a redirect is a match
    assert isinstance(adapter.dispatch(lambda endpoint, values: endpoint, "/dir"),
                      RequestRedirect)
    assert adapter.dispatch(lambda endpoint, values: endpoint, "/dir/") == "dir"


def test_bind_to_environ_reads_host_script_path_and_subdomain():
    m = Map([Rule("/", endpoint="index"), Rule("/", endpoint="api", subdomain="api")])
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "api.example.com:80",
               "SCRIPT_NAME": "/root", "PATH_INFO": "/", "REQUEST_METHOD": "GET",
               "QUERY_STRING": "x=1", "SERVER_NAME": "ignored", "SERVER_PORT": "80"}
    adapter = m.bind_to_environ(environ, server_name="example.com")
    assert (adapter.server_name, adapter.subdomain, adapter.script_name) == \
        ("example.com", "api", "/root/")
    assert adapter.match() == ("api", {})
    assert adapter.build("index") == "http://example.com/root/"
    # Without a server name the host is the server name, and there is no subdomain.
    plain = m.bind_to_environ(environ)
    assert (plain.server_name, plain.subdomain) == ("api.example.com", "")
    assert plain.match() == ("index", {})
    # A host outside the server name matches no subdomain rule.
    with pytest.warns(UserWarning, match="not under the server name"):
        other = m.bind_to_environ({**environ, "HTTP_HOST": "evil.test"},
                                  server_name="example.com")
    assert other.subdomain == "<invalid>"
    with pytest.raises(NotFound):
        other.match()


def test_bind_to_environ_takes_a_request_and_decodes_the_path():
    m = Map([Rule("/caf\u00e9", endpoint="cafe")])
    # WSGI's PATH_INFO: the UTF-8 bytes of the path, one latin-1 character each.
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "localhost",
               "PATH_INFO": "/caf\u00e9".encode().decode("latin-1"), "REQUEST_METHOD": "GET"}

    class FakeRequest:
        pass

    req = FakeRequest()
    req.environ = environ  # type: ignore[attr-defined]
    assert m.bind_to_environ(req).match() == ("cafe", {})
    assert m.bind_to_environ(environ).match() == ("cafe", {})


def test_websocket_mismatch():
    from stein.exceptions import BadRequest
    from stein.routing import WebsocketMismatch

    m = Map([Rule("/ws", endpoint="ws", websocket=True), Rule("/http", endpoint="http")])
    with pytest.raises(WebsocketMismatch):
        m.bind("x").match("/ws")
    assert m.bind("x", url_scheme="wss").match("/ws") == ("ws", {})
    with pytest.raises(WebsocketMismatch):
        m.bind("x").match("/http", websocket=True)
    assert issubclass(WebsocketMismatch, BadRequest)


def test_app_url_map_bind_matches_the_app_rules(app):
    @app.route("/hello/<name>")
    def hello(name):
        return name

    adapter = app.url_map.bind("dev.null")
    assert adapter.match("/hello/x") == ("hello", {"name": "x"})
    with pytest.raises(NotFound):
        adapter.match("/nothing")


def test_werkzeug_routing_names_under_compat():
    import subprocess
    import sys

    code = (
        "import stein.compat; stein.compat.install()\n"
        "from werkzeug.routing import (Map, Rule, Submount, Subdomain, EndpointPrefix,"
        " RuleTemplate, RuleFactory, MapAdapter, BaseConverter, UnicodeConverter, AnyConverter,"
        " PathConverter, IntegerConverter, FloatConverter, UUIDConverter, ValidationError,"
        " BuildError, RequestRedirect, WebsocketMismatch, RoutingException)\n"
        "from werkzeug.routing.converters import NumberConverter\n"
        "from werkzeug.routing.map import MapAdapter as M2\n"
        "assert M2 is MapAdapter\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_build_prefers_the_rule_taking_more_values_and_get_without_method():
    m = Map([Rule("/myview/", endpoint="v", methods=["GET"]),
             Rule("/myview/<int:id>", endpoint="v", methods=["GET"]),
             Rule("/myview/create", endpoint="v", methods=["POST"])])
    adapter = m.bind("x")
    assert adapter.build("v", {"id": 42}) == "/myview/42"
    assert adapter.build("v", {"id": 42}, method="GET") == "/myview/42"
    assert adapter.build("v") == "/myview/"
    assert adapter.build("v", method="POST") == "/myview/create"
    # Registration order is kept for iter_rules.
    assert [r.rule for r in m.iter_rules("v")] == ["/myview/", "/myview/<int:id>", "/myview/create"]
    assert m.iter_rules("v").__next__().build_compare_key() == (0, 0, 0)


def test_build_without_method_falls_back_to_other_methods():
    m = Map([Rule("/only-post", endpoint="p", methods=["POST"])])
    assert m.bind("x").build("p") == "/only-post"


def test_defaults_win_over_matched_values_as_in_werkzeug():
    m = Map([Rule("/<name>", endpoint="n", defaults={"name": "fixed"}),
             Rule("/page/<int:n>", endpoint="p", defaults={"kind": "page"})])
    assert m.match("/anything") == (next(m.iter_rules("n")), {"name": "fixed"})
    assert m.match("/page/2")[1] == {"n": 2, "kind": "page"}


def test_redirect_defaults_sends_to_the_canonical_url():
    m = Map([Rule("/", endpoint="show", defaults={"page": "home"}),
             Rule("/page/<page>", endpoint="show", defaults={"page": "home"}),
             Rule("/all/", endpoint="list", defaults={"n": 1}),
             Rule("/all/<int:n>", endpoint="list")])
    assert m.match("/")[1] == {"page": "home"}
    with pytest.raises(RequestRedirect) as e:
        m.match("/page/x")
    assert e.value.new_url == "/"
    # Different arguments: no redirect.
    assert m.match("/all/3")[1] == {"n": 3}
    off = Map([Rule("/", endpoint="show", defaults={"page": "home"}),
               Rule("/page/<page>", endpoint="show", defaults={"page": "home"})],
              redirect_defaults=False)
    assert off.match("/page/x")[1] == {"page": "home"}


def test_blueprint_url_defaults_redirect_like_flask(app, client):
    from stein import Blueprint

    bp = Blueprint("pages", __name__, url_defaults={"page": "home"})

    @bp.route("/page/<page>")
    @bp.route("/")
    def show(page):
        return page

    app.register_blueprint(bp)
    assert client.get("/").text == "home"
    rv = client.get("/page/x")
    assert rv.status_code == 308 and rv.headers["Location"].endswith("/")


def test_redirect_defaults_from_a_rule_without_defaults():
    # Werkzeug's classic case: /page/1 is the same page as "/", which is canonical.
    m = Map([Rule("/", endpoint="list", defaults={"page": 1}),
             Rule("/page/<int:page>", endpoint="list")])
    with pytest.raises(RequestRedirect) as e:
        m.match("/page/1")
    assert e.value.new_url == "/"
    assert m.match("/page/2")[1] == {"page": 2}
    assert m.match("/")[1] == {"page": 1}
    # Empty defaults make no rule canonical (Flask's blueprints pass {}).
    plain = Map([Rule("/a/<x>", endpoint="e", defaults={}), Rule("/b/<x>", endpoint="e", defaults={})])
    assert plain.match("/b/1")[1] == {"x": "1"}
