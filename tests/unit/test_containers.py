"""bloop.containers: loaded lists, sets and dicts remember their loaded content."""
import copy
import pickle

import pytest
from hypothesis import given, settings, strategies as st

from bloop.containers import TrackedDict, TrackedList, TrackedSet, loaded_view

LIST_CHANGES = [
    ("__setitem__", (0, 9)), ("__delitem__", (0,)), ("__iadd__", ([7],)), ("__imul__", (2,)),
    ("append", (4,)), ("extend", ([5, 6],)), ("insert", (0, 8)), ("pop", ()), ("remove", (1,)),
    ("clear", ()), ("sort", ()), ("reverse", ()),
]
SET_CHANGES = [
    ("__ior__", ({"z"},)), ("__iand__", ({"a"},)), ("__isub__", ({"a"},)), ("__ixor__", ({"a", "z"},)),
    ("add", ("z",)), ("discard", ("a",)), ("remove", ("a",)), ("pop", ()), ("clear", ()),
    ("update", ({"z"},)), ("intersection_update", ({"a"},)), ("difference_update", ({"a"},)),
    ("symmetric_difference_update", ({"a", "z"},)),
]
DICT_CHANGES = [
    ("__setitem__", ("k", 9)), ("__delitem__", ("a",)), ("__ior__", ({"z": 1},)), ("pop", ("a",)),
    ("popitem", ()), ("clear", ()), ("update", ({"z": 1},)), ("setdefault", ("z", 1)),
]


@pytest.mark.parametrize("name, args", LIST_CHANGES)
def test_every_list_change_keeps_the_loaded_content(name, args):
    tracked, plain = TrackedList([3, 1, 2]), [3, 1, 2]
    assert getattr(tracked, name)(*args) == getattr(plain, name)(*args) or name.startswith("__i")
    assert tracked == plain
    assert loaded_view(tracked) == [3, 1, 2]


@pytest.mark.parametrize("name, args", SET_CHANGES)
def test_every_set_change_keeps_the_loaded_content(name, args):
    tracked, plain = TrackedSet({"a", "b"}), {"a", "b"}
    if name == "pop":
        plain.discard(tracked.pop())
    else:
        getattr(tracked, name)(*args)
        getattr(plain, name)(*args)
    assert tracked == plain
    assert loaded_view(tracked) == {"a", "b"}


@pytest.mark.parametrize("name, args", DICT_CHANGES)
def test_every_dict_change_keeps_the_loaded_content(name, args):
    tracked, plain = TrackedDict({"a": 1, "b": 2}), {"a": 1, "b": 2}
    assert getattr(tracked, name)(*args) == getattr(plain, name)(*args) or name.startswith("__i")
    assert tracked == plain
    assert loaded_view(tracked) == {"a": 1, "b": 2}


def test_the_loaded_content_is_kept_once():
    tracked = TrackedList([1])
    tracked.append(2)
    tracked.append(3)
    assert tracked == [1, 2, 3] and loaded_view(tracked) == [1]


def test_reading_keeps_nothing():
    tracked = TrackedDict({"a": TrackedList([1])})
    tracked["a"][0], tracked.get("a"), list(tracked.items()), tracked.copy(), sorted(tracked)
    assert not hasattr(tracked, "_loaded") and not hasattr(tracked["a"], "_loaded")


def test_nested_containers_each_keep_their_own():
    inner = TrackedList([1, 2])
    outer = TrackedDict({"sizes": inner, "tags": TrackedSet({"x"})})
    inner.append(3)  # only the inner list changed
    assert not hasattr(outer, "_loaded")
    outer["new"] = TrackedList([0])
    outer["tags"].add("y")
    del outer["sizes"]
    inner.append(4)  # no longer in outer, but still part of what was loaded
    assert loaded_view(outer) == {"sizes": [1, 2], "tags": {"x"}}
    assert outer == {"tags": {"x", "y"}, "new": [0]}


def test_loaded_view_is_plain():
    view = loaded_view(TrackedList([TrackedDict({"a": TrackedSet({1})})]))
    assert type(view) is list and type(view[0]) is dict and type(view[0]["a"]) is set
    assert loaded_view("text") == "text"


def test_they_look_like_plain_containers():
    assert repr(TrackedSet({"a"})) == "{'a'}" and repr(TrackedSet()) == "set()"
    assert repr(TrackedList([1])) == "[1]" and repr(TrackedDict(a=1)) == "{'a': 1}"
    assert isinstance(TrackedSet(), set) and TrackedList([1]) == [1] and TrackedDict(a=1) == {"a": 1}


@pytest.mark.parametrize("tracked, plain", [
    (TrackedList([1, [2]]), [1, [2]]), (TrackedSet({1}), {1}), (TrackedDict(a=[1]), {"a": [1]}),
])
def test_copies_and_pickles_are_plain(tracked, plain):
    for twin in (copy.copy(tracked), copy.deepcopy(tracked), pickle.loads(pickle.dumps(tracked))):
        assert twin == plain and type(twin) is type(plain)
    with pytest.raises(AttributeError):
        tracked.anything = 1


operations = st.lists(st.tuples(st.sampled_from(["append", "insert", "pop", "setitem", "delitem", "extend",
                                                 "sort", "clear"]), st.integers(0, 9)), max_size=12)


@settings(max_examples=100, deadline=None)
@given(start=st.lists(st.integers(0, 9), max_size=6), ops=operations)
def test_random_list_changes(start, ops):
    tracked, plain = TrackedList(start), list(start)
    for op, n in ops:
        for target in (tracked, plain):
            if op == "append":
                target.append(n)
            elif op == "insert":
                target.insert(n, n)
            elif op == "extend":
                target.extend([n, n])
            elif op == "sort":
                target.sort(reverse=bool(n % 2))
            elif op == "clear":
                target.clear()
            elif target:
                index = n % len(target)
                if op == "pop":
                    target.pop(index)
                elif op == "setitem":
                    target[index] = n
                else:
                    del target[index]
        assert tracked == plain
    assert loaded_view(tracked) == start
