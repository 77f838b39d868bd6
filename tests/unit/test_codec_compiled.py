"""bloop.codec's compiled codecs give exactly the results and errors of the generic code."""
import datetime
import decimal
import enum
import uuid

import pytest
from hypothesis import given, settings, strategies as st

import bloop
from bloop import (
    JSON, UUID, BaseModel, Binary, Boolean, Column, DateTime, DynamicList, DynamicMap, Enum, Float,
    GlobalSecondaryIndex, Integer, List, Map, Number, Set, String, Timestamp,
)
from bloop.codec import (
    _dump_key_generic, _from_item_generic, _load_into_generic, _to_item_generic, compile_codec, dump_key,
    key_identity, load_into, record_put,
)
from bloop.tracking import SNAPSHOT, record_all, snapshot
from tests.unit.helpers import Point, Upper, dynamodb_client

UTC = datetime.timezone.utc
PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))


class Color(enum.Enum):
    red = 1
    blue = 2


class Everything(BaseModel):
    id = Column(String, hash_key=True)
    sort = Column(Integer, range_key=True)
    s = Column(String, dynamo_name="s-renamed")
    n = Column(Number)
    i = Column(Integer)
    f = Column(Float)
    b = Column(Binary)
    flag = Column(Boolean)
    u = Column(UUID)
    dt = Column(DateTime)
    ts = Column(Timestamp)
    e = Column(Enum(Color))
    j = Column(JSON)
    ss = Column(Set(String))
    ns = Column(Set(Integer))
    fs = Column(Set(Float))
    ds = Column(Set(Number))
    bs = Column(Set(Binary))
    li = Column(List(Integer))
    ls = Column(List(String))
    lm = Column(List(Map(a=String, b=List(Float))))
    m = Column(Map(color=String, size=Integer, ok=Boolean, when=Timestamp, tags=Set(String), raw=Binary))
    dl = Column(DynamicList)
    dm = Column(DynamicMap)
    point = Column(Point)
    upper = Column(Upper)
    email = Column(String)
    by_email = GlobalSecondaryIndex(projection="keys", hash_key="email")


class Plain(BaseModel):
    id = Column(String, hash_key=True)
    n = Column(Number, range_key=True)
    name = Column(String)


def full(**changes):
    values = dict(
        id="a", sort=1, s="text \u00e9", n=decimal.Decimal("10.50"), i=-7, f=0.25, b=b"\x00\xff", flag=False,
        u=uuid.UUID(int=5), dt=datetime.datetime(2020, 5, 6, 7, 8, 9, 10, tzinfo=UTC),
        ts=datetime.datetime(2021, 1, 1, tzinfo=UTC), e=Color.blue, j={"k": [1, 2]}, ss={"x", "y"}, ns={1, 2},
        fs={0.5}, ds={decimal.Decimal("1.5")}, bs={b"a", b"b"}, li=[1, None, 3], ls=["a", ""],
        lm=[{"a": "x", "b": [1.5]}, None],
        m={"color": "red", "size": 3, "ok": True, "when": None, "tags": {"t"}, "raw": b"\x01"},
        dl=[1, "a", None, {"x": b"\x02"}], dm={"k": {1, 2}, "n": None}, point=(1, 2), upper="abc", email="e@x")
    values.update(changes)
    return Everything(**values)


