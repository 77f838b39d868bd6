"""bloop.expressions: rendering conditions and updates into exact DynamoDB request fragments."""
import pytest

from bloop import (
    BaseModel, Binary, Column, Condition, DynamicList, DynamicMap, Integer, List, Map, Set, String, size,
)
from bloop.exceptions import InvalidCondition, InvalidType, InvalidValue, LimitExceeded
from bloop.expressions import Renderer
from tests.unit.helpers import assert_render, render, validate_request


class Doc(BaseModel):
    class Meta:
        table_name = "docs"

    id = Column(String, hash_key=True)
    rev = Column(Integer, range_key=True)
    age = Column(Integer)
    name = Column(String, dynamo_name="full.name")
    tags = Column(Set(String))
    nums = Column(Set(Integer))
    doc = Column(Map(a=List(Integer), b=String, c=Map(d=String)))
    data = Column(DynamicMap)
    items = Column(DynamicList)
    blob = Column(Binary)
    scores = Column(List(Integer))


def one(expression, names, values=None):
    out = {"ConditionExpression": expression, "ExpressionAttributeNames": names}
    if values is not None:
        out["ExpressionAttributeValues"] = values
    return out


N1 = {"N": "1"}


@pytest.mark.parametrize("condition, expression", [
    (Doc.age == 1, "#n0 = :v0"),
    (Doc.age != 1, "#n0 <> :v0"),
    (Doc.age < 1, "#n0 < :v0"),
    (Doc.age <= 1, "#n0 <= :v0"),
    (Doc.age > 1, "#n0 > :v0"),
    (Doc.age >= 1, "#n0 >= :v0"),
])
def test_comparisons(condition, expression):
    assert_render(condition, one(expression, {"#n0": "age"}, {":v0": N1}))


def test_begins_with():
    assert_render(Doc.id.begins_with("ab"), one("begins_with(#n0, :v0)", {"#n0": "id"}, {":v0": {"S": "ab"}}))
    assert_render(Doc.blob.begins_with(b"\x00"),
                  one("begins_with(#n0, :v0)", {"#n0": "blob"}, {":v0": {"B": b"\x00"}}))


def test_between():
    assert_render(Doc.age.between(1, 5),
                  one("#n0 BETWEEN :v0 AND :v1", {"#n0": "age"}, {":v0": N1, ":v1": {"N": "5"}}))


def test_contains():
    # a set is searched for one element, dumped with the element type
    assert_render(Doc.tags.contains("x"), one("contains(#n0, :v0)", {"#n0": "tags"}, {":v0": {"S": "x"}}))
    assert_render(Doc.nums.contains(3), one("contains(#n0, :v0)", {"#n0": "nums"}, {":v0": {"N": "3"}}))
    assert_render(Doc.id.contains("sub"), one("contains(#n0, :v0)", {"#n0": "id"}, {":v0": {"S": "sub"}}))
    assert_render(Doc.scores.contains(7), one("contains(#n0, :v0)", {"#n0": "scores"}, {":v0": {"N": "7"}}))
    assert_render(Doc.items.contains("x"), one("contains(#n0, :v0)", {"#n0": "items"}, {":v0": {"S": "x"}}))
    with pytest.raises(InvalidType):
        render(Doc.nums.contains("x"))
    with pytest.raises(InvalidCondition):
        render(Doc.doc.contains("x"))
    with pytest.raises(InvalidCondition):
        render(Doc.age.contains(1))


def test_in():
    assert_render(Doc.age.in_([1, 2, 3]),
                  one("#n0 IN (:v0, :v1, :v2)", {"#n0": "age"}, {":v0": N1, ":v1": {"N": "2"}, ":v2": {"N": "3"}}))


def test_exists():
    assert_render(Doc.age.is_(None), one("attribute_not_exists(#n0)", {"#n0": "age"}))
    assert_render(Doc.age.is_not(None), one("attribute_exists(#n0)", {"#n0": "age"}))
    assert_render(Doc.age == None, one("attribute_not_exists(#n0)", {"#n0": "age"}))  # noqa: E711
    assert_render(Doc.age != None, one("attribute_exists(#n0)", {"#n0": "age"}))  # noqa: E711


