"""bloop.types: every type dumps to DynamoDB's wire format and loads back, within DynamoDB's rules."""
import copy
import datetime
import decimal
import enum
import json
import pickle
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bloop
from bloop import (
    JSON, UUID, Binary, Boolean, DateTime, DynamicList, DynamicMap, Enum, Float, Integer, List, Map,
    Number, Set, String, Timestamp, Type,
)
from bloop.exceptions import InvalidModel, InvalidType, InvalidValue
from bloop.types import check_number
from tests.unit.helpers import Point, Upper

D = decimal.Decimal
UTC = datetime.timezone.utc


class Color(enum.Enum):
    red = 1
    blue = 2


def roundtrip(typedef, value):
    wire = typedef._dump(value)
    return wire, typedef._load(wire)


# ---------------------------------------------------------------------------------------
# round trips of every type

@pytest.mark.parametrize("typedef, value, wire", [
    (String(), "hello", {"S": "hello"}),
    (String(), "", {"S": ""}),
    (String(), "h\u00e9llo \u2603", {"S": "h\u00e9llo \u2603"}),
    (Number(), D("1.5"), {"N": "1.5"}),
    (Number(), D("-0.001"), {"N": "-0.001"}),
    (Number(), D("0"), {"N": "0"}),
    (Integer(), 0, {"N": "0"}),
    (Integer(), -42, {"N": "-42"}),
    (Integer(), 10 ** 37, {"N": str(10 ** 37)}),
    (Float(), 1.1, {"N": "1.1"}),
    (Float(), -2.5, {"N": "-2.5"}),
    (Float(), 0.0, {"N": "0"}),
    (Binary(), b"\x00\xffdata", {"B": b"\x00\xffdata"}),
    (Binary(), b"", {"B": b""}),
    (Boolean(), True, {"BOOL": True}),
    (Boolean(), False, {"BOOL": False}),
    (UUID(), uuid.UUID("12345678-1234-5678-1234-567812345678"), {"S": "12345678-1234-5678-1234-567812345678"}),
    (Enum(Color), Color.blue, {"S": "blue"}),
    (JSON(), {"b": [1, 2.5, None], "a": "x"}, {"S": '{"a":"x","b":[1,2.5,null]}'}),
    (Set(String), {"a", "b"}, None),
    (Set(Integer), {1, 2, 3}, None),
    (Set(Binary), {b"a", b"b"}, None),
    (List(Integer), [1, 2, 3], {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}),
    (List(String), [], {"L": []}),
    (List(Map(x=Integer)), [{"x": 1}, {}], {"L": [{"M": {"x": {"N": "1"}}}, {"M": {}}]}),
    (Map(name=String, age=Integer), {"name": "a", "age": 3}, {"M": {"name": {"S": "a"}, "age": {"N": "3"}}}),
    (Map(inner=Map(tags=Set(String))), {"inner": {"tags": {"x"}}}, {"M": {"inner": {"M": {"tags": {"SS": ["x"]}}}}}),
    (DynamicList(), [1, "a", b"b", True, None, [D("1.5")], {"k": "v"}],
     {"L": [{"N": "1"}, {"S": "a"}, {"B": b"b"}, {"BOOL": True}, {"NULL": True},
            {"L": [{"N": "1.5"}]}, {"M": {"k": {"S": "v"}}}]}),
    (DynamicMap(), {"a": {"b": {"c": [1, {"d": None}]}}, "s": {"x"}},
     {"M": {"a": {"M": {"b": {"M": {"c": {"L": [{"N": "1"}, {"M": {"d": {"NULL": True}}}]}}}}},
            "s": {"SS": ["x"]}}}),
])
def test_roundtrip(typedef, value, wire):
    dumped, loaded = roundtrip(typedef, value)
    if wire is not None:
        assert dumped == wire
    assert loaded == value
    assert isinstance(loaded, type(value))  # a tracked container is a subclass (bloop.containers)


def test_set_wire_forms():
    assert sorted(Set(String)._dump({"b", "a"})["SS"]) == ["a", "b"]
    assert sorted(Set(Integer)._dump({2, 1})["NS"]) == ["1", "2"]
    assert sorted(Set(Binary)._dump({b"y", b"x"})["BS"]) == [b"x", b"y"]
    assert Set(Number)._load({"NS": ["1.5", "2"]}) == {D("1.5"), D(2)}


