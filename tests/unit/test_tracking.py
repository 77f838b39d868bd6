"""bloop.tracking: what a save sends, from what changed since the last load or save."""
import copy
import decimal
import pickle
import threading
import time

import pytest

import bloop
from bloop import BaseModel, Column, DynamicList, DynamicMap, Float, Integer, JSON, List, Map, Set, String, actions
from bloop.exceptions import InvalidCondition, InvalidType
from bloop.tracking import SNAPSHOT, Loaded, changes, forget, record, record_all, snapshot, tracks, wire_equal


class Profile(BaseModel):
    id = Column(String, hash_key=True)
    name = Column(String)
    age = Column(Integer)
    score = Column(Float)
    tags = Column(Set(String))
    history = Column(List(Integer))
    address = Column(Map(city=String, zip=Integer))
    data = Column(DynamicMap)
    settings = Column(JSON)


COLUMNS = [c for c in Profile.Meta.columns if not c.hash_key]

LOADED = {
    "id": {"S": "p"}, "name": {"S": "Ann"}, "age": {"N": "30"}, "score": {"N": "1.5"},
    "tags": {"SS": ["a", "b"]}, "history": {"L": [{"N": "1"}]},
    "address": {"M": {"city": {"S": "Oslo"}}}, "data": {"M": {"k": {"L": [{"N": "1"}]}}},
    "settings": {"S": '{"dark":true}'},
}


def loaded():
    return bloop.from_item(Profile, LOADED)


def summary(obj):
    """{column name: (kind, wire)} of the changes a save would send."""
    return {column.name: (kind, wire) for column, kind, wire in changes(obj, COLUMNS)}


def test_new_object_sets_every_value():
    obj = Profile(id="p", name="Ann", age=3, tags={"x"})
    assert summary(obj) == {"name": ("set", {"S": "Ann"}), "age": ("set", {"N": "3"}),
                            "tags": ("set", {"SS": ["x"]})}


def test_new_object_explicit_none_is_removed():
    obj = Profile(id="p", name=None)
    obj.age = None
    del obj.score
    assert summary(obj) == {"name": ("remove", None), "age": ("remove", None), "score": ("remove", None)}


def test_new_object_empty_set_is_removed():
    assert summary(Profile(id="p", tags=set())) == {"tags": ("remove", None)}


def test_unchanged_after_load_sends_nothing():
    assert summary(loaded()) == {}


def test_changed_values_are_set():
    obj = loaded()
    obj.name = "Bob"
    obj.age = 31
    obj.tags = {"c"}
    assert summary(obj) == {"name": ("set", {"S": "Bob"}), "age": ("set", {"N": "31"}),
                            "tags": ("set", {"SS": ["c"]})}


def test_same_value_again_sends_nothing():
    obj = loaded()
    obj.name = "Ann"
    obj.age = 30
    obj.tags = {"b", "a"}
    obj.history = [1]
    obj.settings = {"dark": True}
    assert summary(obj) == {}


def test_cleared_after_load_is_removed():
    obj = loaded()
    obj.name = None
    del obj.age
    obj.tags = set()
    assert summary(obj) == {"name": ("remove", None), "age": ("remove", None), "tags": ("remove", None)}


def test_absent_after_load_and_still_none_sends_nothing():
    obj = bloop.from_item(Profile, {"id": {"S": "p"}})
    obj.name = None
    assert summary(obj) == {}
    obj.tags = set()
    assert summary(obj) == {}


@pytest.mark.parametrize("mutate, column, wire", [
    (lambda o: o.tags.add("c"), "tags", None),
    (lambda o: o.tags.discard("a"), "tags", {"SS": ["b"]}),
    (lambda o: o.history.append(2), "history", {"L": [{"N": "1"}, {"N": "2"}]}),
    (lambda o: o.history.__setitem__(0, 5), "history", {"L": [{"N": "5"}]}),
    (lambda o: o.address.__setitem__("zip", 150), "address",
     {"M": {"city": {"S": "Oslo"}, "zip": {"N": "150"}}}),
    (lambda o: o.data["k"].append({"x": None}), "data",
     {"M": {"k": {"L": [{"N": "1"}, {"M": {"x": {"NULL": True}}}]}}}),
    (lambda o: o.settings.__setitem__("dark", False), "settings", {"S": '{"dark":false}'}),
])
def test_in_place_mutation_after_load_is_detected(mutate, column, wire):
    obj = loaded()
    mutate(obj)
    result = summary(obj)
    assert list(result) == [column]
    kind, sent = result[column]
    assert kind == "set"
    if wire is None:
        assert sorted(sent["SS"]) == ["a", "b", "c"]
    else:
        assert sent == wire