def test_is_type():
    assert_render(Doc.data["x"].is_type("L"),
                  one("attribute_type(#n0.#n1, :v0)", {"#n0": "data", "#n1": "x"}, {":v0": {"S": "L"}}))
    assert_render(Doc.tags.is_type(Set(String)), one("attribute_type(#n0, :v0)", {"#n0": "tags"}, {":v0": {"S": "SS"}}))


def test_size():
    assert_render(size(Doc.tags) > 3, one("size(#n0) > :v0", {"#n0": "tags"}, {":v0": {"N": "3"}}))
    assert_render(size(Doc.doc["a"]).between(1, 2),
                  one("size(#n0.#n1) BETWEEN :v0 AND :v1", {"#n0": "doc", "#n1": "a"},
                      {":v0": N1, ":v1": {"N": "2"}}))
    with pytest.raises(InvalidType):
        render(size(Doc.tags) == "3")


def test_and_or_not():
    assert_render((Doc.age > 1) & (Doc.id == "x"),
                  one("(#n0 > :v0 AND #n1 = :v1)", {"#n0": "age", "#n1": "id"}, {":v0": N1, ":v1": {"S": "x"}}))
    assert_render((Doc.age > 1) | (Doc.id == "x"),
                  one("(#n0 > :v0 OR #n1 = :v1)", {"#n0": "age", "#n1": "id"}, {":v0": N1, ":v1": {"S": "x"}}))
    assert_render(~(Doc.age > 1), one("(NOT #n0 > :v0)", {"#n0": "age"}, {":v0": N1}))
    assert_render(((Doc.age > 1) & (Doc.age < 5)) | ~Doc.id.is_(None),
                  one("((#n0 > :v0 AND #n0 < :v1) OR (NOT attribute_not_exists(#n1)))",
                      {"#n0": "age", "#n1": "id"}, {":v0": N1, ":v1": {"N": "5"}}))


def test_same_name_one_placeholder_every_value_its_own():
    assert_render((Doc.age == 1) | (Doc.age == 1),
                  one("(#n0 = :v0 OR #n0 = :v1)", {"#n0": "age"}, {":v0": N1, ":v1": N1}))


def test_empty_condition_renders_nothing():
    assert_render(Condition(), {})
    assert_render({"condition": None}, {})
    condition = Condition()
    for value in (1, 2):
        condition |= Doc.age == value
    assert_render(condition, one("(#n0 = :v0 OR #n0 = :v1)", {"#n0": "age"}, {":v0": N1, ":v1": {"N": "2"}}))
    assert_render(Condition() & (Doc.age == 1), one("#n0 = :v0", {"#n0": "age"}, {":v0": N1}))


def test_paths():
    assert_render(Doc.doc["a"][0] == 1, one("#n0.#n1[0] = :v0", {"#n0": "doc", "#n1": "a"}, {":v0": N1}))
    assert_render(Doc.doc["c"]["d"].begins_with("x"),
                  one("begins_with(#n0.#n1.#n2, :v0)", {"#n0": "doc", "#n1": "c", "#n2": "d"}, {":v0": {"S": "x"}}))
    assert_render(Doc.data["a"][2]["b"] == [1, "x"],
                  one("#n0.#n1[2].#n2 = :v0", {"#n0": "data", "#n1": "a", "#n2": "b"},
                      {":v0": {"L": [N1, {"S": "x"}]}}))
    assert_render(Doc.items[0] == {"k": True},
                  one("#n0[0] = :v0", {"#n0": "items"}, {":v0": {"M": {"k": {"BOOL": True}}}}))
    assert_render(Doc.data["name"].begins_with("x"),
                  one("begins_with(#n0.#n1, :v0)", {"#n0": "data", "#n1": "name"}, {":v0": {"S": "x"}}))
    with pytest.raises(InvalidType):
        render(Doc.doc["a"][0] == "x")
    with pytest.raises(InvalidValue):
        render(Doc.doc["nope"] == 1)


