"""bloop.actions: an update action that does not fit its column is refused where it is
assigned (or, for arithmetic, built), naming the column and why."""
import pytest

from bloop import BaseModel, Boolean, Column, DynamicMap, Integer, List, Map, Set, String, actions
from bloop.exceptions import InvalidCondition
from bloop.tracking import changes


class Thing(BaseModel):
    id = Column(String, hash_key=True)
    count = Column(Integer)
    other = Column(Integer)
    name = Column(String)
    flag = Column(Boolean)
    tags = Column(Set(String))
    log = Column(List(Integer))
    doc = Column(Map(n=Integer, s=String))
    data = Column(DynamicMap)


@pytest.mark.parametrize("column, action, why", [
    ("name", actions.add(1), "add() works on numbers and sets, not a string"),
    ("log", actions.add([1]), "add() works on numbers and sets, not a list"),
    ("count", actions.delete({1}), "delete() works on sets, not a number"),
    ("name", actions.delete({"a"}), "delete() works on sets, not a string"),
    ("tags", actions.append(["a"]), "append() works on lists, not a set"),
    ("count", actions.prepend([1]), "prepend() works on lists, not a number"),
    ("name", actions.plus(1), "arithmetic works on numbers, not a string"),
    ("flag", actions.minus(1), "arithmetic works on numbers, not a boolean"),
    ("tags", actions.subtract_from(1), "arithmetic works on numbers, not a set"),
    ("count", Thing.other + 1, "arithmetic must read what it is assigned to"),
    ("other", 5 - Thing.count, "arithmetic must read what it is assigned to"),
])
def test_an_action_that_does_not_fit_is_refused_where_assigned(column, action, why):
    obj = Thing(id="t")
    with pytest.raises(InvalidCondition) as excinfo:
        setattr(obj, column, action)
    assert isinstance(excinfo.value, ValueError)
    assert str(excinfo.value).startswith(f"Thing.{column}: {why}")
    assert column not in obj.__dict__  # not assigned
    assert changes(obj, [getattr(Thing, column)]) == []


def test_actions_that_fit_are_assigned():
    obj = Thing(id="t")
    obj.count = actions.add(1)
    obj.tags = actions.delete({"a"})
    obj.log = actions.append([1])
    obj.other = Thing.other + 1
    obj.name = actions.if_not_exists("x")
    obj.flag = actions.set(True)
    obj.data = actions.remove()
    entries = changes(obj, [Thing.count, Thing.tags, Thing.log, Thing.other, Thing.name, Thing.flag, Thing.data])
    assert [kind for _, kind, _ in entries] == ["add", "delete", "append", "plus", "if_not_exists", "set", "remove"]


def test_actions_inside_a_map_are_checked_when_the_save_is_built():
    # a map's value does not know its path: its actions are checked by tracking.changes
    obj = Thing(id="t")
    obj.doc = {"s": actions.add(1)}
    with pytest.raises(InvalidCondition, match=r"^Thing\.doc\['s'\]: add\(\) works on numbers and sets, not a string"):
        changes(obj, [Thing.doc])
    obj.doc = {"n": actions.add(1)}
    assert [kind for _, kind, _ in changes(obj, [Thing.doc])] == ["add"]


def test_a_path_into_dynamic_data_takes_any_action():
    obj = Thing(id="t")
    obj.data = {"x": actions.append([1]), "y": actions.add(1)}
    assert sorted(kind for _, kind, _ in changes(obj, [Thing.data])) == ["add", "append"]