def test_type_instance_or_class():
    assert Set(String).inner.__class__ is String
    assert Set(String()).inner.__class__ is String
    with pytest.raises(InvalidModel):
        Set(str)
    with pytest.raises(InvalidModel):
        List(42)


def test_none_dumps_to_nothing_and_null_loads_none():
    for typedef in (String(), Integer(), Set(String), Map(a=String), DynamicMap()):
        assert typedef._dump(None) is None
        assert typedef._load(None) is None
        assert typedef._load({"NULL": True}) is None


def test_load_wrong_wire_type():
    with pytest.raises(InvalidValue):
        String()._load({"N": "1"})
    with pytest.raises(InvalidValue):
        Enum(Color)._load({"S": "green"})


def test_integer_and_number_loads():
    assert Integer()._load({"N": "1E+2"}) == 100
    assert type(Integer()._load({"N": "7"})) is int
    assert Number()._load({"N": "1.10"}) == D("1.10")
    assert type(Float()._load({"N": "3"})) is float


@pytest.mark.parametrize("wire, value", [
    ("2.0", 2), ("20E-1", 2), ("1E+2", 100), ("-0", 0), ("-0.0", 0),
    ("1234567890123456789012345678901234567.0E1", 12345678901234567890123456789012345670),
])
def test_integer_loads_whole_numbers_in_any_form(wire, value):
    loaded = Integer()._load({"N": wire})
    assert loaded == value and type(loaded) is int


@pytest.mark.parametrize("typedef, wire", [
    (Integer(), {"N": "2.5"}), (Integer(), {"N": "-0.1"}), (Integer(), {"N": "1E-1"}),
    (Integer(), {"N": "NaN"}), (Integer(), {"N": "Infinity"}),
    (Set(Integer), {"NS": ["1", "2.5"]}), (List(Integer), {"L": [{"N": "3.75"}]}),
])
def test_integer_refuses_a_fraction_rather_than_truncating_it(typedef, wire):
    # a stored 2.5 loaded as 2 would be saved back as 2
    with pytest.raises(InvalidValue, match="whole number"):
        typedef._load(wire)


@pytest.mark.parametrize("typedef, wire", [
    (Integer(), {"N": "abc"}), (Number(), {"N": "abc"}), (Float(), {"N": "abc"}), (Timestamp(), {"N": "abc"}),
    (Timestamp(), {"N": "1.x"}), (Number(), {"N": ""}), (Set(Number), {"NS": ["1", "x"]}),
    (Set(Integer), {"NS": ["?"]}), (DynamicMap(), {"M": {"k": {"N": "abc"}}}), (DynamicList(), {"L": [{"N": "1..2"}]}),
    (DynamicMap(), {"M": {"k": {"NS": ["1", "abc"]}}}),
])
def test_a_malformed_number_is_invalid_value(typedef, wire):
    with pytest.raises(InvalidValue, match="not a number") as excinfo:
        typedef._load(wire)
    assert isinstance(excinfo.value, ValueError)
    assert not isinstance(excinfo.value, decimal.InvalidOperation)


def test_number_accepts_int_and_float():
    assert Number()._dump(3) == {"N": "3"}
    assert Number()._dump(1.1) == {"N": "1.1"}
    assert Float()._dump(2) == {"N": "2.0"}
    assert Float()._dump(D("0.5")) == {"N": "0.5"}


def test_list_none_elements_are_null():
    assert List(Integer)._dump([1, None]) == {"L": [{"N": "1"}, {"NULL": True}]}
    assert List(Integer)._load({"L": [{"N": "1"}, {"NULL": True}]}) == [1, None]
    assert List(Integer)._dump((1, 2)) == {"L": [{"N": "1"}, {"N": "2"}]}


def test_map_leaves_out_none_and_shows_only_declared_keys():
    typedef = Map(a=String, b=Integer)
    assert typedef._dump({"a": "x", "b": None}) == {"M": {"a": {"S": "x"}}}
    assert typedef._load({"M": {"a": {"S": "x"}, "zzz": {"S": "?"}}}) == {"a": "x"}
    with pytest.raises(InvalidValue, match=r"'c' is not a field of Map\(a=String\(\), b=Integer\(\)\).*DynamicMap"):
        typedef._dump({"c": 1})
    with pytest.raises(InvalidValue, match="DynamicMap"):
        typedef._element("c")