def test_names_with_dots_and_reserved_words_are_one_placeholder():
    assert_render(Doc.name == "x", one("#n0 = :v0", {"#n0": "full.name"}, {":v0": {"S": "x"}}))
    assert_render(Doc.data["a.b"]["size"] == 1,
                  one("#n0.#n1.#n2 = :v0", {"#n0": "data", "#n1": "a.b", "#n2": "size"}, {":v0": N1}))


def test_column_compared_with_column():
    assert_render(Doc.age > Doc.rev, one("#n0 > #n1", {"#n0": "age", "#n1": "rev"}))
    assert_render(Doc.age.between(Doc.rev, 5),
                  one("#n0 BETWEEN #n1 AND :v0", {"#n0": "age", "#n1": "rev"}, {":v0": {"N": "5"}}))


@pytest.mark.parametrize("condition", [
    Doc.age < None,
    Doc.age <= None,
    Doc.age > None,
    Doc.age >= None,
    Doc.age.between(None, 3),
    Doc.age.between(1, None),
    Doc.age.in_([1, None]),
    Doc.id.begins_with(None),
    Doc.tags.contains(None),
])
def test_none_outside_equality_refused(condition):
    with pytest.raises(InvalidCondition) as excinfo:
        render(condition)
    assert isinstance(excinfo.value, ValueError)


def test_empty_values_refused():
    with pytest.raises(InvalidCondition):
        render(Doc.tags == set())


def test_begins_with_needs_a_string():
    with pytest.raises(InvalidCondition):
        render(Doc.age.begins_with(1))


def test_wrong_value_type_refused():
    with pytest.raises(InvalidType):
        render(Doc.age == "1")


def test_in_operand_limit():
    assert render(Doc.age.in_(range(100)))["ConditionExpression"].count(":v") == 100
    with pytest.raises(LimitExceeded) as excinfo:
        render(Doc.age.in_(range(101)))
    assert isinstance(excinfo.value, ValueError)


def test_expression_size_limit():
    def many(n):
        condition = Condition()
        for i in range(n):
            condition |= Doc.age == i
        return condition

    small = render(many(250))["ConditionExpression"]
    assert len(small.encode()) <= 4096
    big = many(400)  # about 5 KB
    with pytest.raises(LimitExceeded):
        render(big)
    with pytest.raises(LimitExceeded):
        render({"filter": big})
    with pytest.raises(LimitExceeded):
        render({"key": big})


def test_not_a_condition_refused():
    with pytest.raises(InvalidCondition):
        render({"condition": "age > 1"})


def test_key_filter_condition_projection_share_placeholders():
    rendered = render({"key": Doc.id == "x", "filter": Doc.age > 1, "projection": [Doc.id, Doc.age, Doc.name]})
    assert rendered == {
        "KeyConditionExpression": "#n0 = :v0",
        "FilterExpression": "#n1 > :v1",
        "ProjectionExpression": "#n0, #n1, #n2",
        "ExpressionAttributeNames": {"#n0": "id", "#n1": "age", "#n2": "full.name"},
        "ExpressionAttributeValues": {":v0": {"S": "x"}, ":v1": N1},
    }
    validate_request("query", dict(rendered, TableName="docs"))


