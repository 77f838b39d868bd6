"""bloop.pydantic: pydantic v2 models generated from bloop models, and conversion both ways."""
import datetime
import json
import decimal
import uuid

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings

import bloop
from bloop import BaseModel, Column, DateTime, Integer, InvalidValue, Number, String, UnknownColumn, to_json
from bloop.pydantic import from_pydantic, model_for, to_pydantic

from .test_dicts import Color, Customer, Everything, Order, Rush, Shop, check_round_trip, objects

UTC = datetime.timezone.utc


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(objects())
def test_every_type_round_trips_through_pydantic(obj):
    check_round_trip(obj, from_pydantic(Everything, to_pydantic(obj)))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(objects())
def test_pydantic_json_is_read_back_by_from_json(obj):
    """What a FastAPI response holds, bloop reads: the JSON forms agree (but for a user's
    type, whose JSON in a pydantic model is its Python value's)."""
    obj.point = obj.custom = obj.cents = obj.pairs = None
    text = to_pydantic(obj).model_dump_json(exclude_none=True)
    check_round_trip(obj, bloop.from_json(Everything, text))
    schema = model_for(Everything)
    check_round_trip(obj, from_pydantic(Everything, schema.model_validate_json(to_json(obj))))


def test_the_fields():
    schema = model_for(Everything)
    assert schema is model_for(Everything)  # made once
    fields = schema.model_fields
    assert fields["id"].is_required()
    assert not fields["text"].is_required() and fields["text"].default is None
    json_schema = schema.model_json_schema()
    assert json_schema["required"] == ["id"]
    assert json_schema["title"] == "Everything"
    color = json_schema["properties"]["color"]["anyOf"][0]
    assert color["enum"] == ["red", "green"]
    obj = Everything(id="a", color=Color.green, number=decimal.Decimal("1.50"), blob=b"\x00",
                     ident=uuid.UUID(int=3), lines=[{"sku": "s", "qty": 2}])
    model = to_pydantic(obj)
    assert model.color is Color.green
    assert model.lines[0].sku == "s" and model.lines[0].price is None
    dumped = model.model_dump(mode="json", exclude_none=True)
    assert dumped["color"] == "green" and dumped["number"] == "1.50" and dumped["blob"] == "AA=="
    assert dumped["lines"] == [{"sku": "s", "qty": 2}]
    assert model.model_dump()["color"] is Color.green  # Python values in Python mode


def test_include_exclude_and_name():
    schema = model_for(Everything, include=["id", "text", "integer"], exclude=["integer"], name="EverythingIn")
    assert list(schema.model_fields) == ["id", "text"]
    assert schema.__name__ == "EverythingIn"
    assert to_pydantic(Everything(id="a", text="t", integer=3), include=["id", "text"]).model_dump() == {
        "id": "a", "text": "t"}
    with pytest.raises(UnknownColumn, match="'nope'"):
        model_for(Everything, exclude=["nope"])
    with pytest.raises(bloop.InvalidType, match="not a bloop model"):
        model_for(dict)


def test_validation_errors_name_the_field():
    schema = model_for(Everything)
    with pytest.raises(pydantic.ValidationError) as raised:
        schema.model_validate({"id": "a", "lines": [{"price": "x"}], "when": "2024-01-01T00:00:00", "nope": 1})
    locations = {error["loc"] for error in raised.value.errors()}
    assert locations == {("lines", 0, "price"), ("when",), ("nope",)}
    with pytest.raises(pydantic.ValidationError) as raised:
        schema.model_validate({"id": "a", "color": "blue"})
    assert raised.value.errors()[0]["loc"] == ("color",)
    assert "not the name of a member of Color (red, green)" in str(raised.value)
    with pytest.raises(pydantic.ValidationError, match="id"):
        schema.model_validate({})

    with pytest.raises(InvalidValue, match=r"Everything\.integer: Input should be a valid integer") as raised:
        to_pydantic(Everything(id="a", integer="three"))
    assert isinstance(raised.value.__cause__, pydantic.ValidationError)
    with pytest.raises(InvalidValue, match=r"Everything\.when: Input should have timezone info"):
        to_pydantic(Everything(id="a", when=datetime.datetime(2024, 1, 1)))


def test_from_pydantic_refuses_what_is_not_a_column_or_an_instance():
    class Other(pydantic.BaseModel):
        id: str
        colour: str

    with pytest.raises(InvalidValue, match=r"Other\.colour is not a column of Everything"):
        from_pydantic(Everything, Other(id="a", colour="red"))
    with pytest.raises(bloop.InvalidType, match="expected a pydantic model instance"):
        from_pydantic(Everything, {"id": "a"})


def test_families():
    order = to_pydantic(Order(pk="o", total=decimal.Decimal("2")))
    assert order.kind == "order"
    assert model_for(Order).model_json_schema()["properties"]["kind"]["const"] == "order"
    assert type(from_pydantic(Shop, order)) is Order
    rush = from_pydantic(Shop, to_pydantic(Rush(pk="r", by=datetime.datetime(2024, 1, 1, tzinfo=UTC))))
    assert type(rush) is Rush
    with pytest.raises(pydantic.ValidationError):
        model_for(Order).model_validate({"pk": "x", "kind": "customer"})
    with pytest.raises(InvalidValue, match=r"Order\.kind: 'customer' is not the type value of Order"):
        from_pydantic(Order, to_pydantic(Customer(pk="c")))


def test_templated_keys_are_not_required():
    class Line(BaseModel):
        pk = Column(String, hash_key=True, template="ORDER#{order_id}")
        sk = Column(String, range_key=True, template="LINE#{number}")
        order_id = Column(String)
        number = Column(Integer)
        price = Column(Number)
        at = Column(DateTime)

    schema = model_for(Line, exclude=["pk", "sk"])
    line = from_pydantic(Line, schema(order_id="o1", number=3, price="9.99"))
    assert line.price == decimal.Decimal("9.99")
    assert bloop.to_item(line)["pk"] == {"S": "ORDER#o1"}
    assert not model_for(Line).model_fields["pk"].is_required()


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(objects())
def test_pydantic_writes_the_json_to_json_writes(obj):
    """The same JSON data (sets in the same order), but for a user's type's values."""
    obj.point = obj.custom = obj.cents = obj.pairs = None
    assert json.loads(to_pydantic(obj).model_dump_json(exclude_none=True)) == json.loads(to_json(obj))
