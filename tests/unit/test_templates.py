"""Templated keys: rendered on every write and key path, parsed back on load, and key
conditions on their parts rewritten into conditions on the keys (bloop.codec.templated,
bloop.search.parts).  Requests are checked against botocore's service model."""
import datetime
import uuid

import pytest

import bloop
from bloop import (
    BaseModel, Column, DateTime, GlobalSecondaryIndex, Integer, InvalidSearch, InvalidValue, MissingKey, String,
    UUID,
)
from bloop.codec import dump_key, from_item, load_all, to_item
from bloop.search import Query
from bloop.search.parts import HIGHEST
from bloop.tracking import snapshot
from tests.unit.fakes import fake_engine
from tests.unit.helpers import validate_request

UTC = datetime.timezone.utc
JAN = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
FEB = datetime.datetime(2024, 2, 1, tzinfo=UTC)
JAN_TEXT = "2024-01-02T03:04:05.000000+00:00"
FEB_TEXT = "2024-02-01T00:00:00.000000+00:00"


class Shop(BaseModel):
    class Meta:
        table_name = "shop"
        unknown = "skip"

    pk = Column(String, hash_key=True)
    sk = Column(String, range_key=True)
    gsi1pk = Column(String)
    gsi1sk = Column(String)
    kind = Column(String, discriminator=True, dynamo_name="type")
    by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection="all")
    by_gsi1_keys = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection="keys",
                                        dynamo_name="by_gsi1_keys")


class Customer(Shop, discriminator="customer"):
    pk = Column(String, hash_key=True, template="CUSTOMER#{customer_id}")
    sk = Column(String, range_key=True, template="CUSTOMER#{customer_id}")
    customer_id = Column(String)
    name = Column(String)


class Order(Shop, discriminator="order"):
    pk = Column(String, hash_key=True, template="CUSTOMER#{customer_id}")
    sk = Column(String, range_key=True, template="ORDER#{created}#{order_id}")
    gsi1pk = Column(String, template="STATUS#{status}")
    gsi1sk = Column(String, template="{created}#{order_id}")
    customer_id = Column(String)
    order_id = Column(String)
    created = Column(DateTime)
    status = Column(String)
    total = Column(Integer)


class Line(BaseModel):
    """No family: every key type as a part (Integer, UUID, DateTime, String)."""

    class Meta:
        table_name = "lines"

    pk = Column(String, hash_key=True, template="ORDER#{order}")
    sk = Column(String, range_key=True, template="LINE#{number}#{item}#{at}")
    order = Column(UUID)
    number = Column(Integer)
    item = Column(String)
    at = Column(DateTime)


class Plain(BaseModel):
    id = Column(String, hash_key=True)
    n = Column(Integer)


ORDER_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def order(**values):
    fields = dict(customer_id="c1", order_id="o1", created=JAN, status="paid", total=3)
    fields.update(values)
    return Order(**fields)


def engine_answering(answer=None):
    """A real engine on the fake transport (requests checked against botocore's model)."""
    engine = fake_engine(respond=lambda call: dict(answer or {}))
    engine.bind(Shop, skip_table_setup=True)
    engine.bind(Line, skip_table_setup=True)
    engine.bind(Plain, skip_table_setup=True)
    return engine


# ---------------------------------------------------------------------------------------
# rendering: every write and key path

def test_to_item_renders_every_templated_key_and_the_type_value():
    obj = order()
    assert to_item(obj) == {
        "pk": {"S": "CUSTOMER#c1"}, "sk": {"S": f"ORDER#{JAN_TEXT}#o1"},
        "gsi1pk": {"S": "STATUS#paid"}, "gsi1sk": {"S": f"{JAN_TEXT}#o1"}, "type": {"S": "order"},
        "customer_id": {"S": "c1"}, "order_id": {"S": "o1"}, "created": {"S": JAN_TEXT},
        "status": {"S": "paid"}, "total": {"N": "3"}}
    # set on the object too
    assert (obj.pk, obj.sk, obj.gsi1pk) == ("CUSTOMER#c1", f"ORDER#{JAN_TEXT}#o1", "STATUS#paid")


def test_every_key_type_as_a_part_round_trips():
    line = Line(order=ORDER_ID, number=12, item="bolt", at=JAN)
    item = to_item(line)
    assert dump_key(line) == {"pk": {"S": f"ORDER#{ORDER_ID}"}, "sk": {"S": f"LINE#12#bolt#{JAN_TEXT}"}}
    # an item holding only the keys gets every part back, each of its own type
    back = from_item(Line, {"pk": item["pk"], "sk": item["sk"]})
    assert (back.order, back.number, back.item, back.at) == (ORDER_ID, 12, "bolt", JAN)