def test_update_expression():
    entries = [
        (Doc.age, "set", N1),
        (Doc.name, "remove", None),
        (Doc.nums, "add", {"NS": ["2"]}),
        (Doc.tags, "delete", {"SS": ["x"]}),
        (Doc.scores, "append", {"L": [N1]}),
        (Doc.items, "prepend", {"L": [N1]}),
        (Doc.doc["b"], "if_not_exists", {"S": "d"}),
        (Doc.blob, "set", None),
    ]
    rendered = render({"update": entries, "condition": Doc.age.is_(None)})
    assert rendered == {
        "ConditionExpression": "attribute_not_exists(#n0)",
        "UpdateExpression": ("SET #n0=:v0, #n4=list_append(#n4, :v3), #n5=list_append(:v4, #n5), "
                             "#n6.#n7=if_not_exists(#n6.#n7, :v5) "
                             "REMOVE #n1, #n8 ADD #n2 :v1 DELETE #n3 :v2"),
        "ExpressionAttributeNames": {"#n0": "age", "#n1": "full.name", "#n2": "nums", "#n3": "tags",
                                     "#n4": "scores", "#n5": "items", "#n6": "doc", "#n7": "b", "#n8": "blob"},
        "ExpressionAttributeValues": {":v0": N1, ":v1": {"NS": ["2"]}, ":v2": {"SS": ["x"]}, ":v3": {"L": [N1]},
                                      ":v4": {"L": [N1]}, ":v5": {"S": "d"}},
    }
    validate_request("update_item", dict(rendered, TableName="docs", Key={"id": {"S": "a"}, "rev": N1}))


def test_empty_update_renders_nothing():
    assert render({"update": []}) == {}
    with pytest.raises(InvalidCondition):
        render({"update": [(Doc.age, "multiply", N1)]})


def test_one_renderer_per_request():
    renderer = Renderer()
    assert renderer.condition(Doc.age == 1) == "#n0 = :v0"
    assert renderer.condition(Doc.age == 2) == "#n0 = :v1"
    assert renderer.render() == {"ExpressionAttributeNames": {"#n0": "age"},
                                 "ExpressionAttributeValues": {":v0": N1, ":v1": {"N": "2"}}}


def test_arithmetic_updates():
    rendered = render({"update": [(Doc.age, "plus", N1), (Doc.rev, "minus", {"N": "2"})]})
    assert rendered == {
        "UpdateExpression": "SET #n0=#n0 + :v0, #n1=#n1 - :v1",
        "ExpressionAttributeNames": {"#n0": "age", "#n1": "rev"},
        "ExpressionAttributeValues": {":v0": N1, ":v1": {"N": "2"}},
    }


def test_arithmetic_from_columns_builds_actions():
    from bloop.actions import Action
    action = Doc.age + 3
    assert isinstance(action, Action) and (action.kind, action.value, action.source) == ("plus", 3, Doc.age)
    action = Doc.age - 1
    assert (action.kind, action.value) == ("minus", 1)
    assert action.wire(Doc.age) == N1
    with pytest.raises(InvalidCondition):
        (Doc.age + 1).wire(Doc.rev)  # reads another column
    with pytest.raises(InvalidCondition):
        (Doc.name + "x").wire(Doc.name)  # not a number


def test_overlapping_update_paths_refused():
    with pytest.raises(InvalidCondition, match="overlap"):
        render({"update": [(Doc.doc, "set", {"M": {}}), (Doc.doc["b"], "set", {"S": "x"})]})
    with pytest.raises(InvalidCondition, match="overlap"):
        render({"update": [(Doc.scores[0], "add", N1), (Doc.scores[0], "set", N1)]})
    rendered = render({"update": [(Doc.doc["b"], "set", {"S": "x"}), (Doc.doc["a"][1], "add", N1)]})
    assert rendered["UpdateExpression"] == "SET #n0.#n1=:v0 ADD #n0.#n2[1] :v1"


