"""bloop.codec: objects to DynamoDB items and back, with DynamoDB's item and key rules."""
import datetime
import decimal

import pytest

import bloop
from bloop import (
    BaseModel, Binary, Boolean, Column, DateTime, DynamicMap, Float, GlobalSecondaryIndex, Integer, List, Map,
    Number, Set, String,
)
from bloop.codec import dump_key, item_size, key_identity, load_into
from bloop.exceptions import InvalidType, InvalidValue, LimitExceeded, MissingKey
from bloop.tracking import snapshot
from tests.unit.helpers import dynamodb_client

UTC = datetime.timezone.utc


class Account(BaseModel):
    id = Column(String, hash_key=True)
    sort = Column(String, range_key=True)
    name = Column(String, dynamo_name="n")
    balance = Column(Number)
    ratio = Column(Float)
    active = Column(Boolean)
    tags = Column(Set(String))
    history = Column(List(Integer))
    profile = Column(Map(city=String, zip=Integer))
    data = Column(DynamicMap)
    blob = Column(Binary)
    created = Column(DateTime)
    email = Column(String)
    by_email = GlobalSecondaryIndex(projection="keys", hash_key="email")


class BinaryKeyed(BaseModel):
    id = Column(Binary, hash_key=True)
    sort = Column(Binary, range_key=True)


class Numbered(BaseModel):
    id = Column(Number, hash_key=True)


def full_account():
    return Account(
        id="a", sort="s", name="Ann", balance=decimal.Decimal("10.50"), ratio=0.25, active=False,
        tags={"x", "y"}, history=[1, 2], profile={"city": "Oslo", "zip": 150}, data={"k": [1, {"n": None}]},
        blob=b"\x01", created=datetime.datetime(2020, 5, 6, 7, 8, 9, tzinfo=UTC), email="a@b")


def test_to_item():
    item = bloop.to_item(full_account())
    assert item == {
        "id": {"S": "a"}, "sort": {"S": "s"}, "n": {"S": "Ann"}, "balance": {"N": "10.50"},
        "ratio": {"N": "0.25"}, "active": {"BOOL": False}, "tags": {"SS": item["tags"]["SS"]},
        "history": {"L": [{"N": "1"}, {"N": "2"}]},
        "profile": {"M": {"city": {"S": "Oslo"}, "zip": {"N": "150"}}},
        "data": {"M": {"k": {"L": [{"N": "1"}, {"M": {"n": {"NULL": True}}}]}}},
        "blob": {"B": b"\x01"}, "created": {"S": "2020-05-06T07:08:09.000000+00:00"}, "email": {"S": "a@b"},
    }
    assert sorted(item["tags"]["SS"]) == ["x", "y"]


def test_roundtrip():
    original = full_account()
    loaded = bloop.from_item(Account, bloop.to_item(original))
    assert type(loaded) is Account
    for column in Account.Meta.columns:
        assert getattr(loaded, column.name) == getattr(original, column.name), column.name


def test_to_item_leaves_out_none_and_empty_sets():
    item = bloop.to_item(Account(id="a", sort="s", tags=set(), name=None))
    assert item == {"id": {"S": "a"}, "sort": {"S": "s"}}


def test_empty_string_round_trips_outside_keys():
    item = bloop.to_item(Account(id="a", sort="s", name=""))
    assert item["n"] == {"S": ""}
    assert bloop.from_item(Account, item).name == ""


def test_from_item_ignores_undeclared_attributes_and_records_snapshot():
    obj = bloop.from_item(Account, {"id": {"S": "a"}, "sort": {"S": "s"}, "unknown": {"S": "?"}, "n": {"S": "x"}})
    assert obj.name == "x"
    assert "unknown" not in obj.__dict__
    snap = snapshot(obj)
    assert snap["name"] == "x" and snap["balance"] is None
    assert set(snap) == {c.name for c in Account.Meta.columns}


def test_from_item_does_not_apply_defaults():
    class Defaulted(BaseModel):
        id = Column(String, hash_key=True)
        status = Column(String, default="new")

    assert Defaulted().status == "new"
    assert bloop.from_item(Defaulted, {"id": {"S": "x"}}).status is None