def test_number_forms_that_are_equal_send_nothing():
    obj = bloop.from_item(Profile, {"id": {"S": "p"}, "data": {"M": {"n": {"N": "1.50"}}}})
    obj.data["n"] = decimal.Decimal("1.5")
    assert summary(obj) == {}


def test_float_changes():
    obj = loaded()
    obj.score = 1.5
    assert summary(obj) == {}
    obj.score = 2
    assert summary(obj) == {"score": ("set", {"N": "2.0"})}


def test_actions_are_sent_as_they_are():
    obj = loaded()
    obj.age = actions.add(1)
    obj.tags = actions.delete({"a"})
    obj.history = actions.append([2])
    obj.name = actions.remove()
    obj.score = actions.if_not_exists(0.5)
    obj.data = actions.set({"z": 1})
    assert summary(obj) == {
        "age": ("add", {"N": "1"}), "tags": ("delete", {"SS": ["a"]}), "history": ("append", {"L": [{"N": "2"}]}),
        "name": ("remove", None), "score": ("if_not_exists", {"N": "0.5"}), "data": ("set", {"M": {"z": {"N": "1"}}}),
    }


@pytest.mark.parametrize("column, action", [
    ("name", actions.add(1)), ("age", actions.delete({1})), ("age", actions.append([1])),
    ("tags", actions.add(set())),
])
def test_actions_on_the_wrong_type_refused(column, action):
    obj = loaded()
    with pytest.raises((InvalidCondition, InvalidType)):
        setattr(obj, column, action)  # refused where assigned (a wrong kind) or when the save is built
        summary(obj)


def test_record_after_a_save():
    obj = Profile(id="p", name="Ann", history=[1], age=None)
    entries = changes(obj, COLUMNS)
    record(obj, entries, Profile.Meta.keys)
    assert summary(obj) == {}
    assert "age" not in obj.__dict__  # the explicit None is settled
    obj.history.append(2)
    assert list(summary(obj)) == ["history"]


def test_record_forgets_computed_values():
    obj = loaded()
    obj.age = actions.add(1)
    record(obj, changes(obj, COLUMNS))
    assert obj.age is None  # DynamoDB computed it; unknown until loaded again
    assert "age" not in obj.__dict__[SNAPSHOT]
    assert summary(obj) == {}


def test_record_all_after_a_put():
    obj = Profile(id="p", name="Ann", tags={"a"})
    record_all(obj, Profile.Meta.columns, bloop.to_item(obj))
    assert summary(obj) == {}
    obj.tags.add("b")
    assert list(summary(obj)) == ["tags"]


def test_forget_after_a_delete():
    obj = loaded()
    forget(obj)
    assert SNAPSHOT not in obj.__dict__
    assert set(summary(obj)) == {c.name for c in COLUMNS}


def test_undeclared_attributes_are_never_touched():
    obj = loaded()
    obj.not_a_column = "x"
    assert summary(obj) == {}


def test_wire_equal():
    assert wire_equal({"SS": ["a", "b"]}, {"SS": ["b", "a"]})
    assert wire_equal({"NS": ["1", "2.0"]}, {"NS": ["2", "1.00"]})
    assert wire_equal({"N": "1.0"}, {"N": "1"})
    assert wire_equal({"L": [{"N": "1"}]}, {"L": [{"N": "1.0"}]})
    assert wire_equal({"M": {"a": {"SS": ["x", "y"]}}}, {"M": {"a": {"SS": ["y", "x"]}}})
    assert not wire_equal({"L": [{"N": "1"}, {"N": "2"}]}, {"L": [{"N": "2"}, {"N": "1"}]})
    assert not wire_equal({"S": "1"}, {"N": "1"})
    assert not wire_equal({"M": {"a": {"S": "x"}}}, {"M": {"b": {"S": "x"}}})
    assert not wire_equal(None, {"S": ""})
    assert wire_equal(None, None)


