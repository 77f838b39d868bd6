"""bloop.conditions: building inert condition nodes from columns and paths."""
import pytest

from bloop import BaseModel, Boolean, Column, Condition, DynamicMap, Integer, List, Map, Set, String, size
from bloop.conditions import (
    And, BeginsWith, Between, Comparison, Contains, Exists, In, IsType, Not, Or, Path, Size, iter_conditions,
)
from bloop.exceptions import InvalidCondition, InvalidValue


class Item(BaseModel):
    id = Column(String, hash_key=True)
    age = Column(Integer)
    name = Column(String)
    tags = Column(Set(String))
    doc = Column(Map(a=List(Integer), b=String))
    data = Column(DynamicMap)


def test_operators_build_nodes():
    cases = [
        (Item.age == 1, Comparison, "=="),
        (Item.age != 1, Comparison, "!="),
        (Item.age < 1, Comparison, "<"),
        (Item.age <= 1, Comparison, "<="),
        (Item.age > 1, Comparison, ">"),
        (Item.age >= 1, Comparison, ">="),
        (Item.name.begins_with("a"), BeginsWith, "begins_with"),
        (Item.age.between(1, 2), Between, "between"),
        (Item.tags.contains("x"), Contains, "contains"),
        (Item.age.in_([1, 2]), In, "in"),
        (Item.age.is_(None), Exists, "not_exists"),
        (Item.age.is_not(None), Exists, "exists"),
        (Item.age == None, Exists, "not_exists"),  # noqa: E711 - builds a condition
        (Item.age != None, Exists, "exists"),  # noqa: E711
        (Item.age.is_type("N"), IsType, "is_type"),
    ]
    for condition, cls, operator in cases:
        assert type(condition) is cls
        assert condition.operator == operator
        assert condition.operand is Item.age or condition.operand is Item.name or condition.operand is Item.tags


def test_reflected_comparisons():
    # 3 < Item.age is Item.age > 3 (Python reflects the operator)
    condition = 3 < Item.age
    assert condition.operator == ">" and condition.operand is Item.age and condition.value == 3


def test_condition_is_never_truthy():
    for condition in (Item.age == 1, Condition(), (Item.age == 1) & (Item.name == "x"), ~(Item.age == 1)):
        with pytest.raises(TypeError):
            bool(condition)
        with pytest.raises(TypeError):
            if condition:
                pass


def test_chained_comparison_is_refused():
    with pytest.raises(TypeError):
        1 < Item.age < 3


def test_and_or_not():
    a, b, c = Item.age == 1, Item.name == "x", Item.tags.contains("t")
    both = a & b
    assert type(both) is And and both.conditions == (a, b)
    either = a | b
    assert type(either) is Or and either.conditions == (a, b)
    negated = ~a
    assert type(negated) is Not and negated.condition is a
    assert ~negated is a
    # flattening: (a & b) & c is one AND of three
    assert (both & c).conditions == (a, b, c)
    assert (a & (b & c)).conditions == (a, b, c)
    assert ((a | b) | c).conditions == (a, b, c)
    mixed = (a & b) | c
    assert type(mixed) is Or and mixed.conditions[0].conditions == (a, b) and mixed.conditions[1] is c


def test_operators_do_not_mutate():
    a, b, c = Item.age == 1, Item.name == "x", Item.age > 0
    both = a & b
    combined = both
    combined &= c
    assert both.conditions == (a, b)
    assert combined.conditions == (a, b, c)


def test_empty_condition_is_the_identity():
    a = Item.age == 1
    empty = Condition()
    assert (empty & a) is a
    assert (a & empty) is a
    assert (empty | a) is a
    assert (a | empty) is a
    assert (~empty).kind == "empty"
    assert (empty & empty).kind == "empty"
    assert len(empty) == 0
    assert repr(empty) == "Condition()"


def test_building_in_a_loop():
    condition = Condition()
    for value in ("a", "b", "c"):
        condition |= Item.name == value
    assert type(condition) is Or
    assert [leaf.value for leaf in condition.conditions] == ["a", "b", "c"]

    condition = Condition()
    for value in ("only",):
        condition &= Item.name == value
    assert type(condition) is Comparison


