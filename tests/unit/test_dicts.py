"""bloop.dicts: objects as JSON data and back, every type round-tripping exactly."""
import base64
import datetime
import decimal
import enum
import json
import uuid

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bloop
from bloop import (
    JSON, UUID, BaseModel, Binary, Boolean, Column, DateTime, DynamicList, DynamicMap, Enum, Float, Integer,
    InvalidType, InvalidValue, List, Map, Number, Set, String, Timestamp, UnknownColumn, dicts, from_dict,
    from_json, to_dict, to_json,
)

UTC = datetime.timezone.utc


class Color(enum.Enum):
    red = "r"
    green = 2


class Point(bloop.Type):
    """A user's type: its wire value is what JSON holds."""
    python_type = tuple
    backing_type = "S"

    def dynamo_dump(self, value, *, context=None):
        return f"{value[0]},{value[1]}"

    def dynamo_load(self, value, *, context=None):
        x, y = value.split(",")
        return (int(x), int(y))


class Blob(bloop.Type):
    backing_type = "B"

    def dynamo_dump(self, value, *, context=None):
        return value.encode()

    def dynamo_load(self, value, *, context=None):
        return value.decode()


class Cents(bloop.Type):
    """A user's number type: Decimal amounts stored as whole cents."""
    backing_type = "N"

    def dynamo_dump(self, value, *, context=None):
        return str(int(value * 100))

    def dynamo_load(self, value, *, context=None):
        return decimal.Decimal(value) / 100


class Pairs(bloop.Type):
    """A user's map type: a list of pairs stored as a map."""
    backing_type = "M"

    def dynamo_dump(self, value, *, context=None):
        return {k: {"N": str(v)} for k, v in value}

    def dynamo_load(self, value, *, context=None):
        return sorted((k, int(v["N"])) for k, v in value.items())


LINE = Map(sku=String, price=Number, qty=Integer)


class Everything(BaseModel):
    id = Column(String, hash_key=True)
    text = Column(String)
    number = Column(Number)
    integer = Column(Integer)
    real = Column(Float)
    blob = Column(Binary)
    flag = Column(Boolean)
    ident = Column(UUID)
    when = Column(DateTime)
    ttl = Column(Timestamp)
    color = Column(Enum(Color))
    doc = Column(JSON)
    tags = Column(Set(String))
    counts = Column(Set(Integer))
    amounts = Column(Set(Number))
    blobs = Column(Set(Binary))
    days = Column(List(DateTime))
    lines = Column(List(LINE))
    address = Column(Map(city=String, geo=Map(lat=Float, lon=Float)))
    anything = Column(DynamicMap)
    many = Column(DynamicList)
    point = Column(Point)
    custom = Column(Blob)
    cents = Column(Cents)
    pairs = Column(Pairs)
    colors = Column(Set(Enum(Color)))
    idents = Column(Set(UUID))


# --- strategies: every value DynamoDB can store, per type ------------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
integers = st.integers(min_value=-(10 ** 38) + 1, max_value=10 ** 38 - 1)
floats = st.one_of(st.just(0.0), st.floats(min_value=1e-120, max_value=1e120),
                   st.floats(min_value=-1e120, max_value=-1e-120))
decimals = st.builds(
    lambda digits, exponent, sign: decimal.Decimal((sign, tuple(int(d) for d in str(digits)), exponent)),
    st.integers(min_value=0, max_value=10 ** 38 - 1), st.integers(min_value=-90, max_value=80), st.sampled_from([0, 1]))
aware = st.datetimes(min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30),
                     timezones=st.sampled_from([UTC, datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))]))
json_data = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1) | text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8)
plain_leaf = (st.booleans() | st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1) | text
              | st.floats(min_value=1e-100, max_value=1e100))
plain = st.recursive(plain_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                     max_leaves=8)
lines = st.fixed_dictionaries({}, optional={"sku": text, "price": decimals, "qty": integers})