# --- objects loaded with no snapshot of their own -------------------------------------------

class Lean(BaseModel):
    """Every column loads an immutable value or a tracked container: loaded objects share
    one Loaded marker instead of each holding a snapshot."""
    id = Column(String, hash_key=True)
    name = Column(String)
    age = Column(Integer)
    tags = Column(Set(String))
    history = Column(List(Integer))
    address = Column(Map(city=String, zip=Integer, lines=List(String)))
    rows = Column(List(Map(n=Integer)))
    extra = Column(DynamicMap)
    things = Column(DynamicList)


LEAN_COLUMNS = [c for c in Lean.Meta.columns if not c.hash_key]
LEAN = {
    "id": {"S": "p"}, "name": {"S": "Ann"}, "age": {"N": "30"}, "tags": {"SS": ["a", "b"]},
    "history": {"L": [{"N": "1"}, {"N": "2"}]},
    "address": {"M": {"city": {"S": "Oslo"}, "lines": {"L": [{"S": "x"}]}}},
    "rows": {"L": [{"M": {"n": {"N": "1"}}}]},
    "extra": {"M": {"k": {"L": [{"N": "1"}, {"SS": ["s"]}]}}}, "things": {"L": [{"M": {}}, {"NS": ["2"]}]},
}


def lean():
    return bloop.from_item(Lean, LEAN)


def lean_summary(obj):
    return {column.name: (kind, wire) for column, kind, wire in changes(obj, LEAN_COLUMNS)}


def test_loaded_objects_share_one_marker():
    first, second = lean(), lean()
    assert isinstance(first.__dict__[SNAPSHOT], Loaded)
    assert first.__dict__[SNAPSHOT] is second.__dict__[SNAPSHOT]
    assert lean_summary(first) == {}
    snap = snapshot(second)
    assert wire_equal(snap.pop("tags"), {"SS": ["a", "b"]})
    assert all(wire_equal(snap.pop(name), LEAN[name]) for name in ("extra", "things"))
    assert snap == {"id": "p", "name": "Ann", "age": 30, "history": LEAN["history"], "address": LEAN["address"],
                    "rows": LEAN["rows"]}
    assert isinstance(second.__dict__[SNAPSHOT], dict)  # made once, then kept


def test_models_with_untracked_mutable_columns_snapshot_at_load():
    assert tracks(Lean.address.typedef) and tracks(Lean.extra.typedef) and tracks(Profile.data.typedef)
    assert not tracks(Profile.settings.typedef)  # JSON loads plain containers
    assert isinstance(loaded().__dict__[SNAPSHOT], dict)


@pytest.mark.parametrize("mutate, column, wire", [
    (lambda o: o.tags.add("c"), "tags", {"SS": ["a", "b", "c"]}),
    (lambda o: o.tags.clear(), "tags", None),
    (lambda o: o.tags.__isub__({"a"}), "tags", {"SS": ["b"]}),
    (lambda o: o.history.append(3), "history", {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}),
    (lambda o: o.history.reverse(), "history", {"L": [{"N": "2"}, {"N": "1"}]}),
    (lambda o: o.history.__delitem__(0), "history", {"L": [{"N": "2"}]}),
    (lambda o: o.address.pop("city"), "address", {"M": {"lines": {"L": [{"S": "x"}]}}}),
    (lambda o: o.address.update(zip=1), "address", {"M": {**LEAN["address"]["M"], "zip": {"N": "1"}}}),
    (lambda o: o.address["lines"].append("y"), "address",
     {"M": {"city": {"S": "Oslo"}, "lines": {"L": [{"S": "x"}, {"S": "y"}]}}}),
    (lambda o: o.rows[0].__setitem__("n", 2), "rows", {"L": [{"M": {"n": {"N": "2"}}}]}),
    (lambda o: o.extra["k"][1].add("t"), "extra", {"M": {"k": {"L": [{"N": "1"}, {"SS": ["s", "t"]}]}}}),
    (lambda o: o.extra.pop("k"), "extra", {"M": {}}),
    (lambda o: o.things[0].update(new=None), "things", {"L": [{"M": {"new": {"NULL": True}}}, {"NS": ["2"]}]}),
    (lambda o: o.things[1].discard(2), "things", {"L": [{"M": {}}, {"NULL": True}]}),  # no empty sets
])
def test_in_place_changes_to_loaded_containers_are_sent(mutate, column, wire):
    obj = lean()
    mutate(obj)
    assert isinstance(obj.__dict__[SNAPSHOT], Loaded)  # nothing copied per object yet
    result = lean_summary(obj)
    assert list(result) == [column]
    kind, sent = result[column]
    if wire is None:
        assert kind == "remove"
    else:
        assert kind == "set"
        assert wire_equal(sent, wire)