UNDECLARED = Map(a=String, inner=Map(b=String), rows=List(Map(c=String)))
UNDECLARED_WIRE = {"M": {
    "a": {"S": "x"}, "zzz": {"S": "?"},
    "inner": {"M": {"b": {"S": "y"}, "yyy": {"NS": ["1", "2"]}}},
    "rows": {"L": [{"M": {"c": {"S": "z"}, "xxx": {"M": {"deep": {"BOOL": True}}}}}, {"M": {}}]},
}}


def test_a_map_keeps_the_keys_it_does_not_declare():
    value = UNDECLARED._load(UNDECLARED_WIRE)
    # it reads as a dict of the declared keys ...
    assert value == {"a": "x", "inner": {"b": "y"}, "rows": [{"c": "z"}, {}]}
    assert list(value) == ["a", "inner", "rows"] and len(value) == 3 and "zzz" not in value
    # ... and is written back whole, also after changes in place
    assert UNDECLARED._dump(value) == UNDECLARED_WIRE
    value["a"] = "changed"
    value["inner"]["b"] = "changed"
    value["rows"][0].clear()
    dumped = UNDECLARED._dump(value)["M"]
    assert dumped["a"] == {"S": "changed"} and dumped["zzz"] == {"S": "?"}
    assert dumped["inner"] == {"M": {"b": {"S": "changed"}, "yyy": {"NS": ["1", "2"]}}}
    assert dumped["rows"] == {"L": [{"M": {"xxx": {"M": {"deep": {"BOOL": True}}}}}, {"M": {}}]}
    # copies and pickles keep them; a plain dict made from the value does not hold them
    for twin in (copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))):
        assert UNDECLARED._dump(twin(value))["M"]["zzz"] == {"S": "?"}
    assert "zzz" not in UNDECLARED._dump(dict(value))["M"]
    # a Map that declares such a key writes its own value for it, never the kept one
    other = Map(a=String, zzz=Integer)._dump(Map(a=String)._load(UNDECLARED_WIRE))["M"]
    assert sorted(other) == ["a", "inner", "rows"]
    # the value is still what the type loads and JSON sees
    assert json.loads(json.dumps(Map(a=String)._load(UNDECLARED_WIRE))) == {"a": "x"}


# ---------------------------------------------------------------------------------------
# wrong Python types

@pytest.mark.parametrize("typedef, value", [
    (String(), 1),
    (String(), b"bytes"),
    (Number(), "1"),
    (Number(), True),
    (Integer(), 1.5),
    (Integer(), "1"),
    (Integer(), True),
    (Integer(), D("1")),
    (Float(), "1.0"),
    (Float(), False),
    (Binary(), "text"),
    (Boolean(), 1),
    (Boolean(), "true"),
    (UUID(), "12345678-1234-5678-1234-567812345678"),
    (DateTime(), "2020-01-01"),
    (DateTime(), datetime.date(2020, 1, 1)),
    (Timestamp(), 1234),
    (Enum(Color), "red"),
    (JSON(), {"a": object()}),
    (JSON(), {1, 2}),
    (Set(String), "abc"),
    (Set(String), {1, 2}),
    (Set(Integer), {"1"}),
    (List(Integer), {1, 2}),
    (List(Integer), ["a"]),
    (Map(a=String), ["a"]),
    (Map(a=String), {"a": 1}),
    (DynamicList(), {"a": 1}),
    (DynamicMap(), [1]),
    (DynamicMap(), {1: "non-str key"}),
    (DynamicMap(), {"a": object()}),
    (DynamicMap(), {"a": {True, False}}),
    (DynamicList(), [{"nested": {1: "x"}}]),
])
def test_wrong_python_type(typedef, value):
    with pytest.raises(InvalidType) as excinfo:
        typedef._dump(value)
    assert isinstance(excinfo.value, TypeError)
    assert isinstance(excinfo.value, bloop.BloopException)