COLUMNS = {
    "text": text,
    "number": decimals,
    "integer": integers,
    "real": floats,
    "blob": st.binary(max_size=20),
    "flag": st.booleans(),
    "ident": st.uuids(),
    "when": aware,
    "ttl": aware,
    "color": st.sampled_from(Color),
    "doc": json_data,
    "tags": st.sets(text, max_size=4),
    "counts": st.sets(integers, max_size=4),
    "amounts": st.sets(decimals, max_size=4).filter(lambda s: len({d.normalize() for d in s}) == len(s)),
    "blobs": st.sets(st.binary(max_size=8), max_size=4),
    "days": st.lists(aware, max_size=3),
    "lines": st.lists(lines, max_size=3),
    "address": st.fixed_dictionaries({}, optional={"city": text, "geo": st.fixed_dictionaries(
        {}, optional={"lat": floats, "lon": floats})}),
    "anything": st.dictionaries(text, plain, max_size=3),
    "many": st.lists(plain, max_size=3),
    "point": st.tuples(st.integers(-1000, 1000), st.integers(-1000, 1000)),
    "custom": text,
    "cents": st.integers(-10 ** 20, 10 ** 20).map(lambda n: decimal.Decimal(n) / 100),
    "pairs": st.dictionaries(text.filter(bool), st.integers(-1000, 1000), max_size=3).map(lambda d: sorted(d.items())),
    "colors": st.sets(st.sampled_from(Color)),
    "idents": st.sets(st.uuids(), max_size=3),
}


def objects(model=Everything):
    return st.fixed_dictionaries({"id": text.filter(bool)}, optional=COLUMNS).map(lambda values: model(**values))


def same(a, b):
    """Equal values, and equal types all the way down (1 == 1.0 == True would hide a change)."""
    assert a == b
    if isinstance(a, dict):
        for key in a:
            same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, decimal.Decimal):
        assert str(a) == str(b) or a.is_zero()  # every digit, the exponent too (a zero is stored as 0)
    elif isinstance(a, datetime.datetime):
        assert b.tzinfo is UTC
    else:
        assert type(a) is type(b) or (isinstance(a, set) and isinstance(b, set))


def check_round_trip(obj, loaded):
    assert type(loaded) is type(obj)
    for column in Everything.Meta.columns:
        same(obj.__dict__.get(column.name), loaded.__dict__.get(column.name))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(objects())
def test_every_type_round_trips_through_data(obj):
    data = to_dict(obj)
    assert json.loads(json.dumps(data)) == data  # only JSON's own values
    check_round_trip(obj, from_dict(Everything, data))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(objects())
def test_every_type_round_trips_through_json_bytes(obj):
    text = to_json(obj)
    assert isinstance(text, bytes)
    check_round_trip(obj, from_json(Everything, text))
    check_round_trip(obj, from_json(Everything, text.decode()))


@settings(max_examples=60)
@given(objects())
def test_json_data_is_what_the_codec_would_store(obj):
    """A round trip changes nothing bloop would save: the item is the same."""
    def canon(wire):  # a set's elements in any order
        return {name: {kind: sorted(inner) if kind in ("SS", "NS", "BS") else inner for kind, inner in value.items()}
                for name, value in wire.items()}
    assert canon(bloop.to_item(from_json(Everything, to_json(obj)))) == canon(bloop.to_item(obj))