def test_changed_and_changed_back_sends_nothing():
    obj = lean()
    obj.tags.add("c")
    obj.tags.discard("c")
    obj.address["lines"].append("y")
    obj.address["lines"].pop()
    obj.history[0] = 5
    obj.history[0] = 1
    assert lean_summary(obj) == {}


def test_assignments_keep_what_was_loaded():
    obj = lean()
    obj.history.append(3)  # in place first, then an assignment makes the snapshot
    obj.name = "Bob"
    assert isinstance(obj.__dict__[SNAPSHOT], dict)
    obj.name = "Ann"
    obj.tags = {"a", "b"}
    del obj.age
    assert lean_summary(obj) == {"age": ("remove", None),
                                 "history": ("set", {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]})}


def test_a_replaced_container_still_knows_the_loaded_keys():
    obj = lean()
    obj.address["city"] = "Rome"
    obj.address = {"zip": actions.add(1)}  # actions inside a map: sent path by path
    sent = {(tuple(op.segments), kind) for op, kind, _ in changes(obj, [Lean.address])}
    assert sent == {(("zip",), "add"), (("city",), "remove"), (("lines",), "remove")}


def test_projected_loads_know_only_their_columns():
    obj = Lean(id="p", name="old", age=1)
    bloop.codec.load_into(obj, {"id": {"S": "p"}, "tags": {"SS": ["a"]}}, [Lean.id, Lean.name, Lean.tags])
    assert [c.name for c in obj.__dict__[SNAPSHOT].columns] == ["id", "name", "tags"]
    obj.tags.add("b")
    assert {k: kind for k, (kind, _) in lean_summary(obj).items()} == {"age": "set", "tags": "set"}


def test_a_save_records_a_snapshot_and_leaves_the_containers():
    obj = lean()
    obj.rows.append({"n": 5})
    record(obj, changes(obj, LEAN_COLUMNS), Lean.Meta.keys)
    assert lean_summary(obj) == {}
    obj.rows[1]["n"] = 6  # a plain dict the user added: seen through the recorded wire
    assert list(lean_summary(obj)) == ["rows"]


@pytest.mark.parametrize("twin", [lambda o: pickle.loads(pickle.dumps(o)), copy.deepcopy, copy.copy])
def test_copies_and_pickles_of_loaded_objects_see_changes(twin):
    obj = twin(lean())
    assert isinstance(obj.__dict__[SNAPSHOT], dict)  # made before copying
    obj.tags.add("c")
    obj.address["lines"].append("y")
    assert sorted(lean_summary(obj)) == ["address", "tags"]


def test_an_assignment_in_another_thread_waits_for_the_snapshot(monkeypatch):
    obj = lean()
    started = threading.Event()
    make = Loaded.snapshot

    def slowly(self, values):
        started.set()
        time.sleep(0.2)  # the other thread assigns meanwhile, or waits for this one
        return make(self, values)

    monkeypatch.setattr(Loaded, "snapshot", slowly)
    first = threading.Thread(target=setattr, args=(obj, "name", "Bob"))
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=setattr, args=(obj, "age", 99))
    second.start()
    first.join(5)
    second.join(5)
    assert lean_summary(obj) == {"name": ("set", {"S": "Bob"}), "age": ("set", {"N": "99"})}


# --- keys a Map does not declare ---------------------------------------------------------------

#: LEAN with keys the Map types do not declare (written by another program)
KEPT = {"country": {"S": "NO"}}
LEAN_UNDECLARED = dict(LEAN, address={"M": {**LEAN["address"]["M"], **KEPT}},
                       rows={"L": [{"M": {"n": {"N": "1"}, "note": {"S": "x"}}}]})
PROFILE_UNDECLARED = dict(LOADED, address={"M": {"city": {"S": "Oslo"}, **KEPT}})