def test_enum_needs_an_enum_class():
    with pytest.raises(InvalidModel):
        Enum(int)
    assert repr(Enum(Color)) == "Enum(Color)"


# ---------------------------------------------------------------------------------------
# numbers

LARGEST = "9.9999999999999999999999999999999999999E+125"


@pytest.mark.parametrize("value", [
    D("1" * 38),
    D("-" + "9" * 38),
    D("0." + "1" * 38),
    D("1" * 19 + "." + "1" * 19),
    D("1E-130"),
    D("-1E-130"),
    D(LARGEST),
    D("-" + LARGEST),
    D("1" + "0" * 60),               # trailing zeros are not significant
    D("0.000" + "1" * 38),           # nor are leading zeros
    D("1.50000000000000000000000000000000000000000000"),
    D("-0"),
])
def test_number_limits_accepted(value):
    wire = Number()._dump(value)
    assert decimal.Decimal(wire["N"]) == value
    assert Number()._load(wire) == value


@pytest.mark.parametrize("value", [
    D("1" * 39),
    D("0." + "1" * 39),
    D("1" * 20 + "." + "1" * 19),
    D("1." + "0" * 59 + "1"),        # 61 significant digits must not be rounded into range
    D("1E-131"),
    D("9.9999999999999999999999999999999999999E-131"),
    D("1E+126"),
    D("-1E+126"),
    D("1E+1000000"),
    D("1E-1000000"),
    D("NaN"),
    D("sNaN"),
    D("Infinity"),
    D("-Infinity"),
])
def test_number_limits_refused(value):
    with pytest.raises(InvalidValue) as excinfo:
        Number()._dump(value)
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("value", [10 ** 38 + 1, -(10 ** 38 + 1), 10 ** 126, 12345678901234567890123456789012345678901])
def test_integer_limits_refused(value):
    with pytest.raises(InvalidValue):
        Integer()._dump(value)


@pytest.mark.parametrize("value", [10 ** 38 - 1, -(10 ** 38 - 1), 10 ** 38, 10 ** 125, 99 * 10 ** 124])
def test_integer_limits_accepted(value):
    assert Integer()._load(Integer()._dump(value)) == value


@pytest.mark.parametrize("value", [
    float("nan"), float("inf"), float("-inf"), 1e126, -1e126,
    9.999999999999999e125,  # the same float as 1e126
    1.7e308, 5e-324, 1e-131,
])
def test_float_limits_refused(value):
    with pytest.raises(InvalidValue):
        Float()._dump(value)
    with pytest.raises(InvalidValue):
        Number()._dump(value)


@pytest.mark.parametrize("value", [1e-130, 9.999999999999998e125, -9.999999999999998e125, 1e125, 0.1, 1 / 3])
def test_float_limits_accepted(value):
    assert Float()._load(Float()._dump(value)) == value


def test_float_keeps_its_repr():
    assert Float()._dump(1.1) == {"N": "1.1"}
    assert Float()._dump(0.1 + 0.2) == {"N": "0.30000000000000004"}
    assert Float()._load({"N": "1.1"}) == 1.1


def test_check_number_returns_the_wire_string():
    assert check_number(D("1.50")) == "1.50"
    assert check_number(D("-0.0")) == "0"


# ---------------------------------------------------------------------------------------
# dates and times

def test_datetime_stores_utc_and_loads_utc():
    eastern = datetime.timezone(datetime.timedelta(hours=-5))
    value = datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=eastern)
    wire, loaded = roundtrip(DateTime(), value)
    assert wire == {"S": "2020-01-02T08:04:05.000006+00:00"}
    assert loaded == value
    assert loaded.tzinfo == UTC
    assert DateTime()._dump(datetime.datetime(2020, 1, 1, tzinfo=UTC)) == {"S": "2020-01-01T00:00:00.000000+00:00"}