def outcome(fn, *args, **kwargs):
    """The result of fn, or (exception type, message, type of its cause)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as error:  # the point is to compare whatever is raised
        return ("error", type(error), str(error), type(error.__cause__))


def same_dump(obj, validate=True):
    fast = outcome(bloop.to_item, obj, validate=validate)
    slow = outcome(_to_item_generic, obj, validate)
    assert fast == slow
    return fast


DUMP_CASES = [
    {},
    # values off the fast paths: subclasses, tuples, frozensets, Decimals, bounds
    dict(s=type("S", (str,), {})("sub")), dict(i=10 ** 40), dict(i=-(10 ** 37)), dict(n=3), dict(n=2.5),
    dict(f=0.0), dict(f=-0.0), dict(f=1e-200), dict(f=1e130), dict(f=7), dict(f=decimal.Decimal("1.5")),
    dict(b=bytearray(b"x")), dict(b=memoryview(b"y")), dict(ss=frozenset({"x"})), dict(ss=["x", "y"]),
    dict(ss=set()), dict(ns={True}), dict(li=(1, 2)), dict(li=[]), dict(m={}), dict(m={"color": None}),
    dict(ts=datetime.datetime(2021, 1, 1, 0, 0, 0, 500, tzinfo=UTC)),
    dict(ts=datetime.datetime(2021, 1, 1, tzinfo=PLUS_TWO)), dict(ts=datetime.datetime(1960, 1, 1, tzinfo=UTC)),
    dict(dt=datetime.datetime(2021, 1, 1, tzinfo=PLUS_TWO)), dict(sort=True), dict(li=[1.5]),
    dict(lm=[{"a": "x", "b": None}]), dict(dm={"deep": {"a": {"b": [b"z"]}}}),
    # errors: each must be the generic one, naming the column
    dict(s=5), dict(i="1"), dict(i=True), dict(i=1.0), dict(n="x"), dict(n=float("nan")),
    dict(n=decimal.Decimal("1" * 39)), dict(f=float("inf")), dict(f=True), dict(b="x"), dict(flag=1),
    dict(u="x"), dict(dt=datetime.datetime(2020, 1, 1)), dict(ts=datetime.datetime(2020, 1, 1)),
    dict(ts="2020"), dict(e="red"), dict(j={1, 2}), dict(ss={"x", 1}), dict(ss="x"), dict(ns={1, 1.0, 2}),
    dict(li=[1, "2"]), dict(li={1, 2}), dict(m={"nope": 1}), dict(m={"size": "3"}), dict(m=[1]),
    dict(lm=[{"a": 1}]), dict(dl=[object()]), dict(dm={1: "x"}), dict(point=[1, 2]), dict(upper=5),
    # key and item checks
    dict(id=""), dict(id=None), dict(sort=None), dict(id="\u00e9" * 1024), dict(id="\u00e9" * 1025),
    dict(id="x" * 2049), dict(email=""), dict(email="x" * 2049), dict(s="x" * 409_000),
    # text DynamoDB cannot store (a lone surrogate), wherever a string goes
    dict(s="\ud800"), dict(s="caf\u00e9 \udfff"), dict(id="\ud800"), dict(email="a\udc00"), dict(ss={"a", "\ud800"}),
    dict(ls=["ok", "\ud800"]), dict(m={"color": "\ud800"}), dict(lm=[{"a": "\ud800"}]), dict(dm={"\ud800": 1}),
    dict(dm={"k": ["\ud800"]}), dict(dl=[{"\ud800": None}]), dict(upper="\ud800"), dict(s="\ud800", i="x"),
    # maps loaded with keys their type does not declare: written back, and sized, whole
    dict(m=Everything.m.typedef._load({"M": {"color": {"S": "c"}, "extra": {"S": "x" * 500}}})),
    dict(lm=Everything.lm.typedef._load({"L": [{"M": {"a": {"S": "x"}, "extra": {"L": [{"N": "1"}]}}}]})),
    dict(m=Everything.m.typedef._load({"M": {"extra": {"S": "x" * 409_000}}})),
]


@pytest.mark.parametrize("changes", DUMP_CASES, ids=[f"{i}-{sorted(c)}" for i, c in enumerate(DUMP_CASES)])
def test_dump_matches_the_generic_code(changes):
    obj = full(**changes)
    same_dump(obj)
    same_dump(obj, validate=False)
    assert outcome(dump_key, obj) == outcome(_dump_key_generic, obj)


def test_undeclared_map_keys_are_written_back_and_sized():
    obj = bloop.from_item(Everything, {**good_item(), "m": {"M": {"size": {"N": "1"}, "extra": {"S": "x" * 500}}}})
    assert obj.m == {"size": 1}
    item = same_dump(obj)[1]
    assert item["m"] == {"M": {"size": {"N": "1"}, "extra": {"S": "x" * 500}}}
    assert same_dump(full(m=obj.m, s="x" * 408_900))[1] is bloop.LimitExceeded


class Nested(BaseModel):
    id = Column(String, hash_key=True)
    doc = Column(Map(name=String, geo=Map(lat=Float), rows=List(Map(n=Integer))))


@pytest.mark.parametrize("doc, kept", [
    ({"name": {"S": "a"}}, False),
    ({"name": {"S": "a"}, "other": {"S": "b"}}, True),
    ({"geo": {"M": {"lat": {"N": "1.5"}, "alt": {"N": "3"}}}}, True),  # kept one level down
    ({"geo": {"M": {"lat": {"N": "1.5"}}}, "rows": {"L": [{"M": {"n": {"N": "1"}, "x": {"S": "y"}}}]}}, False),
])
def test_undeclared_map_keys_load_alike_compiled_and_generic(doc, kept):
    from bloop.containers import TrackedMap
    item = {"id": {"S": "a"}, "doc": {"M": doc}}
    for obj in (bloop.from_item(Nested, item), _from_item_generic(Nested, item)):
        assert (type(obj.doc) is TrackedMap) is kept  # a glance tells whether any map in it keeps keys
        assert bloop.to_item(obj) == _to_item_generic(obj) == item
        assert state(obj)[1]["doc"] == item["doc"]


def test_lone_surrogates_are_refused_naming_the_column():
    for changes, column in ((dict(s="\ud800"), "s"), (dict(id="\ud800"), "id"), (dict(dm={"\ud800": 1}), "dm"),
                            (dict(ss={"\udfff"}), "ss"), (dict(lm=[{"a": "x\ud800"}]), "lm")):
        for validate in (True, False):
            result = same_dump(full(**changes), validate)
            assert result[:2] == ("error", bloop.InvalidValue)
            assert result[2].startswith(f"Everything.{column}: ") and "lone surrogate" in result[2]
    assert outcome(dump_key, full(id="\ud800"))[2].startswith("Everything.id: ")


def test_dump_nesting_and_size_errors_match():
    deep = "leaf"
    for _ in range(40):
        deep = {"k": deep}
    assert same_dump(full(dm=deep))[0] == "error"
    assert same_dump(full(dm=deep, id=None))[1] is bloop.MissingKey  # keys are checked first
    assert same_dump(full(s="x" * 500_000))[1] is bloop.LimitExceeded


def test_sizes_are_exact_up_to_the_limit():
    item = bloop.to_item(full(s=""))
    overhead = bloop.codec.item_size(item) - len("s-renamed") - 0
    at_limit = full(s="x" * (409_600 - overhead - len("s-renamed")))
    assert bloop.codec.item_size(same_dump(at_limit)[1]) == 409_600
    assert same_dump(full(s="x" * (409_600 - overhead - len("s-renamed") + 1)))[1] is bloop.LimitExceeded


@settings(max_examples=150, deadline=None)
@given(value=st.floats(-9e125, 9e125).filter(lambda v: v == 0 or abs(v) >= 1e-130)
       | st.sampled_from([-0.5, 123.0, 1e16, 1e-7, 1e-130]))
def test_float_sizes_are_exact_up_to_the_limit(value):
    # the compiled code sizes a float from its repr without the generic walk
    overhead = bloop.codec.item_size(_to_item_generic(full(f=value, s=""), False)) - len("s-renamed")
    room = 409_600 - overhead - len("s-renamed")
    assert same_dump(full(f=value, s="x" * room))[0] == "ok"
    assert same_dump(full(f=value, s="x" * (room + 1)))[1] is bloop.LimitExceeded


def state(obj):
    snapshot(obj)  # made from the loaded values, as a save would
    values = dict(obj.__dict__)
    return values, values.pop(SNAPSHOT, None)


def same_load(item, projected=None):
    fast = outcome(bloop.from_item, Everything, item)
    slow = outcome(_from_item_generic, Everything, item)
    if fast[0] == "ok" and slow[0] == "ok":
        assert state(fast[1]) == state(slow[1])
        assert type(fast[1]) is Everything
    else:
        assert fast == slow
    # load_into an object that already holds values, with and without a projection
    for columns in (None, projected):
        a, b = full(), full()
        fast = outcome(load_into, a, item, columns)
        slow = outcome(_load_into_generic, b, item, columns)
        if fast[0] == "ok" and slow[0] == "ok":
            assert state(a) == state(b)
        else:
            assert fast == slow
    return fast


def good_item():
    return bloop.to_item(full())


LOAD_CASES = [
    {},
    {"id": {"S": "x"}},
    {"id": {"NULL": True}, "i": {"NULL": True}, "li": {"L": [{"NULL": True}]}},
    {"i": {"N": "1.0"}, "sort": {"N": "1E3"}, "ns": {"NS": ["1.0", "2"]}, "li": {"L": [{"N": "2.0"}]}},
    {"ts": {"N": "1.5"}, "f": {"N": "1E2"}, "n": {"N": "-0"}},
    {"ts": {"N": "-86400"}},
    {"m": {"M": {"color": {"S": "c"}, "extra": {"S": "?"}}}, "lm": {"L": [{"M": {}}]}},
    {"unknown": {"S": "?"}},
    # errors
    {"id": {"N": "1"}}, {"i": {"N": "x"}}, {"i": {"S": "1"}}, {"f": {"N": "abc"}}, {"u": {"S": "nope"}},
    {"e": {"S": "green"}}, {"j": {"S": "{"}}, {"dt": {"S": "yesterday"}}, {"ts": {"S": "1"}},
    {"ss": {"L": []}}, {"li": {"L": [{"S": "1"}]}}, {"m": {"M": {"size": {"S": "1"}}}}, {"flag": "yes"},
    {"point": {"S": "1"}}, {"dl": {"L": [{"Q": 1}]}},
    # numbers: a fraction in an Integer, malformed numbers anywhere
    {"i": {"N": "2.5"}}, {"sort": {"N": "0.5"}}, {"ns": {"NS": ["1", "2.5"]}}, {"li": {"L": [{"N": "1.5"}]}},
    {"m": {"M": {"size": {"N": "3.5"}}}}, {"n": {"N": "abc"}}, {"ds": {"NS": ["1", "x"]}}, {"ts": {"N": "1.x"}},
    {"fs": {"NS": ["?"]}}, {"dm": {"M": {"a": {"N": "--1"}}}}, {"dl": {"L": [{"NS": ["1", ""]}]}},
]


@pytest.mark.parametrize("changes", LOAD_CASES, ids=[repr(c)[:60] for c in LOAD_CASES])
def test_load_matches_the_generic_code(changes):
    item = {**good_item(), **changes}
    same_load(item, [Everything.id, Everything.sort, Everything.s, Everything.li, Everything.m])
    same_load(changes, [Everything.id, Everything.email])


def test_round_trip_through_the_compiled_codec():
    obj = full()
    loaded = bloop.from_item(Everything, bloop.to_item(obj))
    for column in Everything.Meta.columns:
        expected = getattr(obj, column.name)
        if column.name == "li":
            expected = [1, None, 3]
        elif column.name == "lm":
            expected = [{"a": "x", "b": [1.5]}, None]
        elif column.name == "m":
            expected = {k: v for k, v in expected.items() if v is not None}
        elif column.name == "dm":
            expected = {"k": {1, 2}, "n": None}
        elif column.name == "upper":
            expected = "ABC"
        assert getattr(loaded, column.name) == expected, column.name


def test_codec_is_compiled_once_per_model_and_not_inherited():
    codec = compile_codec(Everything.Meta)
    assert compile_codec(Everything.Meta) is codec
    assert "def to_item(obj):" in codec.source

    class Child(Everything):
        extra = Column(String)

    assert compile_codec(Child.Meta) is not codec
    item = bloop.to_item(Child(id="a", sort=1, extra="x"))
    assert item["extra"] == {"S": "x"} and type(bloop.from_item(Child, item)) is Child


def test_dump_key_with_other_columns_and_number_keys():
    assert dump_key(full(), [Everything.email]) == {"email": {"S": "e@x"}}
    for value in (1, decimal.Decimal("1.0"), 2.5, 10 ** 40):
        obj = Plain(id="a", n=value)
        assert outcome(dump_key, obj) == outcome(_dump_key_generic, obj)


@pytest.mark.parametrize("a, b, equal", [
    ({"k": {"N": "1"}}, {"k": {"N": "1.0"}}, True),
    ({"k": {"N": "100"}}, {"k": {"N": "1E2"}}, True),
    ({"k": {"N": "-0"}}, {"k": {"N": "0.0"}}, True),
    ({"k": {"N": "1"}}, {"k": {"S": "1"}}, False),
    ({"h": {"S": "a"}, "r": {"N": "2"}}, {"r": {"N": "2.00"}, "h": {"S": "a"}}, True),
    ({"h": {"S": "a"}, "r": {"N": "2"}}, {"h": {"S": "a"}, "r": {"N": "3"}}, False),
    ({"h": {"B": b"a"}, "r": {"B": b"b"}, "x": {"S": "c"}}, {"x": {"S": "c"}, "r": {"B": b"b"}, "h": {"B": b"a"}},
     True),
])
def test_key_identity(a, b, equal):
    left, right = key_identity("t", a), key_identity("t", b)
    assert (left == right) is equal
    if equal:
        assert hash(left) == hash(right)
    assert key_identity("t", a) != key_identity("u", a)


@pytest.mark.parametrize("changes", [{}, dict(ss=set(), s=None, li=[], m={}), dict(dm={"a": [1]}, j=None)])
def test_recording_a_put_matches_the_generic_code(changes):
    obj = full(**changes)
    item = bloop.to_item(obj)
    record_all(obj, type(obj).Meta.columns, item)
    expected = obj.__dict__.pop(SNAPSHOT)
    record_put(obj, item)
    assert obj.__dict__[SNAPSHOT] == expected


def test_binding_compiles_the_codec():
    class Fresh(BaseModel):
        id = Column(String, hash_key=True)

    assert "_bloop_codec" not in Fresh.Meta.__dict__
    bloop.Engine(dynamodb_client()).bind(Fresh, skip_table_setup=True)
    assert Fresh.Meta.__dict__["_bloop_codec"] is compile_codec(Fresh.Meta)


# ---------------------------------------------------------------------------------------
# the builders: keys of every kind, and the types' fast-path rules

class TimedKeys(BaseModel):
    when = Column(Timestamp, hash_key=True)
    at = Column(Float, range_key=True)


class UuidKeys(BaseModel):
    id = Column(UUID, hash_key=True)
    day = Column(DateTime, range_key=True)
    n = Column(Integer)


class BinaryKeys(BaseModel):
    id = Column(Binary, hash_key=True)
    kind = Column(Enum(Color), range_key=True)


KEYED = [
    TimedKeys(when=datetime.datetime(2021, 1, 1, tzinfo=UTC), at=0.5),
    TimedKeys(when=datetime.datetime(1960, 1, 1, tzinfo=UTC), at=-2.0),
    TimedKeys(when=datetime.datetime(2021, 1, 1, 0, 0, 0, 5, tzinfo=UTC), at=1e200),
    TimedKeys(when=datetime.datetime(2021, 1, 1), at=1.0),
    TimedKeys(when=datetime.datetime(2021, 1, 1, tzinfo=PLUS_TWO), at=float("nan")),
    TimedKeys(at=1.0), TimedKeys(when=datetime.datetime(2021, 1, 1, tzinfo=UTC), at=True),
    UuidKeys(id=uuid.UUID(int=1), day=datetime.datetime(2021, 1, 1, tzinfo=UTC), n=3),
    UuidKeys(id="x", day=datetime.datetime(2021, 1, 1, tzinfo=UTC)), UuidKeys(id=uuid.UUID(int=1)),
    BinaryKeys(id=b"a", kind=Color.red), BinaryKeys(id=b"", kind=Color.red), BinaryKeys(id=b"x" * 2049, kind=Color.red),
    BinaryKeys(id=b"a", kind="red"), Plain(id="a", n=10 ** 38), Plain(id="a", n=-(10 ** 37)),
    Plain(id="\ud800", n=1), Plain(id="", n=1), Plain(id="x" * 2048, n=1), Plain(id="x" * 2049, n=1),
]


@pytest.mark.parametrize("obj", KEYED, ids=[repr(o)[:60] for o in KEYED])
def test_keys_of_every_kind_match_the_generic_code(obj):
    assert outcome(dump_key, obj) == outcome(_dump_key_generic, obj)
    assert outcome(bloop.to_item, obj) == outcome(_to_item_generic, obj)
    assert outcome(bloop.to_item, obj, validate=False) == outcome(_to_item_generic, obj, False)


SCALARS = [
    (String(), ["", "abc", "caf\u00e9", "\ud800", type("S", (str,), {})("sub"), 5]),
    (Integer(), [0, -1, 10 ** 38 - 1, 10 ** 38, -(10 ** 38), True, 1.0, "1"]),
    (Number(), [0, 7, -(10 ** 37), decimal.Decimal("1.5"), 2.5, "1"]),
    (Float(), [0.5, -2.25, 1e-130, 1e-131, 1e125, 1e126, 0.0, float("inf"), 3, "x"]),
    (Boolean(), [True, False, 1, None.__class__]),
    (Binary(), [b"", b"\x00", bytearray(b"x"), "x"]),
    (Timestamp(), [datetime.datetime(2021, 1, 1, tzinfo=UTC), datetime.datetime(1969, 12, 31, tzinfo=UTC),
                   datetime.datetime(2021, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
                   datetime.datetime(2021, 1, 1, tzinfo=PLUS_TWO)]),
    (Set(String), [{"a", "b"}, frozenset({"a"}), set(), {"\ud800"}, {"a", 1}, ["a"]]),
]


def run_fragment(source, **names):
    namespace = dict(bloop.types.INLINE_NAMES, **names)
    exec(compile(source, "<fragment>", "exec"), namespace)  # noqa: S102 - the rule under test
    return namespace


@pytest.mark.parametrize("typedef, values", SCALARS, ids=[repr(t) for t, _ in SCALARS])
@pytest.mark.parametrize("sized", [True, False])
def test_a_types_dump_rule_agrees_with_its_dump(typedef, values, sized):
    rule = typedef._inline_dump("v", sized)
    for value in values:
        # the condition may bind names the wire reads (as the generated code runs them)
        source = f"ok = bool({rule.condition})\nif ok:\n    wire = {{{rule.kind!r}: (_s := {rule.inner})}}\n" \
            f"    size = {rule.size}"
        try:
            ns = run_fragment(source, v=value)
            if not ns["ok"]:
                continue  # off the fast path: _dump decides
        except UnicodeEncodeError:  # sizing finds text DynamoDB cannot store, which _dump refuses
            assert sized
            with pytest.raises(bloop.InvalidValue):
                typedef._dump(value)
            continue
        expected = typedef._dump(value)
        if rule.kind == "SS":
            assert sorted(ns["wire"]["SS"]) == sorted(expected["SS"])
        else:
            assert ns["wire"] == expected
        if sized:
            assert ns["size"] == bloop.codec.checks._value_size(expected)
        else:
            assert bloop.codec.item_size({"x": expected}) > 0  # text DynamoDB can store


@pytest.mark.parametrize("typedef, wires", [
    (String(), [{"S": "a"}]), (Integer(), [{"N": "1"}, {"N": "-20"}]), (Number(), [{"N": "1.50"}]),
    (Float(), [{"N": "0.25"}, {"N": "1E3"}]), (Boolean(), [{"BOOL": True}]), (Binary(), [{"B": b"x"}]),
    (UUID(), [{"S": str(uuid.UUID(int=3))}]), (DateTime(), [{"S": "2021-01-01T00:00:00.000000+00:00"}]),
    (Timestamp(), [{"N": "0"}, {"N": "-86400"}]), (JSON(), [{"S": '{"a":[1]}'}]),
    (Set(String), [{"SS": ["a"]}]), (Set(Integer), [{"NS": ["1", "2"]}]), (Set(Float), [{"NS": ["0.5"]}]),
    (Set(Number), [{"NS": ["1.5"]}]), (Set(Binary), [{"BS": [b"a"]}]),
])
def test_a_types_load_rule_agrees_with_its_load(typedef, wires):
    rule = typedef._inline_load("w")
    for wire in wires:
        loaded = run_fragment(f"value = {rule}", w=wire)["value"]
        expected = typedef._load(wire)
        assert loaded == expected and type(loaded) is type(expected)


def test_no_fast_path_for_a_users_subclass_or_a_type_without_a_rule():
    from bloop.codec.compiler import _inline_dump

    class Shouting(String):
        def dynamo_dump(self, value, *, context=None):
            return value.upper()

    assert _inline_dump(Shouting(), "v", True) is None
    assert _inline_dump(String(), "v", True) is not None
    for typedef in (UUID(), DateTime(), Enum(Color), JSON(), Set(Integer), List(String), DynamicMap()):
        assert _inline_dump(typedef, "v", True) is None
    for typedef in (Enum(Color), List(String), Map(a=String), DynamicList()):
        assert typedef._inline_load("w") is None


def test_a_users_error_passes_untouched_and_a_bloop_error_is_named():
    class Failing(bloop.Type):
        backing_type = "S"

        def dynamo_dump(self, value, *, context=None):
            raise KeyError(value)

        def dynamo_load(self, value, *, context=None):
            raise LookupError(value)

    class Holder(BaseModel):
        id = Column(String, hash_key=True)
        f = Column(Failing)

    for compiled, generic in ((bloop.to_item, _to_item_generic),):
        fast, slow = outcome(compiled, Holder(id="a", f="x")), outcome(generic, Holder(id="a", f="x"))
        assert fast == slow and fast[1] is KeyError
    item = {"id": {"S": "a"}, "f": {"S": "x"}}
    assert outcome(bloop.from_item, Holder, item) == outcome(_from_item_generic, Holder, item)
    assert outcome(bloop.from_item, Holder, item)[1] is LookupError