def test_combining_with_a_non_condition_is_refused():
    with pytest.raises(InvalidCondition):
        (Item.age == 1) & True
    with pytest.raises(InvalidCondition):
        (Item.age == 1) | "x"
    with pytest.raises(InvalidCondition):
        Not("x")
    with pytest.raises(InvalidCondition):
        Not(None)


def test_paths():
    path = Item.doc["a"][0]
    assert type(path) is Path
    assert path.column is Item.doc
    assert path.segments == ("a", 0)
    assert isinstance(path.typedef, Integer)
    assert isinstance(Item.data["x"]["y"][3], Path)
    condition = Item.doc["b"].begins_with("x")
    assert condition.operand.segments == ("b",)
    assert repr(path) == "<Path[<Column[Item.doc]>['a'][0]]>"


@pytest.mark.parametrize("key", [-1, 1.5, None, True, b"x", ("a",)])
def test_bad_path_segments(key):
    with pytest.raises(InvalidCondition):
        Item.doc[key]


@pytest.mark.parametrize("build", [
    lambda: Item.doc["\ud800"],
    lambda: Item.doc["a"]["x\udfff"],
    lambda: Item.doc["a"][0]["\ud800"],
])
def test_a_lone_surrogate_in_a_path_key_is_refused_when_the_path_is_built(build):
    # a condition without a value (is_(None), size(...)) never dumps the key: refused here
    with pytest.raises(InvalidValue, match=r"^Item\.doc\[.*lone surrogate"):
        build()


def test_path_into_undeclared_field_fails_on_its_type():
    with pytest.raises(InvalidValue):
        Item.doc["zzz"].typedef
    with pytest.raises(InvalidValue):
        Item.age["x"].typedef


def test_size():
    condition = size(Item.tags) > 3
    assert isinstance(condition.operand, Size)
    assert condition.operand.column is Item.tags
    assert isinstance(condition.operand.typedef, Integer)
    assert repr(size(Item.tags)) == "size(<Column[Item.tags]>)"
    with pytest.raises(InvalidCondition):
        size(size(Item.tags))
    with pytest.raises(InvalidCondition):
        size("tags")
    with pytest.raises(InvalidCondition):
        size(Item.tags)["x"]


def test_is_and_is_not_are_equality_and_inequality():
    # bloop 3's spelling: is_(None) is attribute_not_exists, is_(3) is == 3
    assert type(Item.age.is_(None)) is Exists and type(Item.age.is_not(None)) is Exists
    assert Item.age.is_(3).operator == "==" and Item.age.is_not("x").operator == "!="


def test_is_type_codes():
    assert Item.age.is_type("SS").value == "SS"
    assert Item.age.is_type(String).value == "S"
    assert Item.age.is_type(Set(Integer)).value == "NS"
    with pytest.raises(InvalidCondition):
        Item.age.is_type("STRING")


def test_in_needs_a_collection():
    assert Item.age.in_(x for x in (1, 2)).value == [1, 2]
    with pytest.raises(InvalidCondition):
        Item.name.in_("abc")
    with pytest.raises(InvalidCondition):
        Item.age.in_([])


def test_columns_keep_identity_semantics():
    # == builds a condition, so columns must still hash and be found by identity
    columns = {Item.age: 1, Item.name: 2}
    assert columns[Item.age] == 1
    assert hash(Item.age) != hash(Item.name)


def test_iter_conditions():
    a, b, c = Item.age == 1, Item.name == "x", Item.tags.contains("t")
    assert list(iter_conditions((a & b) | ~c)) == [a, b, c]
    assert list(iter_conditions(Condition())) == []


def test_repr():
    assert repr((Item.age == 1) & ~(Item.name == "x")) == \
        "((<Column[Item.age]> == 1) & ~(<Column[Item.name]> == 'x'))"
    assert repr((Item.age == 1) | (Item.age == 2)) == "((<Column[Item.age]> == 1) | (<Column[Item.age]> == 2))"


# ---------------------------------------------------------------------------------------
# what a type supports is refused where the condition is built, naming the column and why

class Kinds(BaseModel):
    id = Column(String, hash_key=True)
    age = Column(Integer)
    flag = Column(Boolean)
    tags = Column(Set(String))
    scores = Column(List(Integer))
    doc = Column(Map(a=List(Integer), b=String))
    data = Column(DynamicMap)