def test_datetime_string_order_is_time_order():
    a = datetime.datetime(2020, 1, 1, 0, 0, 0, 999999, tzinfo=UTC)
    b = datetime.datetime(2020, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert DateTime()._dump(a)["S"] < DateTime()._dump(b)["S"]


@pytest.mark.parametrize("typedef", [DateTime(), Timestamp()])
def test_naive_datetimes_refused(typedef):
    with pytest.raises(InvalidValue) as excinfo:
        typedef._dump(datetime.datetime(2020, 1, 1))
    assert isinstance(excinfo.value, ValueError)


def test_timestamp_whole_seconds_and_microseconds():
    whole = datetime.datetime(2020, 1, 1, tzinfo=UTC)
    assert Timestamp()._dump(whole) == {"N": "1577836800"}
    fine = datetime.datetime(2020, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    wire, loaded = roundtrip(Timestamp(), fine)
    assert D(wire["N"]) == D("1577836800.123456")
    assert loaded == fine and loaded.microsecond == 123456
    assert loaded.tzinfo == UTC


def test_timestamp_before_the_epoch():
    value = datetime.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)
    wire, loaded = roundtrip(Timestamp(), value)
    assert D(wire["N"]) == D("-0.5")
    assert loaded == value


def test_timestamp_loads_dynamodb_number_forms():
    assert Timestamp()._load({"N": "1.5E+9"}) == datetime.datetime.fromtimestamp(1500000000, UTC)
    assert Timestamp()._load({"N": "1577836800.5"}) == datetime.datetime(2020, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)


# ---------------------------------------------------------------------------------------
# sets

def test_empty_set_dumps_to_none():
    for typedef in (Set(String), Set(Integer), Set(Binary)):
        assert typedef._dump(set()) is None
        assert typedef._dump([]) is None
    assert DynamicMap()._dump({"s": set(), "a": 1}) == {"M": {"a": {"N": "1"}}}


@pytest.mark.parametrize("typedef, value", [
    (Set(Number), [1, D("1.0")]),
    (Set(Number), [D("1E+2"), 100]),
    (Set(Integer), [1, 1]),
    (Set(String), ["a", "a"]),
    (Set(Binary), [b"a", bytearray(b"a")]),
])
def test_set_duplicates_after_normalisation_refused(typedef, value):
    with pytest.raises(InvalidValue):
        typedef._dump(value)


def test_set_of_non_scalar_refused():
    for inner in (Map(a=String), List(String), Boolean, DynamicMap, Set(String)):
        with pytest.raises(InvalidModel):
            Set(inner)


def test_dynamic_sets_must_not_mix():
    with pytest.raises(InvalidValue):
        DynamicMap()._dump({"s": {"a", 1}})
    assert DynamicMap()._dump({"s": {1, D("2.5")}})["M"]["s"]["NS"] in (["1", "2.5"], ["2.5", "1"])


def test_dynamic_empty_sets_nested():
    """An empty set has no DynamoDB form anywhere: in a map it is left out, in a list it is NULL."""
    assert DynamicMap()._dump({"a": {"b": set(), "c": 1}}) == {"M": {"a": {"M": {"c": {"N": "1"}}}}}
    assert DynamicMap()._dump({"a": [set()]}) == {"M": {"a": {"L": [{"NULL": True}]}}}
    assert DynamicList()._dump([[set()], {"x": frozenset()}]) == {"L": [{"L": [{"NULL": True}]}, {"M": {}}]}


def test_dynamic_loads_numbers_as_int_or_decimal():
    loaded = DynamicMap()._load({"M": {"i": {"N": "3"}, "d": {"N": "3.25"}, "ns": {"NS": ["1", "1.5"]},
                                       "ss": {"SS": ["a"]}, "bs": {"BS": [b"x"]}}})
    assert loaded == {"i": 3, "d": D("3.25"), "ns": {1, D("1.5")}, "ss": {"a"}, "bs": {b"x"}}
    assert type(loaded["i"]) is int and type(loaded["d"]) is D


def test_dynamic_accepts_subclasses_of_plain_types():
    class Level(enum.IntEnum):
        high = 3

    assert DynamicMap()._dump({"level": Level.high, "t": (1, 2)}) == {
        "M": {"level": {"N": "3"}, "t": {"L": [{"N": "1"}, {"N": "2"}]}}}


# ---------------------------------------------------------------------------------------
# user types

class Shape(bloop.BaseModel):
    id = bloop.Column(String, hash_key=True)
    at = bloop.Column(Point)
    corners = bloop.Column(List(Point))
    label = bloop.Column(Upper)


def test_user_type():
    assert Point()._dump((1, 2)) == {"S": "1,2"}
    assert Point()._load({"S": "1,2"}) == (1, 2)
    with pytest.raises(InvalidType):
        Point()._dump([1, 2])


def test_user_type_in_a_model():
    shape = Shape(id="s", at=(3, 4), corners=[(0, 0), (1, 1)], label="box")
    item = bloop.to_item(shape)
    assert item == {"id": {"S": "s"}, "at": {"S": "3,4"}, "corners": {"L": [{"S": "0,0"}, {"S": "1,1"}]},
                    "label": {"S": "BOX"}}
    loaded = bloop.from_item(Shape, item)
    assert (loaded.at, loaded.corners, loaded.label) == ((3, 4), [(0, 0), (1, 1)], "BOX")


def test_user_type_returning_none_is_left_out():
    class Nothing(Type):
        backing_type = "S"

        def dynamo_dump(self, value, *, context=None):
            return None

    assert Nothing()._dump("anything") is None


def test_reprs():
    assert repr(String()) == "String()"
    assert repr(Set(Integer)) == "Set(Integer())"
    assert repr(List(Map(a=String))) == "List(Map(a=String()))"


def test_paths_into_types():
    typedef = Map(a=List(Integer), b=DynamicMap)
    assert isinstance(typedef._element("a")._element(0), Integer)
    assert typedef._element("b")._element("anything")._element(3) is not None
    with pytest.raises(InvalidValue):
        typedef._element("zzz")
    with pytest.raises(InvalidValue):
        List(Integer)._element("x")
    with pytest.raises(InvalidValue):
        String()._element(0)


# ---------------------------------------------------------------------------------------
# properties

def _valid_float(x):
    return x == 0 or 1e-130 <= abs(x) < 1e126


def _valid_decimal(x):
    try:
        check_number(x)
    except InvalidValue:
        return False
    return True


small_ints = st.integers(min_value=-(10 ** 38) + 1, max_value=10 ** 38 - 1)
decimals = st.decimals(allow_nan=False, allow_infinity=False).filter(_valid_decimal)
texts = st.text(max_size=20)
keys = st.text(min_size=1, max_size=10)
scalars = st.one_of(texts, st.binary(max_size=10), st.booleans(), st.none(), small_ints, decimals)
sets = st.one_of(
    st.sets(texts, min_size=1, max_size=5),
    st.sets(small_ints, min_size=1, max_size=5),
    st.sets(st.binary(max_size=5), min_size=1, max_size=5),
)
plain = st.recursive(
    st.one_of(scalars, sets),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_string_property(value):
    assert roundtrip(String(), value)[1] == value


@settings(max_examples=60, deadline=None)
@given(small_ints)
def test_integer_property(value):
    assert roundtrip(Integer(), value)[1] == value


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False).filter(_valid_float))
def test_float_property(value):
    assert roundtrip(Float(), value)[1] == value