def test_a_key_spelling_its_parts_another_way_is_kept():
    # written by another program: the same parts, so DynamoDB's key stays as it is
    item = {"pk": {"S": f"ORDER#{ORDER_ID}"}, "sk": {"S": f"LINE#012#bolt#{JAN_TEXT}"}}
    line = from_item(Line, item)
    assert line.number == 12
    assert dump_key(line) == item
    line.number = 13
    assert dump_key(line)["sk"] == {"S": f"LINE#13#bolt#{JAN_TEXT}"}


def test_dump_key_renders_the_key_from_the_parts():
    assert dump_key(Customer(customer_id="c9")) == {"pk": {"S": "CUSTOMER#c9"}, "sk": {"S": "CUSTOMER#c9"}}


def test_an_object_given_its_keys_gets_its_parts_from_them():
    engine = engine_answering()
    obj = Order(pk="CUSTOMER#c1", sk=f"ORDER#{JAN_TEXT}#o1")
    engine.delete(obj)
    (operation, request), = engine.transport.requests
    assert request["Key"] == {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": f"ORDER#{JAN_TEXT}#o1"}}
    assert (obj.customer_id, obj.created, obj.order_id) == ("c1", JAN, "o1")
    # a part given (or set to None) wins over the key's text
    assert dump_key(Order(pk="CUSTOMER#c1", sk=f"ORDER#{JAN_TEXT}#o1", customer_id="c2"))["pk"] == \
        {"S": "CUSTOMER#c2"}
    with pytest.raises(MissingKey, match="created"):
        dump_key(Order(pk="CUSTOMER#c1", sk=f"ORDER#{JAN_TEXT}#o1", created=None))


class Event(BaseModel):
    """The discriminator as a part of a key."""

    class Meta:
        table_name = "events"

    pk = Column(String, hash_key=True, template="{kind}#{source}")
    sk = Column(String, range_key=True)
    kind = Column(String, discriminator=True)
    source = Column(String)


class Click(Event, discriminator="click"):
    pass


def test_the_discriminator_may_be_part_of_a_key():
    assert dump_key(Click(source="web", sk="1")) == {"pk": {"S": "click#web"}, "sk": {"S": "1"}}
    assert key_of(Event, (Event.kind == "click") & (Event.source == "web")) == "pk = 'click#web'"


def test_a_table_key_part_without_a_value_is_a_missing_key_naming_it():
    engine = engine_answering()
    with pytest.raises(MissingKey, match=r"Order.sk is built from created .*has no value"):
        engine.save(order(created=None))
    with pytest.raises(MissingKey, match="Order.pk is built from customer_id"):
        engine.load(Order(order_id="o1", created=JAN))
    with pytest.raises(MissingKey):
        engine.delete(order(customer_id=None))
    assert engine.transport.requests == []


def test_a_part_holding_the_next_literal_is_refused_before_sending():
    engine = engine_answering()
    with pytest.raises(InvalidValue, match=r"Line.item='a#b' holds '#', which separates the parts of sk"):
        engine.save([Line(order=ORDER_ID, number=1, item="nut", at=JAN),
                     Line(order=ORDER_ID, number=2, item="a#b", at=JAN)])
    assert engine.transport.requests == []
    # the last part of a template with nothing after it may hold the separator
    assert to_item(order(status="a#b", order_id="o#1"))["gsi1pk"] == {"S": "STATUS#a#b"}
    assert from_item(Order, {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": f"ORDER#{JAN_TEXT}#o#1"},
                             "type": {"S": "order"}}).order_id == "o#1"


def test_an_index_key_part_none_removes_the_index_key():
    engine = engine_answering()
    obj = from_item(Order, to_item(order()))
    obj.status = None
    engine.save(obj)
    (operation, request), = engine.transport.requests
    assert operation == "update_item"
    assert "gsi1pk" in request["ExpressionAttributeNames"].values()
    assert "REMOVE" in request["UpdateExpression"]
    assert obj.gsi1pk is None
    # a new object without the part never names the index key
    engine.transport.requests.clear()
    engine.save(order(status=None))
    (_, request), = engine.transport.requests
    assert "gsi1pk" not in request["ExpressionAttributeNames"].values()


def test_a_changed_part_changes_the_index_key_through_the_snapshot():
    engine = engine_answering()
    obj = from_item(Order, to_item(order()))
    obj.status = "shipped"
    engine.save(obj)
    (_, request), = engine.transport.requests
    names = request["ExpressionAttributeNames"]
    values = request["ExpressionAttributeValues"]
    assert request["Key"] == {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": f"ORDER#{JAN_TEXT}#o1"}}
    assert sorted(names.values()) == ["gsi1pk", "status"]
    assert {"S": "STATUS#shipped"} in values.values()
    assert snapshot(obj)["gsi1pk"] == "STATUS#shipped"  # recorded as saved


def test_a_part_not_loaded_leaves_its_index_key_alone():
    engine = engine_answering()
    item = to_item(order())
    item["gsi1pk"] = {"S": "WRITTEN-BY-ANOTHER-PROGRAM"}  # the part cannot be read back from it
    partial = load_all(Order, [{k: item[k] for k in ("pk", "sk", "type", "gsi1pk", "gsi1sk", "total")}],
                       [Order.pk, Order.sk, Order.kind, Order.gsi1pk, Order.gsi1sk, Order.total])[0]
    assert "status" not in partial.__dict__
    partial.total = 4
    engine.save(partial)
    (_, request), = engine.transport.requests
    assert "gsi1pk" not in request["ExpressionAttributeNames"].values()
    assert partial.gsi1pk == "WRITTEN-BY-ANOTHER-PROGRAM"
    # a new object's part is known: None, so the index key goes
    new = order(status=None)
    new.gsi1pk = "STALE"
    assert "gsi1pk" not in to_item(new)


def test_the_type_value_is_set_and_a_wrong_one_refused():
    engine = engine_answering()
    obj = order()
    obj.kind = None
    assert to_item(obj)["type"] == {"S": "order"}
    assert obj.kind == "order"
    obj.kind = "customer"
    with pytest.raises(InvalidValue, match="Order.kind is 'customer', but a Order is of type 'order'"):
        engine.save(obj)
    assert engine.transport.requests == []


def test_transactions_render_the_keys():
    engine = engine_answering()
    with engine.transaction() as tx:
        tx.save(order())
        tx.delete(Customer(customer_id="c2"))
    (operation, request), = engine.transport.requests
    assert operation == "transact_write_items"
    update, delete = (item for item in request["TransactItems"])
    assert update["Update"]["Key"] == {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": f"ORDER#{JAN_TEXT}#o1"}}
    assert delete["Delete"]["Key"] == {"pk": {"S": "CUSTOMER#c2"}, "sk": {"S": "CUSTOMER#c2"}}


def test_batch_save_puts_whole_rendered_items():
    engine = engine_answering()
    engine.save([order(order_id=f"o{i}") for i in range(3)])
    (operation, request), = engine.transport.requests
    assert operation == "batch_write_item"
    puts = [w["PutRequest"]["Item"] for w in request["RequestItems"]["prefix-shop"]]
    assert [p["sk"]["S"] for p in puts] == [f"ORDER#{JAN_TEXT}#o{i}" for i in range(3)]
    assert all(p["type"] == {"S": "order"} for p in puts)


def test_models_without_templates_or_family_never_fill_or_parse(monkeypatch):
    import bloop.codec.items as items

    def boom(*args, **kwargs):
        raise AssertionError("called")
    for name in ("fill", "parse_back", "parse_all"):
        monkeypatch.setattr(items, name, boom)
    obj = Plain(id="a", n=1)
    item = to_item(obj)
    dump_key(obj)
    from_item(Plain, item)
    load_all(Plain, [item])
    bloop.codec.load_into(Plain(), item)


# ---------------------------------------------------------------------------------------
# parsing back

def test_parts_missing_from_the_item_are_read_back_and_written_by_the_next_save():
    engine = engine_answering()
    item = to_item(order())
    keys_only = {k: item[k] for k in ("pk", "sk", "gsi1pk", "gsi1sk", "type")}
    obj = load_all(Order, [keys_only], Order.by_gsi1_keys.projected)[0]
    assert (obj.customer_id, obj.order_id, obj.created, obj.status) == ("c1", "o1", JAN, "paid")
    # a whole-item load of an item without its parts (written by another program)
    other = from_item(Order, keys_only)
    assert (other.customer_id, other.created) == ("c1", JAN)
    engine.save(other)
    (_, request), = engine.transport.requests
    assert {"customer_id", "order_id", "created", "status"} <= set(request["ExpressionAttributeNames"].values())


def test_a_key_that_does_not_fit_its_template_is_left_alone():
    obj = from_item(Order, {"pk": {"S": "SOMETHING-ELSE"}, "sk": {"S": "ORDER#not-a-date#o1"},
                            "type": {"S": "order"}})
    assert (obj.customer_id, obj.created, obj.order_id) == (None, None, None)


def test_load_fills_parts_from_the_keys():
    item = to_item(order())
    engine = engine_answering({"Responses": {"prefix-shop": [{k: item[k] for k in ("pk", "sk", "type")}]}})
    obj = Order(customer_id="c1", created=JAN, order_id="o1")
    engine.load(obj)
    (operation, request), = engine.transport.requests
    assert request["RequestItems"]["prefix-shop"]["Keys"] == [{"pk": item["pk"], "sk": item["sk"]}]
    assert (obj.customer_id, obj.created, obj.order_id) == ("c1", JAN, "o1")


def test_stream_records_parse_parts_from_the_keys():
    item = to_item(order())
    record = Order.from_stream_record({
        "eventName": "REMOVE", "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": {"pk": item["pk"], "sk": item["sk"]},
                     "OldImage": {"pk": item["pk"], "sk": item["sk"], "type": item["type"]},
                     "SequenceNumber": "1", "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    assert (record.key.customer_id, record.key.created, record.key.order_id) == ("c1", JAN, "o1")
    assert record.old.order_id == "o1"


# ---------------------------------------------------------------------------------------
# key conditions on parts

ENGINE = fake_engine()


def key_of(model_or_index, condition):
    request = Query(ENGINE, model_or_index, key=condition).prepare().request
    validate_request("query", request)
    names = request["ExpressionAttributeNames"]
    values = {k: next(iter(v.values())) for k, v in request["ExpressionAttributeValues"].items()}
    text = request["KeyConditionExpression"]
    for placeholder in sorted(names, key=len, reverse=True):
        text = text.replace(placeholder, names[placeholder])
    for placeholder in sorted(values, key=len, reverse=True):
        text = text.replace(placeholder, f"'{values[placeholder]}'")
    return text


@pytest.mark.parametrize("condition, expected", [
    (Order.customer_id == "c1", "(pk = 'CUSTOMER#c1' AND begins_with(sk, 'ORDER#'))"),
    ((Order.customer_id == "c1") & (Order.created == JAN),
     f"(pk = 'CUSTOMER#c1' AND begins_with(sk, 'ORDER#{JAN_TEXT}#'))"),
    ((Order.customer_id == "c1") & (Order.created == JAN) & (Order.order_id == "o1"),
     f"(pk = 'CUSTOMER#c1' AND sk = 'ORDER#{JAN_TEXT}#o1')"),
    ((Order.customer_id == "c1") & Order.created.begins_with("2024-01"),
     "(pk = 'CUSTOMER#c1' AND begins_with(sk, 'ORDER#2024-01'))"),
    ((Order.customer_id == "c1") & Order.created.between(JAN, FEB),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#{JAN_TEXT}' AND 'ORDER#{FEB_TEXT}#{HIGHEST}')"),
    ((Order.customer_id == "c1") & (Order.created >= JAN),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#{JAN_TEXT}' AND 'ORDER#{HIGHEST}')"),
    ((Order.customer_id == "c1") & (Order.created > JAN),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#{JAN_TEXT}#{HIGHEST}' AND 'ORDER#{HIGHEST}')"),
    ((Order.customer_id == "c1") & (Order.created <= JAN),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#' AND 'ORDER#{JAN_TEXT}#{HIGHEST}')"),
    ((Order.customer_id == "c1") & (Order.created < JAN),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#' AND 'ORDER#{JAN_TEXT}')"),
    # the last part: nothing follows it in the key
    ((Order.customer_id == "c1") & (Order.created == JAN) & (Order.order_id > "o5"),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#{JAN_TEXT}#o5\x00' AND 'ORDER#{JAN_TEXT}#{HIGHEST}')"),
    ((Order.customer_id == "c1") & (Order.created == JAN) & (Order.order_id < "o5"),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#{JAN_TEXT}#' AND 'ORDER#{JAN_TEXT}#o4{HIGHEST}')"),
    ((Order.customer_id == "c1") & (Order.created == JAN) & Order.order_id.between("o1", "o3"),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#{JAN_TEXT}#o1' AND 'ORDER#{JAN_TEXT}#o3')"),
    # raw key conditions keep working, also beside parts of the other key
    ((Order.pk == "CUSTOMER#c1") & (Order.created >= JAN),
     f"(pk = 'CUSTOMER#c1' AND sk BETWEEN 'ORDER#{JAN_TEXT}' AND 'ORDER#{HIGHEST}')"),
    ((Order.customer_id == "c1") & Order.sk.begins_with("ORDER#2023"),
     "(pk = 'CUSTOMER#c1' AND begins_with(sk, 'ORDER#2023'))"),
    (Order.pk == "CUSTOMER#c1", "pk = 'CUSTOMER#c1'"),
    # a part in both keys: the whole range key
    (Customer.customer_id == "c1", "(pk = 'CUSTOMER#c1' AND sk = 'CUSTOMER#c1')"),
])
def test_key_conditions_on_parts(condition, expected):
    assert key_of(Order if "Customer" not in repr(condition) else Customer, condition) == expected


def test_key_conditions_on_an_index_with_an_empty_prefix():
    assert key_of(Order.by_gsi1, Order.status == "paid") == "gsi1pk = 'STATUS#paid'"
    assert key_of(Order.by_gsi1, (Order.status == "paid") & (Order.created >= JAN)) == \
        f"(gsi1pk = 'STATUS#paid' AND gsi1sk >= '{JAN_TEXT}')"
    assert key_of(Order.by_gsi1, (Order.status == "paid") & (Order.created < JAN)) == \
        f"(gsi1pk = 'STATUS#paid' AND gsi1sk < '{JAN_TEXT}')"
    assert key_of(Order.by_gsi1, (Order.status == "paid") & (Order.created > JAN)) == \
        f"(gsi1pk = 'STATUS#paid' AND gsi1sk > '{JAN_TEXT}#{HIGHEST}')"


def test_key_conditions_on_parts_through_the_family_base():
    assert key_of(Shop, Order.customer_id == "c1") == "(pk = 'CUSTOMER#c1' AND begins_with(sk, 'ORDER#'))"
    assert key_of(Shop.by_gsi1, Order.status == "new") == "gsi1pk = 'STATUS#new'"


def test_number_parts_take_only_equality():
    assert key_of(Line, (Line.order == ORDER_ID) & (Line.number == 10)) == \
        f"(pk = 'ORDER#{ORDER_ID}' AND begins_with(sk, 'LINE#10#'))"
    with pytest.raises(InvalidSearch, match="number is a number, which sorts as text"):
        key_of(Line, (Line.order == ORDER_ID) & (Line.number > 10))


@pytest.mark.parametrize("condition, message", [
    (Order.created >= JAN, "every part needs ==; customer_id has no condition"),
    (Order.customer_id.begins_with("c"), "customer_id has begins_with, not =="),
    ((Order.customer_id == "c1") & (Order.order_id == "o1"), "order_id follows created"),
    ((Order.customer_id == "c1") & (Order.pk == "CUSTOMER#c1"), "names pk and customer_id, a part of it"),
    ((Order.customer_id == "c1") & (Order.sk == "x") & (Order.created == JAN), "names sk and created"),
    ((Order.customer_id == "c1") & (Order.status == "paid"),
     r"status is a part of gsi1pk .*; query Order.by_gsi1 or Order.by_gsi1_keys"),
    ((Order.customer_id == "c1") & (Order.created > JAN) & (Order.created < FEB), "names created twice"),
    ((Order.customer_id == "c1") & (Customer.customer_id == "c1"), "parts of Customer and Order"),
])
def test_bad_key_conditions_on_parts_are_refused(condition, message):
    with pytest.raises(InvalidSearch, match=message):
        key_of(Order, condition)


def test_a_part_holding_the_next_literal_is_refused_in_a_key_condition():
    with pytest.raises(InvalidSearch, match="holds '#'"):
        key_of(Line, (Line.order == ORDER_ID) & (Line.number == 1) & (Line.item == "a#b"))
    with pytest.raises(InvalidSearch, match="holds '#'"):
        key_of(Line, (Line.order == ORDER_ID) & (Line.number == 1) & Line.item.begins_with("a#"))


def test_a_part_of_another_model_outside_the_family_is_refused():
    with pytest.raises(InvalidSearch, match="Customer is not Order or a model of its family"):
        key_of(Order, Customer.customer_id == "c1")


def test_tokens_continue_a_search_on_parts():
    item = to_item(order())
    page = {"Items": [item], "Count": 1, "ScannedCount": 1,
            "LastEvaluatedKey": {"pk": item["pk"], "sk": item["sk"]}}
    engine = fake_engine([page, {"Items": [], "Count": 0, "ScannedCount": 0}])
    search = engine.query(Order).key((Order.customer_id == "c1") & (Order.created >= JAN))
    iterator = iter(search)
    first = next(iterator)
    assert first.order_id == "o1"
    token = iterator.token
    assert list(engine.query(search).start_from(token)) == []
    assert engine.transport.requests[-1][1]["ExclusiveStartKey"] == {"pk": item["pk"], "sk": item["sk"]}