def test_from_item_bad_wire_value():
    with pytest.raises(InvalidValue) as excinfo:
        bloop.from_item(Account, {"id": {"N": "1"}})
    assert "Account.id" in str(excinfo.value)


class Counted(BaseModel):
    id = Column(String, hash_key=True)
    count = Column(Integer)
    counts = Column(Set(Integer))
    amount = Column(Number)
    ratio = Column(Float)
    when = Column(bloop.Timestamp)
    data = Column(DynamicMap)


@pytest.mark.parametrize("load", [
    lambda item: bloop.from_item(Counted, item),
    lambda item: load_into(Counted(id="x"), item),
    lambda item: load_into(Counted(id="x"), item, [Counted.id, Counted.count, Counted.counts]),
    lambda item: bloop.codec.load_all(Counted, [item]),
    lambda item: bloop.codec._from_item_generic(Counted, item),
], ids=["from_item", "load_into", "projected", "load_all", "generic"])
@pytest.mark.parametrize("column, wire", [("count", {"N": "2.5"}), ("counts", {"NS": ["1", "2.5"]})])
def test_integer_column_refuses_a_stored_fraction(load, column, wire):
    with pytest.raises(InvalidValue) as excinfo:
        load({"id": {"S": "x"}, column: wire})
    assert f"Counted.{column}" in str(excinfo.value) and "whole number" in str(excinfo.value)


@pytest.mark.parametrize("column, wire", [
    ("count", {"N": "abc"}), ("counts", {"NS": ["abc"]}), ("amount", {"N": "abc"}), ("ratio", {"N": "abc"}),
    ("when", {"N": "abc"}), ("data", {"M": {"n": {"N": "abc"}}}),
])
def test_from_item_with_a_malformed_number_names_the_column(column, wire):
    for load in (bloop.from_item, bloop.codec._from_item_generic):
        with pytest.raises(InvalidValue) as excinfo:
            load(Counted, {"id": {"S": "x"}, column: wire})
        assert f"Counted.{column}: cannot load" in str(excinfo.value) and "not a number" in str(excinfo.value)


def test_key_identity_of_a_malformed_number_is_invalid_value():
    with pytest.raises(InvalidValue, match="not a number"):
        key_identity("t", {"id": {"N": "abc"}})


def test_works_on_unbound_and_engine_models():
    engine = bloop.Engine(dynamodb_client())

    class Bound(engine.model):
        id = Column(Integer, hash_key=True)

    assert bloop.to_item(Bound(id=1)) == {"id": {"N": "1"}}
    assert bloop.from_item(Bound, {"id": {"N": "1"}}).id == 1


def test_not_a_model():
    with pytest.raises(InvalidValue):
        bloop.to_item(object())
    with pytest.raises(InvalidValue):
        bloop.from_item(dict, {})


def test_wrong_type_names_the_column():
    with pytest.raises(InvalidType) as excinfo:
        bloop.to_item(Account(id="a", sort="s", balance="lots"))
    assert "Account.balance" in str(excinfo.value)
    assert isinstance(excinfo.value, TypeError)


# ---------------------------------------------------------------------------------------
# keys

def test_missing_key():
    with pytest.raises(MissingKey) as excinfo:
        bloop.to_item(Account(id="a"))
    assert isinstance(excinfo.value, ValueError)
    with pytest.raises(MissingKey):
        dump_key(Account(sort="s"))


def test_dump_key():
    assert dump_key(Account(id="a", sort="s", name="x")) == {"id": {"S": "a"}, "sort": {"S": "s"}}


@pytest.mark.parametrize("obj", [
    Account(id="", sort="s"),
    Account(id="a", sort=""),
    BinaryKeyed(id=b"", sort=b"x"),
    BinaryKeyed(id=b"x", sort=b""),
])
def test_empty_key_values_refused(obj):
    with pytest.raises(InvalidValue):
        bloop.to_item(obj)
    with pytest.raises(InvalidValue):
        dump_key(obj)