@settings(max_examples=60, deadline=None)
@given(decimals)
def test_number_property(value):
    assert roundtrip(Number(), value)[1] == value


@settings(max_examples=60, deadline=None)
@given(st.binary())
def test_binary_property(value):
    assert roundtrip(Binary(), value)[1] == value


@settings(max_examples=60, deadline=None)
@given(st.sets(st.text(), min_size=1))
def test_string_set_property(value):
    wire, loaded = roundtrip(Set(String), value)
    assert loaded == value
    assert len(wire["SS"]) == len(value)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys, plain, max_size=6))
def test_dynamic_map_property(value):
    assert roundtrip(DynamicMap(), value)[1] == value


@settings(max_examples=40, deadline=None)
@given(st.lists(plain, max_size=6))
def test_dynamic_list_property(value):
    assert roundtrip(DynamicList(), value)[1] == value


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime.datetime(1900, 1, 2), max_value=datetime.datetime(9000, 1, 1),
                    timezones=st.builds(datetime.timezone,
                                        st.timedeltas(min_value=datetime.timedelta(hours=-23),
                                                      max_value=datetime.timedelta(hours=23)))))
def test_datetime_property(value):
    loaded = roundtrip(DateTime(), value)[1]
    assert loaded == value and loaded.tzinfo == UTC


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2200, 1, 1),
                    timezones=st.just(UTC)))