def test_the_json_forms():
    when = datetime.datetime(2024, 5, 1, 14, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    ident = uuid.UUID(int=1)
    obj = Everything(id="a", number=decimal.Decimal("12.50"), integer=3, real=1.1, blob=b"\x00\xff", flag=True,
                     ident=ident, when=when, ttl=when, color=Color.green, tags={"b", "a"},
                     counts={10, 9, 100}, amounts={decimal.Decimal("10"), decimal.Decimal("9.5")},
                     lines=[{"sku": "x", "price": decimal.Decimal("1E+2")}], point=(1, 2), custom="hi",
                     anything={"d": decimal.Decimal("1.5"), "i": decimal.Decimal("2"), "b": b"x", "s": {"z", "y"}})
    assert to_dict(obj) == {
        "id": "a", "number": "12.50", "integer": 3, "real": 1.1, "blob": "AP8=", "flag": True,
        "ident": "00000000-0000-0000-0000-000000000001",
        "when": "2024-05-01T12:00:00.000000+00:00", "ttl": "2024-05-01T12:00:00.000000+00:00",
        "color": "green", "tags": ["a", "b"], "counts": [9, 10, 100], "amounts": ["9.5", "10"],
        "lines": [{"sku": "x", "price": "1E+2"}], "point": "1,2", "custom": base64.b64encode(b"hi").decode(),
        "anything": {"d": 1.5, "i": 2, "b": "eA==", "s": ["y", "z"]},
    }
    assert orjson.loads(to_json(obj)) == to_dict(obj)
    # the URL-safe alphabet (pydantic's) is read too
    assert from_dict(Everything, {"id": "a", "blob": "-_8="}).blob == base64.b64decode("+/8=")


def test_decimals_keep_every_digit_beyond_a_float():
    value = decimal.Decimal("0.1000000000000000000000000000000000001")
    obj = Everything(id="a", number=value)
    assert from_json(Everything, to_json(obj)).number == value
    # a JSON number is read exactly as the text says
    assert from_dict(Everything, {"id": "a", "number": 0.1}).number == decimal.Decimal("0.1")
    assert from_dict(Everything, {"id": "a", "number": 7}).number == 7


def test_integers_beyond_64_bits_round_trip_exactly():
    big = 10 ** 37 + 1
    obj = Everything(id="a", integer=big, counts={big, -big})
    assert b"10000000000000000000000000000000000001" in to_json(obj)
    loaded = from_json(Everything, to_json(obj))
    assert loaded.integer == big and loaded.counts == {big, -big}
    with pytest.raises(InvalidType, match=r"Everything.integer: expected a whole number"):
        from_dict(Everything, {"id": "a", "integer": 1e30})  # a float this large is a rounded integer


def test_include_and_exclude():
    obj = Everything(id="a", text="t", integer=1)
    assert to_dict(obj, include=["id", "text"]) == {"id": "a", "text": "t"}
    assert to_dict(obj, exclude={"text"}) == {"id": "a", "integer": 1}
    assert to_dict(obj, include=["id", "text"], exclude=["id"]) == {"text": "t"}
    assert orjson.loads(to_json(obj, exclude=["id"])) == {"text": "t", "integer": 1}
    with pytest.raises(UnknownColumn, match="'nope'"):
        to_dict(obj, include=["nope"])


@pytest.mark.parametrize("data, error, message", [
    ({"id": "a", "integer": "3"}, InvalidType, r"Everything\.integer: expected a whole number, got str"),
    ({"id": "a", "integer": 2.5}, InvalidType, r"Everything\.integer: expected a whole number"),
    ({"id": "a", "integer": True}, InvalidType, r"Everything\.integer"),
    ({"id": "a", "flag": 1}, InvalidType, r"Everything\.flag: expected true or false"),
    ({"id": "a", "number": "abc"}, InvalidValue, r"Everything\.number: 'abc' is not a number"),
    ({"id": "a", "number": "NaN"}, InvalidValue, r"Everything\.number: 'NaN' is not a finite number"),
    ({"id": "a", "blob": "not base64!"}, InvalidValue, r"Everything\.blob: .* is not base64"),
    ({"id": "a", "ident": "xyz"}, InvalidValue, r"Everything\.ident: 'xyz' is not a UUID"),
    ({"id": "a", "when": "2024-01-01T00:00:00"}, InvalidValue, r"Everything\.when: .* has no timezone"),
    ({"id": "a", "when": "yesterday"}, InvalidValue, r"Everything\.when: 'yesterday' is not an ISO-8601"),
    ({"id": "a", "color": "blue"}, InvalidValue, r"Everything\.color: 'blue' is not a member of Color \(red, green\)"),
    ({"id": "a", "tags": ["a", "a"]}, InvalidValue, r"Everything\.tags: .* holds an element twice"),
    ({"id": "a", "counts": [1, "x"]}, InvalidType, r"Everything\.counts\[1\]: expected a whole number"),
    ({"id": "a", "lines": [{"sku": "x"}, {"price": "p"}]}, InvalidValue,
     r"Everything\.lines\[1\]\.price: 'p' is not a number"),
    ({"id": "a", "lines": [{"color": "x"}]}, InvalidValue, r"Everything\.lines\[0\]: 'color' is not a field of Map"),
    ({"id": "a", "address": {"geo": {"lat": "n"}}}, InvalidType, r"Everything\.address\.geo\.lat: expected a number"),
    ({"id": "a", "anything": []}, InvalidType, r"Everything\.anything: expected a dict"),
    ({"id": "a", "point": 3}, InvalidType, r"Everything\.point: expected a string"),
    ({"id": "a", "point": "1;2"}, InvalidValue, r"Everything\.point: Point\(\) cannot load '1;2'"),
    ({"id": "a", "nope": 1}, InvalidValue, r"'nope' is not a column of Everything"),
])
def test_data_that_does_not_fit_names_the_field(data, error, message):
    with pytest.raises(error, match=message) as raised:
        from_dict(Everything, data)
    assert "nothing was made" in str(raised.value)


def test_what_is_not_data_or_a_model_is_refused():
    with pytest.raises(InvalidType, match="must be a dict"):
        from_dict(Everything, ["id"])
    with pytest.raises(InvalidType, match="is not a bloop model"):
        from_dict(dict, {})
    with pytest.raises(InvalidType, match="is not a bloop model"):
        to_dict(object())
    with pytest.raises(InvalidValue, match="the text is not JSON"):
        from_json(Everything, b"{nope")


def test_a_value_a_type_cannot_write_names_the_column():
    with pytest.raises(InvalidValue, match=r"Everything\.when: naive datetime .* nothing was written"):
        to_dict(Everything(id="a", when=datetime.datetime(2024, 1, 1)))
    with pytest.raises(InvalidType, match=r"Everything\.lines\[0\]\.qty: expected|Everything\.lines\[0\]"):
        to_dict(Everything(id="a", lines=[{"price": "x"}]))


@pytest.mark.parametrize("values, message", [
    ({"text": 3}, r"Everything\.text: expected str, got int 3"),
    ({"integer": True}, r"Everything\.integer: expected int, got bool"),
    ({"integer": 2.5}, r"Everything\.integer: expected int, got float"),
    ({"flag": 1}, r"Everything\.flag: expected bool, got int"),
    ({"real": "1.5"}, r"Everything\.real: expected float, got str"),
    ({"days": ["2024"]}, r"Everything\.days\[0\]: expected datetime\.datetime, got str"),
    ({"tags": {"a", 1}}, r"Everything\.tags: expected str, got int 1"),
])
def test_a_value_of_the_wrong_type_is_refused_not_written(values, message):
    with pytest.raises(InvalidType, match=message):
        to_dict(Everything(id="a", **values))


def test_values_of_a_subclass_are_written_as_their_base():
    class Name(str):
        pass

    data = to_dict(Everything(id="a", text=Name("n"), integer=Color.green.value, real=2))
    assert type(data["text"]) is str and data["integer"] == 2 and type(data["real"]) is float


def test_defaults_apply_to_what_the_data_leaves_out():
    class Defaults(BaseModel):
        id = Column(String, hash_key=True)
        status = Column(String, default="new")

    assert from_dict(Defaults, {"id": "a"}).status == "new"
    assert from_dict(Defaults, {"id": "a", "status": None}).status == "new"


def test_converters_are_worked_out_once_per_model():
    to_dict(Everything(id="a"))
    plan = Everything.Meta.__dict__[dicts._PLAN]
    to_dict(Everything(id="b"))
    from_dict(Everything, {"id": "c"})
    assert Everything.Meta.__dict__[dicts._PLAN] is plan
    # the values of bloop's types that JSON holds as they are are written with no call
    exact = {name: cls for name, cls, _ in plan.outs}
    assert exact["text"] is str and exact["integer"] is int and exact["flag"] is bool and exact["real"] is float
    assert exact["number"] is None


class Shop(BaseModel):
    pk = Column(String, hash_key=True)
    kind = Column(String, discriminator=True)


class Customer(Shop, discriminator="customer"):
    name = Column(String)


class Order(Shop, discriminator="order"):
    total = Column(Number)


class Rush(Order, discriminator="rush"):
    by = Column(DateTime)


def test_a_family_writes_its_type_value_and_reads_the_right_model():
    data = to_dict(Order(pk="o1", total=decimal.Decimal("3.10")))
    assert data == {"pk": "o1", "kind": "order", "total": "3.10"}
    assert to_dict(Order(pk="o1"), include=["pk"]) == {"pk": "o1"}
    order = from_dict(Shop, data)
    assert type(order) is Order and order.total == decimal.Decimal("3.10")
    rush = from_json(Order, to_json(Rush(pk="r", by=datetime.datetime(2024, 1, 1, tzinfo=UTC))))
    assert type(rush) is Rush and rush.kind == "rush"
    # a concrete model's data may leave its type value out
    assert type(from_dict(Customer, {"pk": "c", "name": "n"})) is Customer


def test_a_family_refuses_a_type_value_not_below_the_model():
    with pytest.raises(InvalidValue, match=r"Order\.kind: 'customer' is not the type value of Order .*order, rush"):
        from_dict(Order, {"pk": "x", "kind": "customer"})
    with pytest.raises(InvalidValue, match=r"Shop\.kind: 'gift' is not"):
        from_dict(Shop, {"pk": "x", "kind": "gift"})
