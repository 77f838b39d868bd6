"""A user type's dynamo_load / dynamo_dump runs once per value per load and per save.

The counting type below is shared by every column of ``Counter``, so its counters add
up every call a load or a save makes.  Engines run against botocore's Stubber.
"""
import datetime

import pytest

import bloop
from bloop import BaseModel, Column, Integer, List, Map, String, Timestamp, Type
from bloop.codec import load_all, load_into
from tests.unit.helpers import Counting, stubbed_engine

UTC = datetime.timezone.utc


COUNT = Counting()


class Counter(BaseModel):
    id = Column(String, hash_key=True)
    one = Column(COUNT)
    many = Column(List(COUNT))
    inmap = Column(Map(c=COUNT, when=Timestamp))
    when = Column(Timestamp)
    other = Column(Integer)


#: the number of user-type values in ITEM (and in new_counter())
VALUES = 5
ITEM = {
    "id": {"S": "a"}, "one": {"S": "1"}, "many": {"L": [{"S": "2"}, {"S": "3"}, {"S": "4"}]},
    "inmap": {"M": {"c": {"S": "5"}, "when": {"N": "1"}}}, "when": {"N": "1"}, "other": {"N": "7"},
}


def new_counter():
    return Counter(id="a", one=1, many=[2, 3, 4], inmap={"c": 5}, other=7)


@pytest.fixture(autouse=True)
def reset():
    COUNT.dumps = COUNT.loads = 0


def counts():
    return COUNT.dumps, COUNT.loads


# ---------------------------------------------------------------------------------------
# loads

@pytest.mark.parametrize("changes", [
    {},
    {"when": {"N": "1.5"}},  # off the compiled fast path (a fraction of a second)
    {"other": {"N": "1E1"}},  # off the fast path (an exponent)
    {"inmap": {"M": {"c": {"S": "5"}, "when": {"NULL": True}}}},  # a NULL in a map
    {"many": {"L": [{"S": "2"}, {"S": "3"}, {"S": "4"}]}, "when": {"N": "1E0"}},
], ids=["plain", "fraction", "exponent", "null in map", "exponent after list"])
@pytest.mark.parametrize("load", [
    lambda item: bloop.from_item(Counter, item),
    lambda item: load_into(Counter(id="a"), item),
    lambda item: load_into(Counter(id="a"), item, [Counter.id, Counter.one, Counter.many, Counter.inmap,
                                                   Counter.when]),
    lambda item: load_all(Counter, [item]),
], ids=["from_item", "load_into", "projected", "load_all"])
def test_each_value_is_loaded_once(load, changes):
    load({**ITEM, **changes})
    assert counts() == (0, VALUES)


@pytest.mark.parametrize("raised, expected", [(ValueError, bloop.InvalidValue), (RuntimeError, RuntimeError)])
@pytest.mark.parametrize("load", [bloop.from_item, bloop.codec._from_item_generic], ids=["compiled", "generic"])
def test_a_value_that_fails_to_load_is_loaded_once(load, raised, expected):
    class Fails(Counting):
        def dynamo_load(self, value, *, context=None):
            super().dynamo_load(value)
            raise raised("no")

    failing = Fails()

    class Failing(BaseModel):
        id = Column(String, hash_key=True)
        bad = Column(List(failing))
        when = Column(Timestamp)

    with pytest.raises(expected, match="Failing.bad" if expected is bloop.InvalidValue else "no") as excinfo:
        load(Failing, {"id": {"S": "a"}, "bad": {"L": [{"S": "1"}]}, "when": {"N": "1.5"}})
    assert failing.loads == 1
    assert excinfo.value.__cause__ is not excinfo.value


# ---------------------------------------------------------------------------------------
# saves

def test_to_item_dumps_each_value_once():
    bloop.to_item(new_counter())
    assert counts() == (VALUES, 0)


def test_saving_a_new_object_dumps_each_value_once():
    engine, stubber = stubbed_engine()
    with stubber:
        stubber.add_response("update_item", {})
        engine.save(new_counter())
    assert counts() == (VALUES, 0)


def test_a_batch_save_dumps_each_value_once():
    engine, stubber = stubbed_engine()
    with stubber:
        stubber.add_response("batch_write_item", {"UnprocessedItems": {}})
        engine.save([new_counter(), Counter(id="b", one=1)])
    assert counts() == (VALUES + 1, 0)


def test_assigning_to_a_loaded_object_dumps_nothing():
    obj = bloop.from_item(Counter, ITEM)
    obj.other = 8
    del obj.when
    assert counts() == (0, VALUES)


@pytest.mark.parametrize("change", [
    lambda obj: setattr(obj, "other", 8),  # another column
    lambda obj: None,  # nothing: the save re-asserts every value
    lambda obj: obj.many.append(9),  # in place
    lambda obj: setattr(obj, "one", 2),
], ids=["other column", "nothing", "in place", "assigned"])
def test_saving_a_loaded_object_dumps_each_value_at_most_once(change):
    engine, stubber = stubbed_engine()
    obj = bloop.from_item(Counter, ITEM)
    change(obj)
    with stubber:
        stubber.add_response("update_item", {})
        engine.save(obj)
    dumps, loads = counts()
    assert loads == VALUES
    assert dumps <= VALUES + (obj.many == [2, 3, 4, 9])


def test_a_save_with_sync_dumps_and_loads_each_value_once():
    engine, stubber = stubbed_engine()
    with stubber:
        stubber.add_response("update_item", {"Attributes": ITEM})
        engine.save(new_counter(), sync="new")
    assert counts() == (VALUES, VALUES)


class Words(Type):
    """A mutable user type: a list of words stored as one string, nothing when empty."""
    python_type = list
    backing_type = "S"
    mutable = True

    def __init__(self):
        self.dumps = 0

    def dynamo_dump(self, value, *, context=None):
        self.dumps += 1
        return " ".join(value) or None

    def dynamo_load(self, value, *, context=None):
        return value.split()


def test_a_mutable_user_value_emptied_in_place_is_dumped_once():
    counting = Words()

    class Note(BaseModel):
        id = Column(String, hash_key=True)
        words = Column(counting)

    engine, stubber = stubbed_engine()
    obj = bloop.from_item(Note, {"id": {"S": "n"}, "words": {"S": "a b"}})
    obj.words.clear()
    with stubber:
        stubber.add_response("update_item", {}, {
            "TableName": "s-Note", "Key": {"id": {"S": "n"}}, "UpdateExpression": "REMOVE #n0",
            "ExpressionAttributeNames": {"#n0": "words"}})
        engine.save(obj)
    assert counting.dumps == 1