def test_timestamp_property(value):
    loaded = roundtrip(Timestamp(), value)[1]
    assert loaded == value and loaded.tzinfo == UTC


# ---------------------------------------------------------------------------------------
# text DynamoDB cannot store: a lone surrogate (Python's str allows it, UTF-8 does not)

class Lines(Type):
    """A user type backed by a list of strings, which bloop does not look into on dump."""
    backing_type = "L"

    def dynamo_dump(self, value, *, context=None):
        return [{"S": line} for line in value]

    def dynamo_load(self, value, *, context=None):
        return [line["S"] for line in value]


class Raw(Type):
    """A user type returning its string as it is."""
    backing_type = "S"


@pytest.mark.parametrize("typedef, value", [
    (String(), "\ud800"), (String(), "caf\u00e9\udc00"), (Upper(), "\ud800"), (Raw(), "x\udfff"),
    (Set(String), {"ok", "\ud800"}), (List(String), ["\ud800"]), (Map(a=String), {"a": "\ud800"}),
    (DynamicMap(), {"\ud800": 1}), (DynamicMap(), {"k": "\ud800"}), (DynamicMap(), {"k": {"\udc00": [1]}}),
    (DynamicList(), ["\ud800"]), (DynamicList(), [{"k": {"\ud800"}}]),
])
def test_a_lone_surrogate_is_refused_on_dump(typedef, value):
    with pytest.raises(InvalidValue, match="lone surrogate"):
        typedef._dump(value)


def test_text_checks():
    from bloop.types import check_text, is_text
    assert is_text("caf\u00e9 \U0001f600") and not is_text("\ud800")
    assert check_text("plain") == "plain"
    with pytest.raises(InvalidValue, match=r"'\\udc00' at index 2"):
        check_text("ab\udc00")
    # a surrogate pair written as one character is fine; two halves side by side are not text
    assert String()._dump("\U0001f600") == {"S": "\U0001f600"}
    with pytest.raises(InvalidValue):
        String()._dump("\ud83d\ude00")


def test_map_field_names_and_paths_must_be_text():
    with pytest.raises(InvalidModel, match="lone surrogate"):
        Map(**{"\ud800": String})
    with pytest.raises(InvalidValue, match="lone surrogate"):
        DynamicMap()._element("\ud800")
    with pytest.raises(InvalidValue, match="lone surrogate"):
        DynamicList()._element(0)._element("\udfff")


class Texts(bloop.BaseModel):
    id = bloop.Column(String, hash_key=True)
    name = bloop.Column(String)
    doc = bloop.Column(DynamicMap)
    lines = bloop.Column(Lines)


@pytest.mark.parametrize("condition, where", [
    (lambda: Texts.name == "\ud800", "Texts.name"),
    (lambda: Texts.name.begins_with("a\udc00"), "Texts.name"),
    (lambda: Texts.name.in_(["ok", "\ud800"]), "Texts.name"),
    (lambda: Texts.doc["k"] == "\ud800", "Texts.doc"),
    (lambda: Texts.doc["\ud800"] == 1, "Texts.doc"),  # refused as the path is built
])
def test_a_lone_surrogate_in_a_condition_value_names_the_column(condition, where):
    from bloop.expressions import Renderer
    with pytest.raises(InvalidValue, match="lone surrogate") as excinfo:
        Renderer().render(condition=condition())
    assert str(excinfo.value).startswith((f"condition on {where}", f"{where}["))


def test_a_user_type_holding_a_lone_surrogate_is_refused_naming_the_column():
    obj = Texts(id="a", lines=["ok", "\ud800"])
    for to_item in (bloop.to_item, bloop.codec._to_item_generic):
        with pytest.raises(InvalidValue, match="lone surrogate") as excinfo:
            to_item(obj)
        assert str(excinfo.value).startswith("Texts.lines: ")
    # item_size names the attribute
    with pytest.raises(InvalidValue, match="attribute 'lines'"):
        bloop.codec.item_size({"id": {"S": "a"}, "lines": {"L": [{"S": "\ud800"}]}})
    with pytest.raises(InvalidValue, match="attribute 'b'"):
        bloop.codec.item_size({"id": {"S": "a"}, "b": {"M": {"\ud800": {"N": "1"}}}})