def test_an_update_with_nothing_to_write_removes_the_named_attribute():
    # operations.update_request: an UpdateItem with a condition needs an UpdateExpression
    # even when the object has nothing but its key; the renderer numbers that name too
    expected = {
        "ConditionExpression": "attribute_not_exists(#n0)",
        "UpdateExpression": "REMOVE #n1",
        "ExpressionAttributeNames": {"#n0": "age", "#n1": "_bloop_key_only"},
    }
    assert_render({"condition": Doc.age.is_(None), "update": [], "remove_if_empty": "_bloop_key_only"}, expected)
    validate_request("update_item", dict(expected, TableName="docs", Key={"id": {"S": "a"}, "rev": N1}))
    assert_render({"update": [], "remove_if_empty": "x"},
                  {"UpdateExpression": "REMOVE #n0", "ExpressionAttributeNames": {"#n0": "x"}})
    # something to write: the name is not used
    assert_render({"update": [(Doc.age, "set", N1)], "remove_if_empty": "x"},
                  {"UpdateExpression": "SET #n0=:v0", "ExpressionAttributeNames": {"#n0": "age"},
                   "ExpressionAttributeValues": {":v0": N1}})


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_the_renderer_has_one_method_per_node_kind_and_action_kind():
    # a visitor: the kind of a node (or of an update entry) names the method that renders it
    from bloop import actions
    from bloop.conditions import Condition as Base
    condition_kinds = {cls.kind for cls in _subclasses(Base)}
    assert condition_kinds == {"and", "or", "not", "comparison", "begins_with", "contains", "between", "in",
                               "exists", "is_type"}
    for kind in condition_kinds:
        assert callable(getattr(Renderer, "render_" + kind))
    action_kinds = {cls.kind for cls in _subclasses(actions.Action) if cls.kind}
    assert action_kinds == {"set", "remove", "add", "delete", "append", "prepend", "if_not_exists", "plus",
                            "minus", "subtract_from"}
    for kind in action_kinds:
        assert callable(getattr(Renderer, "update_" + kind))


def test_one_class_per_action_kind():
    from bloop import actions
    from bloop.actions import Action
    built = [actions.set(1), actions.remove(), actions.add(1), actions.delete({1}), actions.append([1]),
             actions.prepend([1]), actions.if_not_exists(1), actions.plus(1), actions.minus(1),
             actions.subtract_from(1), Doc.age + 1, Doc.age - 1, 1 - Doc.age]
    assert all(isinstance(action, Action) for action in built)
    assert len({type(action) for action in built[:10]}) == 10
    assert [type(action) for action in built[10:]] == [type(built[7]), type(built[8]), type(built[9])]
    # Action(kind, value) still builds the action of that kind
    action = Action("add", 2)
    assert type(action) is type(actions.add(2)) and (action.kind, action.value, action.source) == ("add", 2, None)
    assert Action("plus", 1, source=Doc.age).source is Doc.age
    assert actions.set("set").value == "set"
    with pytest.raises(InvalidCondition):
        Action("multiply", 2)


def _actions():
    from bloop import actions
    return [
        (Doc.age, actions.set(1), "SET #n0=:v0", N1),
        (Doc.age, actions.remove(), "REMOVE #n0", None),
        (Doc.age, actions.add(1), "ADD #n0 :v0", N1),
        (Doc.nums, actions.add({1}), "ADD #n0 :v0", {"NS": ["1"]}),
        (Doc.tags, actions.delete({"x"}), "DELETE #n0 :v0", {"SS": ["x"]}),
        (Doc.scores, actions.append([1]), "SET #n0=list_append(#n0, :v0)", {"L": [N1]}),
        (Doc.scores, actions.prepend([1]), "SET #n0=list_append(:v0, #n0)", {"L": [N1]}),
        (Doc.age, actions.if_not_exists(1), "SET #n0=if_not_exists(#n0, :v0)", N1),
        (Doc.age, actions.plus(1), "SET #n0=#n0 + :v0", N1),
        (Doc.age, Doc.age + 1, "SET #n0=#n0 + :v0", N1),
        (Doc.age, actions.minus(1), "SET #n0=#n0 - :v0", N1),
        (Doc.age, Doc.age - 1, "SET #n0=#n0 - :v0", N1),
        (Doc.age, actions.subtract_from(1), "SET #n0=:v0 - #n0", N1),
        (Doc.age, 1 - Doc.age, "SET #n0=:v0 - #n0", N1),
    ]


@pytest.mark.parametrize("target, action, expression, wire", _actions())
def test_every_action_kind_renders(target, action, expression, wire):
    entry = (target, action.kind, action.wire(target))
    expected = {"UpdateExpression": expression, "ExpressionAttributeNames": {"#n0": target.dynamo_name}}
    if wire is not None:
        expected["ExpressionAttributeValues"] = {":v0": wire}
    assert_render({"update": [entry]}, expected)