def lean_undeclared():
    return bloop.from_item(Lean, LEAN_UNDECLARED)


def profile_undeclared():
    obj = bloop.from_item(Profile, PROFILE_UNDECLARED)
    assert isinstance(obj.__dict__[SNAPSHOT], dict)  # a JSON column: a snapshot at load
    return obj


@pytest.mark.parametrize("make", [lean_undeclared, profile_undeclared], ids=["marker", "snapshot at load"])
def test_an_unchanged_map_with_undeclared_keys_is_not_sent(make):
    obj = make()
    assert obj.address == {"city": "Oslo", **({"lines": ["x"]} if isinstance(obj, Lean) else {})}
    obj.name = "Bob"
    columns = LEAN_COLUMNS if isinstance(obj, Lean) else COLUMNS
    assert {column.name for column, _, _ in changes(obj, columns)} == {"name"}


@pytest.mark.parametrize("make", [lean_undeclared, profile_undeclared], ids=["marker", "snapshot at load"])
@pytest.mark.parametrize("change", [
    lambda o: o.address.__setitem__("city", "Rome"),
    lambda o: setattr(o, "address", {"city": "Rome"}),
    lambda o: setattr(o, "address", bloop.types.TrackedDict(city="Rome")),
], ids=["in place", "a new dict", "a new tracked dict"])
def test_a_changed_map_writes_its_undeclared_keys_back(make, change):
    obj = make()
    change(obj)
    result = changes(obj, [type(obj).address])
    (column, kind, wire), = result
    assert kind == "set" and wire["M"]["city"] == {"S": "Rome"} and wire["M"]["country"] == KEPT["country"]
    record(obj, result)
    assert changes(obj, [type(obj).address]) == []  # recorded as written, undeclared keys included
    obj.address = dict(obj.address)  # the same declared keys in a plain dict: nothing to send
    assert changes(obj, [type(obj).address]) == []


def test_undeclared_keys_inside_lists_travel_with_their_element():
    obj = lean_undeclared()
    obj.rows[0]["n"] = 2
    obj.rows.append({"n": 3})
    (_, _, wire), = changes(obj, [Lean.rows])
    assert wire == {"L": [{"M": {"n": {"N": "2"}, "note": {"S": "x"}}}, {"M": {"n": {"N": "3"}}}]}
    obj.rows = obj.rows[::-1]  # the loaded element keeps them wherever it goes
    (_, _, wire), = changes(obj, [Lean.rows])
    assert wire["L"][1] == {"M": {"n": {"N": "2"}, "note": {"S": "x"}}}


def test_undeclared_keys_go_only_with_the_whole_attribute():
    obj = lean_undeclared()
    obj.address.clear()
    assert changes(obj, [Lean.address]) == [(Lean.address, "set", {"M": KEPT})]
    obj.address = None
    assert changes(obj, [Lean.address]) == [(Lean.address, "remove", None)]


def test_actions_inside_a_map_leave_undeclared_keys_alone():
    obj = lean_undeclared()
    obj.address = {"zip": actions.add(1)}
    sent = {(tuple(op.segments), kind) for op, kind, _ in changes(obj, [Lean.address])}
    assert sent == {(("zip",), "add"), (("city",), "remove"), (("lines",), "remove")}


def test_an_object_whose_snapshot_holds_undeclared_keys_is_not_put_whole():
    from bloop.tracking import puttable
    columns = Lean.Meta.columns
    # updated instead, which writes them back whatever became of the loaded dicts
    assert not puttable(lean_undeclared(), columns)
    assert not puttable(profile_undeclared(), Profile.Meta.columns)
    obj = lean_undeclared()
    obj.address = {"city": "Rome"}
    assert not puttable(obj, columns)
    # a snapshot recorded after a save
    nested = Lean(id="p")
    nested.address = {"city": "Rome"}
    record(nested, [(Lean.address, "set", {"M": {"lines": {"M": {}}, "other": {"S": "x"}}})])
    assert not puttable(nested, [Lean.id, Lean.address])
    assert puttable(loaded(), Profile.Meta.columns)
    assert puttable(lean(), columns)
    plain = lean()
    plain.address = {"city": "Rome"}
    assert puttable(plain, columns)