@pytest.mark.parametrize("build, where, why", [
    (lambda: Kinds.age.begins_with("1"), "Kinds.age", "begins_with() works on strings and binary, not a number"),
    (lambda: Kinds.age.startswith("1"), "Kinds.age", "begins_with() works on strings and binary, not a number"),
    (lambda: Kinds.tags.begins_with("a"), "Kinds.tags", "begins_with() works on strings and binary, not a set"),
    (lambda: Kinds.doc["a"][0].begins_with("1"), "Kinds.doc['a'][0]", "begins_with() works on strings and binary"),
    (lambda: size(Kinds.tags).begins_with("1"), "size(Kinds.tags)", "begins_with() works on strings and binary"),
    (lambda: Kinds.age.contains(1), "Kinds.age", "contains() works on strings, binary, sets and lists, not a number"),
    (lambda: Kinds.flag.contains(True), "Kinds.flag", "contains() works on strings, binary, sets and lists"),
    (lambda: Kinds.doc.contains("a"), "Kinds.doc", "contains() works on strings, binary, sets and lists, not a map"),
    (lambda: size(Kinds.age), "Kinds.age", "size() works on strings, binary, sets, lists and maps, not a number"),
    (lambda: size(Kinds.doc["a"][0]), "Kinds.doc['a'][0]", "size() works on strings, binary, sets, lists and maps"),
    (lambda: size(Kinds.flag) > 1, "Kinds.flag", "size() works on strings, binary, sets, lists and maps"),
    (lambda: Kinds.tags < {"a"}, "Kinds.tags", "< compares strings, numbers and binary, not a set"),
    (lambda: Kinds.flag >= True, "Kinds.flag", ">= compares strings, numbers and binary, not a boolean"),
    (lambda: 3 < Kinds.scores, "Kinds.scores", "> compares strings, numbers and binary, not a list"),
    (lambda: Kinds.doc.between({}, {}), "Kinds.doc", "between() compares strings, numbers and binary, not a map"),
])
def test_unsupported_conditions_refused_where_built(build, where, why):
    with pytest.raises(InvalidCondition) as excinfo:
        build()
    assert isinstance(excinfo.value, ValueError)
    assert str(excinfo.value).startswith(f"{where}: {why}")


@pytest.mark.parametrize("build, where, why", [
    (lambda: Kinds.id + 1, "Kinds.id", "arithmetic works on numbers, not a string"),
    (lambda: Kinds.tags - 1, "Kinds.tags", "arithmetic works on numbers, not a set"),
    (lambda: 5 - Kinds.flag, "Kinds.flag", "arithmetic works on numbers, not a boolean"),
    (lambda: 1 + Kinds.doc["b"], "Kinds.doc['b']", "arithmetic works on numbers, not a string"),
    (lambda: size(Kinds.tags) + 1, "size(Kinds.tags)", "arithmetic updates an attribute, not its size"),
])
def test_unsupported_arithmetic_refused_where_built(build, where, why):
    with pytest.raises(InvalidCondition) as excinfo:
        build()
    assert str(excinfo.value).startswith(f"{where}: {why}")


def test_a_path_into_an_undeclared_key_is_refused_where_a_typed_condition_is_built():
    with pytest.raises(InvalidValue, match=r"^Kinds\.doc\['zzz'\]"):
        Kinds.doc["zzz"].begins_with("x")


def test_supported_conditions_still_build():
    # strings, binary, sets, lists; paths into dynamic data (DynamoDB checks those)
    Kinds.id.begins_with("a"), Kinds.id.contains("a"), Kinds.tags.contains("a"), Kinds.scores.contains(1)
    Kinds.data["x"].begins_with("a"), Kinds.data["x"].contains(1), size(Kinds.data["x"]) > 1
    size(Kinds.doc) > 1, size(Kinds.scores) > 1, size(Kinds.id) > 1, size(Kinds.tags).between(1, 2)
    Kinds.age < 3, Kinds.id >= "a", Kinds.data["x"] < 3, Kinds.age.between(1, 2), size(Kinds.tags) < 3
    Kinds.tags == {"a"}, Kinds.flag == True, Kinds.doc != {}  # noqa: E712 - equality works on every type
    Kinds.age + 1, 1 - Kinds.age, Kinds.data["n"] + 1, Kinds.doc["a"][0] - 1