def test_empty_index_key_refused():
    with pytest.raises(InvalidValue):
        bloop.to_item(Account(id="a", sort="s", email=""))


@pytest.mark.parametrize("hash_size, range_size, ok", [
    (2048, 1024, True),
    (2049, 1, False),
    (1, 1025, False),
    (2048, 1025, False),
])
def test_key_sizes(hash_size, range_size, ok):
    obj = Account(id="h" * hash_size, sort="r" * range_size)
    binary = BinaryKeyed(id=b"h" * hash_size, sort=b"r" * range_size)
    for target in (obj, binary):
        if ok:
            bloop.to_item(target)
            dump_key(target)
        else:
            with pytest.raises(LimitExceeded):
                bloop.to_item(target)
            with pytest.raises(LimitExceeded):
                dump_key(target)


def test_key_size_counts_utf8_bytes():
    dump_key(Account(id="\u00e9" * 1024, sort="s"))  # 2048 bytes
    with pytest.raises(LimitExceeded):
        dump_key(Account(id="\u00e9" * 1024 + "x", sort="s"))


def test_key_identity_normalises_numbers():
    one = key_identity("t", dump_key(Numbered(id=decimal.Decimal("1.0"))))
    assert one == key_identity("t", dump_key(Numbered(id=1)))
    assert one != key_identity("u", dump_key(Numbered(id=1)))
    assert key_identity("t", {"a": {"S": "1"}}) != key_identity("t", {"a": {"N": "1"}})


# ---------------------------------------------------------------------------------------
# item size and nesting

def test_item_size():
    # names + values: "id"(2) + "a"(1), "n"(1) + 3, numbers ~ 1 byte per 2 digits + 1
    assert item_size({"id": {"S": "a"}, "n": {"S": "abc"}}) == 7
    assert item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 4
    assert item_size({"x": {"N": "12345"}}) == 1 + 4


def test_item_size_limit():
    base = {"id": {"S": "a"}, "sort": {"S": "s"}}
    overhead = item_size(base) + len("n")
    at_limit = Account(id="a", sort="s", name="x" * (409_600 - overhead))
    assert item_size(bloop.to_item(at_limit)) == 409_600
    too_big = Account(id="a", sort="s", name="x" * (409_600 - overhead + 1))
    with pytest.raises(LimitExceeded) as excinfo:
        bloop.to_item(too_big)
    assert isinstance(excinfo.value, ValueError)
    assert bloop.to_item(too_big, validate=False)["n"]


def nested(depth):
    value = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def test_nesting_depth():
    # "data" holding n nested maps puts its innermost value at a document path of n + 1 names
    # (data.k.k...k); DynamoDB allows 32 levels.
    bloop.to_item(Account(id="a", sort="s", data=nested(31)))
    with pytest.raises(LimitExceeded):
        bloop.to_item(Account(id="a", sort="s", data=nested(32)))
    with pytest.raises(LimitExceeded):
        bloop.to_item(Account(id="a", sort="s", data=nested(40)))
    deep_list = "leaf"
    for _ in range(33):
        deep_list = [deep_list]
    with pytest.raises(LimitExceeded):
        bloop.to_item(Account(id="a", sort="s", data={"l": deep_list}))


def test_load_into_with_projection():
    obj = Account(id="a", sort="s", name="old", balance=decimal.Decimal(1))
    load_into(obj, {"id": {"S": "a"}, "sort": {"S": "s"}}, [Account.id, Account.sort, Account.name])
    assert obj.name is None  # projected and absent: known to be gone
    assert obj.balance == 1  # not projected: left alone
    assert "balance" not in snapshot(obj)


def test_load_into_reads_a_projection_given_as_an_iterator():
    obj = Account(id="a", sort="s", name="old")
    load_into(obj, {"id": {"S": "a"}, "sort": {"S": "s"}}, iter([Account.id, Account.sort, Account.name]))
    assert obj.name is None and snapshot(obj)["name"] is None


def test_paused_gc_restores_the_collector():
    import gc

    from bloop.codec import paused_gc
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with paused_gc():
            raise RuntimeError("a failing page")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # the caller's choice stays
    finally:
        gc.enable()
