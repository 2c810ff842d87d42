"""Tagged JSON (stein.json_tag), and the session fast path held to it."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import date, datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from stein import Stein, session
from stein.json import DefaultJSONProvider
from stein.json_tag import JSONTag, PassDict, TagDict, TaggedJSONSerializer
from stein.sessions import (
    SecureCookieSessionInterface,
    _dumps_json,
    _loads_json,
    session_json_serializer,
)

PROPS = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("value", [
    {" t": (1, 2, 3)}, {" t__": b"a"}, {" di": " di"}, {"x": (1, 2, 3), "y": 4},
    (1, 2, 3), [(1, 2, 3)], b"\xff", Markup("<html>"), uuid.UUID(int=7),
    datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc), {"nested": [{"b": b"\x00"}]},
])
def test_round_trip_keeps_types(value: Any) -> None:
    s = TaggedJSONSerializer()
    back = s.loads(s.dumps(value))
    assert back == value and type(back) is type(value)


def test_the_tagged_text() -> None:
    s = TaggedJSONSerializer()
    assert s.dumps((1, b"\x01")) == '{" t":[1,{" b":"AQ=="}]}'
    assert s.dumps({" b": "x"}) == '{" di":{" b__":"x"}}'
    assert s.dumps(Markup("<b>")) == '{" m":"<b>"}'
    assert s.dumps(uuid.UUID(int=1)) == '{" u":"00000000000000000000000000000001"}'
    assert s.dumps(datetime(2024, 1, 2, 3, 4, 5)) == '{" d":"Tue, 02 Jan 2024 03:04:05 GMT"}'
    # A naive datetime is taken as UTC and comes back aware.
    assert s.loads('{" d":"Tue, 02 Jan 2024 03:04:05 GMT"}') == datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    # An object with an unknown tag key, or with two keys, is plain data.
    assert s.loads('{" zz":1}') == {" zz": 1}
    assert s.loads('{" t":[1]," b":2}') == {" t": [1], " b": 2}


def test_register_force_and_index() -> None:
    class TagOther(JSONTag):
        __slots__ = ()
        key = " d"

    s = TaggedJSONSerializer()
    with pytest.raises(KeyError, match="already registered"):
        s.register(TagOther)
    s.register(TagOther, force=True, index=0)
    assert isinstance(s.tags[" d"], TagOther) and isinstance(s.order[0], TagOther)
    s.register(PassDict, index=-1)
    assert isinstance(s.order[-2], PassDict)
    assert isinstance(s.order[1], TagDict)


def test_tag_interface_is_abstract() -> None:
    t = JSONTag(TaggedJSONSerializer())
    for method in (t.check, t.to_json, t.to_python):
        with pytest.raises(NotImplementedError):
            method(None)


class TagOrderedDict(JSONTag):
    __slots__ = ()
    key = " od"

    def check(self, value: Any) -> bool:
        return isinstance(value, OrderedDict)

    def to_json(self, value: Any) -> Any:
        return [[k, self.serializer.tag(v)] for k, v in value.items()]

    def to_python(self, value: Any) -> Any:
        return OrderedDict(value)


def test_custom_tag_in_a_session_goes_through_the_general_path() -> None:
    serializer = TaggedJSONSerializer()
    serializer.register(TagOrderedDict, index=0)
    assert not serializer.is_standard and session_json_serializer.is_standard

    class Interface(SecureCookieSessionInterface):
        pass

    Interface.serializer = serializer
    app = Stein("tagged")
    app.config.update(SECRET_KEY="tag-test-key-0123456789", TESTING=True)
    app.session_interface = Interface()

    @app.post("/")
    def put() -> str:
        session["od"] = OrderedDict([("b", (1, 2)), ("a", b"x")])
        return "ok"

    @app.get("/")
    def get() -> str:
        od = session["od"]
        return f"{type(od).__name__} {list(od.items())}"

    client = app.test_client()
    client.post("/")
    assert client.get("/").text == "OrderedDict [('b', (1, 2)), ('a', b'x')]"
    # The default serializer, which other apps use, is untouched.
    assert " od" not in session_json_serializer.tags


def test_subclass_with_own_tags_is_not_standard() -> None:
    class Mine(TaggedJSONSerializer):
        default_tags = [TagOrderedDict, *TaggedJSONSerializer.default_tags]

    assert not Mine().is_standard and TaggedJSONSerializer().is_standard
    assert _dumps_json({"o": OrderedDict(a=1)}, Mine()) == '{"o":{" od":[["a",1]]}}'


# -- the session fast path is the serializer, text for text ----------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=10),
    st.floats(allow_nan=False), st.binary(max_size=20), st.text(max_size=8).map(Markup),
    st.datetimes(timezones=st.just(timezone.utc)), st.datetimes(), st.dates(), st.uuids(),
)
keys = st.one_of(st.text(max_size=6), st.sampled_from([" t", " b", " di", " m", " u", " d"]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=16,
)
payloads = st.dictionaries(keys, values, max_size=6)


def _outcome(f: Any, *args: Any) -> Any:
    try:
        return "ok", f(*args)
    except Exception as e:  # noqa: BLE001 - the error's type is what is compared
        return "error", type(e)


@PROPS
@given(payloads)
def test_fast_dumps_is_the_serializer_outside_an_app(data: dict[str, Any]) -> None:
    assert _outcome(_dumps_json, data) == _outcome(session_json_serializer.dumps, data)


@PROPS
@given(payloads, st.booleans(), st.booleans())
def test_fast_dumps_is_the_serializer_in_an_app(data: dict[str, Any], sort_keys: bool,
                                                ensure_ascii: bool) -> None:
    app = Stein("fast")
    app.json.sort_keys = sort_keys  # type: ignore[attr-defined]
    app.json.ensure_ascii = ensure_ascii  # type: ignore[attr-defined]
    with app.app_context():
        assert _outcome(_dumps_json, data) == _outcome(session_json_serializer.dumps, data)


@PROPS
@given(payloads)
def test_fast_loads_is_the_serializer(data: dict[str, Any]) -> None:
    kind, text = _outcome(session_json_serializer.dumps, data)
    if kind != "ok":
        return
    raw = text.encode()
    assert _outcome(_loads_json, raw) == _outcome(session_json_serializer.loads, raw)
    with Stein("fast-loads").app_context():
        assert _outcome(_loads_json, raw) == _outcome(session_json_serializer.loads, raw)


def test_fast_path_taken_for_plain_values_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = TaggedJSONSerializer.dumps

    def spy(self: TaggedJSONSerializer, value: Any) -> str:
        calls.append(value)
        return real(self, value)

    # Patched on the class after the module's serializer was made: its stock flag stays,
    # so what the spy sees is the fast path's own choice of what to hand over.
    monkeypatch.setattr(TaggedJSONSerializer, "dumps", spy)
    plain = {"user": 1, "name": "ann", "raw": b"\x00", "when": datetime(2024, 1, 1),
             "ids": [1, {"u": uuid.UUID(int=3)}]}
    assert _dumps_json(plain) == real(session_json_serializer, plain)
    assert calls == []
    for value in ({"pair": (1, 2)}, {"html": Markup("<b>")}, {"day": date(2024, 1, 1)},
                  {"x": {" t": 1}}):
        _dumps_json(value)
    assert len(calls) == 4


def test_provider_with_own_dumps_goes_through_it() -> None:
    class Upper(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return super().dumps(obj, **kwargs).upper()

    class App(Stein):
        json_provider_class = Upper

    with App("upper").app_context():
        assert _dumps_json({"a": "x"}) == '{"A":"X"}'
