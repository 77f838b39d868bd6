"""Reads through a family's models (several models in one table): each item as its own model,
the unknown-type policy, the filters a search adds, the discriminator always projected, and
unique constraints' guard items left out (bloop/codec/family.py, bloop/search/families.py)."""
import datetime

import pytest

from bloop import (
    BaseModel, Column, GlobalSecondaryIndex, Integer, ObjectsNotFound, RawItem, String, UnknownType, from_item,
)
from bloop.codec import load_all
from bloop.codec import family as family_codec
from bloop.search import Query, Scan, decode_token
from bloop.search.cursor import Cursor
from bloop.stream import from_lambda
from bloop.stream.coordinator import Coordinator, Shard
from bloop.tables import create_request
from tests.unit.fakes import fake_engine
from tests.unit.helpers import validate_request


class Shop(BaseModel):
    class Meta:
        table_name = "shop"
        stream = {"include": ["new", "old"]}

    pk = Column(String, hash_key=True)
    sk = Column(String, range_key=True)
    kind = Column(String, discriminator=True, dynamo_name="type")
    gsi1pk = Column(String)
    gsi1sk = Column(String)
    by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection="keys")
    by_kind = GlobalSecondaryIndex(hash_key="kind", range_key="sk", projection="keys")


class Customer(Shop, discriminator="customer"):
    name = Column(String)
    email = Column(String, unique=True)


class Order(Shop, discriminator="order"):
    total = Column(Integer)


class BigOrder(Order, discriminator="big"):
    note = Column(String)


class Account(BaseModel):
    """Unique constraints without a family."""
    id = Column(String, hash_key=True)
    email = Column(String, unique=True)


def families(unknown):
    class Base(BaseModel):
        class Meta:
            table_name = "things"

        id = Column(String, hash_key=True)
        kind = Column(String, discriminator=True)

    Base.Meta.family.unknown = unknown

    class Thing(Base, discriminator="thing"):
        size = Column(Integer)
    return Base, Thing


def item(kind, pk, sk, **values):
    out = {"pk": {"S": pk}, "sk": {"S": sk}}
    if kind is not None:
        out["type"] = {"S": kind}
    for name, value in values.items():
        out[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return out


CUSTOMER = item("customer", "C#1", "C#1", name="ann")
ORDER = item("order", "C#1", "O#1", total=5)
BIG = item("big", "C#1", "O#2", total=500, note="wow")
GUARD = {"pk": {"S": "_unique#Customer.email#a@b"}, "sk": {"S": "_unique#Customer.email#a@b"},
         "_bloop_unique": {"S": "Customer.email"}, "_bloop_owner": {"M": {"pk": {"S": "C#1"}}}}
ENGINE = fake_engine()


def prepared(search):
    request = search.prepare().request
    validate_request(search.mode, request)
    return request


# ---------------------------------------------------------------------------------------
# each item as its own model

def test_a_base_query_returns_each_item_as_its_own_model():
    engine = fake_engine([{"Items": [CUSTOMER, ORDER, BIG, GUARD], "Count": 4, "ScannedCount": 4}])
    found = list(engine.query(Shop, key=Shop.pk == "C#1"))
    assert [type(obj) for obj in found] == [Customer, Order, BigOrder]
    customer, order, big = found
    assert (customer.name, customer.kind) == ("ann", "customer")
    assert (order.total, order.kind) == (5, "order")
    assert (big.total, big.note, big.kind) == (500, "wow", "big")


def test_a_concrete_model_never_sees_another_models_items():
    # the filter keeps them out; were one sent back anyway (a filter-free key query), it is left out
    engine = fake_engine([{"Items": [ORDER, CUSTOMER, BIG], "Count": 3, "ScannedCount": 3}])
    found = list(engine.query(Order.by_kind, key=Order.kind == "order"))
    assert [type(obj) for obj in found] == [Order, BigOrder]
    engine = fake_engine([{"Items": [ORDER, BIG], "Count": 2, "ScannedCount": 2}])
    assert [type(obj) for obj in engine.query(Customer, key=Customer.pk == "C#1")] == []


def test_a_page_of_another_model_keeps_the_resume_position_on_the_right_item():
    search = Query(ENGINE, Order, key=Order.pk == "C#1")
    cursor = Cursor(search.prepare())
    objects = cursor.feed({"Items": [ORDER, CUSTOMER, BIG], "Count": 3, "ScannedCount": 3,
                           "LastEvaluatedKey": {"pk": {"S": "C#1"}, "sk": {"S": "O#2"}}})
    assert [type(obj) for obj in objects] == [Order, BigOrder]
    assert cursor.take() is objects[0]
    assert decode_token(cursor.token).start == {"pk": {"S": "C#1"}, "sk": {"S": "O#1"}}
    assert cursor.take() is objects[1]
    assert decode_token(cursor.token).start == {"pk": {"S": "C#1"}, "sk": {"S": "O#2"}}


def test_a_projected_page_loads_each_model_with_the_projection():
    engine = fake_engine([{"Items": [dict(CUSTOMER, gsi1pk={"S": "g"}, gsi1sk={"S": "1"}),
                                     dict(ORDER, gsi1pk={"S": "g"}, gsi1sk={"S": "2"})],
                           "Count": 2, "ScannedCount": 2}])
    found = list(engine.query(Shop.by_gsi1, key=Shop.gsi1pk == "g", projection="keys"))
    assert [type(obj) for obj in found] == [Customer, Order]
    assert found[1].kind == "order" and found[1].sk == "O#1"


def test_a_model_without_a_family_does_not_go_through_the_dispatch(monkeypatch):
    def refuse(*args):
        raise AssertionError("dispatched")
    monkeypatch.setattr("bloop.codec.items.load_page", refuse)
    monkeypatch.setattr("bloop.codec.items.read_item", refuse)

    class Plain(BaseModel):
        id = Column(String, hash_key=True)
    assert [p.id for p in load_all(Plain, [{"id": {"S": "a"}}])] == ["a"]
    assert from_item(Plain, {"id": {"S": "b"}}).id == "b"
    assert not family_codec.reads_family(Plain.Meta)


# ---------------------------------------------------------------------------------------
# unknown types

def test_an_unknown_type_raises_by_default():
    Base, Thing = families("raise")
    engine = fake_engine([{"Items": [{"id": {"S": "x"}, "kind": {"S": "gadget"}}], "Count": 1,
                           "ScannedCount": 1}])
    with pytest.raises(UnknownType) as raised:
        list(engine.scan(Base))
    error = raised.value
    assert error.value == "gadget" and error.model is Base and error.item == {"id": {"S": "x"}, "kind": {"S": "gadget"}}
    message = str(error)
    for part in ("'gadget'", "'things'", "Base", "{'id': {'S': 'x'}}", "nothing was made"):
        assert part in message
    with pytest.raises(UnknownType, match="no type value"):
        from_item(Base, {"id": {"S": "y"}})


def test_an_unknown_type_is_left_out_under_skip():
    Base, Thing = families("skip")
    items = [{"id": {"S": "x"}, "kind": {"S": "gadget"}}, {"id": {"S": "y"}, "kind": {"S": "thing"}},
             {"id": {"S": "z"}}]
    engine = fake_engine([{"Items": items, "Count": 3, "ScannedCount": 3}])
    assert [(type(t), t.id) for t in engine.scan(Base)] == [(Thing, "y")]
    assert from_item(Base, items[0]) is None


def test_an_unknown_type_is_a_raw_item_under_raw():
    Base, Thing = families("raw")
    items = [{"id": {"S": "x"}, "kind": {"S": "gadget"}, "size": {"N": "3"}}, {"id": {"S": "y"}}]
    engine = fake_engine([{"Items": items, "Count": 2, "ScannedCount": 2}])
    gadget, none = list(engine.scan(Base))
    assert isinstance(gadget, RawItem) and isinstance(none, RawItem)
    assert (gadget.value, gadget.item, gadget.key, gadget.model) == ("gadget", items[0], {"id": {"S": "x"}}, Base)
    assert none.value is None and none.key == {"id": {"S": "y"}}
    assert from_item(Base, items[0]) == gadget
    assert "gadget" in repr(gadget)


# ---------------------------------------------------------------------------------------
# the filters a search adds

def test_a_concrete_models_search_filters_on_its_type_values():
    request = prepared(Query(ENGINE, Order, key=Order.pk == "C#1", filter=Order.total > 3))
    assert request["FilterExpression"] == "(#n1 > :v1 AND #n2 IN (:v2, :v3))"
    assert request["ExpressionAttributeNames"]["#n2"] == "type"
    assert {request["ExpressionAttributeValues"][":v2"]["S"], request["ExpressionAttributeValues"][":v3"]["S"]} == {
        "order", "big"}
    request = prepared(Scan(ENGINE, Customer))
    assert request["FilterExpression"] == "#n0 = :v0"
    assert request["ExpressionAttributeValues"] == {":v0": {"S": "customer"}}
    # the filter rules out guard items too, so there is no other
    assert "_bloop_unique" not in request["ExpressionAttributeNames"].values()


def test_the_filter_is_counted_and_turns_off_the_limit_as_page_size():
    search = Query(ENGINE, Customer, key=Customer.pk == "C#1", limit=2)
    count = search.prepare().count_request()
    validate_request("query", count)
    assert count["FilterExpression"] == "#n1 = :v1" and count["Select"] == "COUNT"
    assert "Limit" not in prepared(search)
    engine = fake_engine([{"Count": 2, "ScannedCount": 5}])
    assert engine.query(Customer, key=Customer.pk == "C#1").count() == 2
    assert engine.transport.requests[0][1]["FilterExpression"] == "#n1 = :v1"


def test_a_query_whose_key_is_the_discriminator_sends_no_type_filter():
    assert "FilterExpression" not in prepared(Query(ENGINE, Order.by_kind, key=Order.kind == "order"))
    # a scan may filter on a key
    assert prepared(Scan(ENGINE, Order.by_kind))["FilterExpression"] == "#n0 IN (:v0, :v1)"


def test_the_base_adds_no_type_filter_but_scans_leave_out_guard_items():
    assert "FilterExpression" not in prepared(Query(ENGINE, Shop, key=Shop.pk == "C#1"))
    request = prepared(Scan(ENGINE, Shop))
    assert request["FilterExpression"] == "attribute_not_exists(#n0)"
    assert request["ExpressionAttributeNames"] == {"#n0": "_bloop_unique"}
    request = prepared(Scan(ENGINE, Account, filter=Account.email.begins_with("a")))
    assert request["FilterExpression"] == "(begins_with(#n0, :v0) AND attribute_not_exists(#n1))"
    assert "FilterExpression" not in prepared(Query(ENGINE, Account, key=Account.id == "a"))


def test_guard_items_are_never_objects():
    engine = fake_engine([{"Items": [{"id": {"S": "a"}, "email": {"S": "a@b"}},
                                     {"id": {"S": "_unique#Account.email#a@b"}, "_bloop_unique": {"S": "x"}}],
                           "Count": 2, "ScannedCount": 2}])
    assert [a.id for a in engine.scan(Account)] == ["a"]
    assert from_item(Account, {"id": {"S": "g"}, "_bloop_unique": {"S": "x"}}) is None
    assert from_item(Shop, GUARD) is None


# ---------------------------------------------------------------------------------------
# the discriminator is always projected

def test_every_index_of_a_family_projects_the_discriminator():
    assert Shop.by_gsi1.projection_mode == "include"
    assert [c.name for c in Shop.by_gsi1.projected] == ["pk", "sk", "gsi1pk", "gsi1sk", "kind"]
    assert Order.by_gsi1.projection_mode == "include"
    assert Shop.by_kind.projection_mode == "keys"  # the discriminator is its key
    request = create_request(Shop, "shop")
    validate_request("create_table", request)
    gsi = {g["IndexName"]: g["Projection"] for g in request["GlobalSecondaryIndexes"]}
    assert gsi["by_gsi1"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["type"]}
    assert gsi["by_kind"] == {"ProjectionType": "KEYS_ONLY"}


def test_a_searchs_projection_always_includes_the_discriminator():
    request = prepared(Query(ENGINE, Order, key=Order.pk == "C#1", projection=[Order.total]))
    assert "type" in request["ExpressionAttributeNames"].values()
    request = prepared(Query(ENGINE, Shop, key=Shop.pk == "C#1", projection="keys"))
    assert sorted(request["ExpressionAttributeNames"].values()) == ["pk", "sk", "type"]


# ---------------------------------------------------------------------------------------
# from_item, load, transactions

def test_from_item_through_the_base_and_a_concrete_model():
    assert type(from_item(Shop, ORDER)) is Order
    assert type(from_item(Order, BIG)) is BigOrder
    assert from_item(Customer, ORDER) is None  # another type: not a Customer
    assert type(from_item(Order, ORDER)) is Order


def test_load_of_the_base_becomes_the_items_model():
    engine = fake_engine([{"Responses": {"prefix-shop": [ORDER]}}])
    obj = Shop(pk="C#1", sk="O#1")
    engine.load(obj)
    assert type(obj) is Order and obj.total == 5 and obj.kind == "order"


def test_load_of_another_type_is_not_found():
    engine = fake_engine([{"Responses": {"prefix-shop": [ORDER, CUSTOMER]}}])
    wrong, right = Customer(pk="C#1", sk="O#1"), Customer(pk="C#1", sk="C#1")
    with pytest.raises(ObjectsNotFound) as raised:
        engine.load([wrong, right])
    assert raised.value.objects == [wrong]
    assert "an item of Order (type 'order')" in str(raised.value)
    assert type(wrong) is Customer and not hasattr(wrong, "total")
    assert right.name == "ann"


def test_transaction_load_of_another_type_is_not_found_and_the_base_adopts():
    engine = fake_engine([{"Responses": [{"Item": ORDER}, {"Item": CUSTOMER}]}])
    base, wrong = Shop(pk="C#1", sk="O#1"), Order(pk="C#1", sk="C#1")
    with pytest.raises(ObjectsNotFound, match="an item of Customer"):
        with engine.transaction(mode="r") as tx:
            tx.load(base, wrong)
    assert type(base) is Order and base.total == 5


# ---------------------------------------------------------------------------------------
# streams

def lambda_record(new=None, old=None, keys=None):
    body = {"ApproximateCreationDateTime": 1700000000, "SequenceNumber": "1" * 21, "SizeBytes": 10,
            "Keys": keys or {k: v for k, v in (new or old).items() if k in ("pk", "sk")},
            "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if new is not None:
        body["NewImage"] = new
    if old is not None:
        body["OldImage"] = old
    return {"eventID": "e1", "eventName": "MODIFY" if old and new else "INSERT", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": body}


def test_lambda_records_through_the_base():
    record = from_lambda(Shop, lambda_record(new=BIG, old=ORDER))
    assert type(record.new) is BigOrder and type(record.old) is Order and type(record.key) is BigOrder
    assert record.key.sk == "O#2" or record.key.sk == "O#1"
    assert type(Shop.from_stream_record(lambda_record(new=CUSTOMER)).key) is Customer
    assert from_lambda(Customer, lambda_record(new=ORDER)) is None
    assert from_lambda(Shop, lambda_record(new=GUARD)) is None
    # keys only: the family's base
    keys_only = lambda_record(keys={"pk": {"S": "C#1"}, "sk": {"S": "O#1"}})
    assert type(from_lambda(Shop, keys_only).key) is Shop
    assert type(from_lambda(Order, keys_only).key) is Shop  # not told: the base, never the wrong model


def test_lambda_records_of_an_unknown_type():
    Base, Thing = families("raw")
    record = from_lambda(Base, lambda_record(new={"id": {"S": "x"}, "kind": {"S": "gadget"}},
                                             keys={"id": {"S": "x"}}))
    assert isinstance(record.new, RawItem) and record.key is record.new
    Base, Thing = families("raise")
    with pytest.raises(UnknownType):
        from_lambda(Base, lambda_record(new={"id": {"S": "x"}, "kind": {"S": "gadget"}}, keys={"id": {"S": "x"}}))


def test_a_stream_passes_records_its_model_does_not_read():
    coordinator = Coordinator(Customer, "prefix-shop")
    shard = Shard("shardId-" + "a" * 20, None, "TRIM_HORIZON")
    shard.buffer.extend(
        dict(lambda_record(new=new), dynamodb=dict(lambda_record(new=new)["dynamodb"],
                                                   ApproximateCreationDateTime=datetime.datetime(
                                                       2024, 1, 1, tzinfo=datetime.timezone.utc)))
        for new in (ORDER, GUARD, CUSTOMER, BIG))
    coordinator.shards = [shard]
    record = coordinator.take()
    assert type(record.new) is Customer
    assert coordinator.take() is None and not shard.buffer


def test_only_searches_that_can_read_guard_items_filter_them():
    class Member(BaseModel):
        id = Column(String, hash_key=True)
        at = Column(String, range_key=True)
        email = Column(String, unique=True)
        by_email = GlobalSecondaryIndex(hash_key="email", projection="keys")
        inverted = GlobalSecondaryIndex(hash_key="at", range_key="id", projection="all")

    assert "FilterExpression" not in prepared(Query(ENGINE, Member.by_email, key=Member.email == "a@b"))
    assert "FilterExpression" not in prepared(Scan(ENGINE, Member.by_email))
    assert prepared(Query(ENGINE, Member.inverted, key=Member.at == "x"))["FilterExpression"] == (
        "attribute_not_exists(#n1)")
    assert prepared(Scan(ENGINE, Member))["FilterExpression"] == "attribute_not_exists(#n0)"


def test_a_query_on_the_discriminator_for_another_type_is_refused():
    from bloop import InvalidSearch
    with pytest.raises(InvalidSearch, match=r"kind == 'customer' reads only items of that type, none of which is a "
                                            r"Order \('order', 'big'\)"):
        Query(ENGINE, Order.by_kind, key=Order.kind == "customer").prepare()
    assert "FilterExpression" not in prepared(Query(ENGINE, BigOrder.by_kind, key=BigOrder.kind == "big"))


def test_object_loaded_is_sent_for_objects_not_raw_items():
    from bloop import signals
    Base, Thing = families("raw")
    items = [{"id": {"S": "x"}, "kind": {"S": "gadget"}}, {"id": {"S": "y"}, "kind": {"S": "thing"}}]
    engine = fake_engine([{"Items": items, "Count": 2, "ScannedCount": 2}])
    loaded = []
    with signals.object_loaded.connected_to(lambda sender, obj: loaded.append(obj)):
        found = engine.scan(Base).all()
    assert len(found) == 2 and [type(o) for o in loaded] == [Thing]


def test_the_guard_attribute_is_the_one_unique_constraints_write():
    from bloop import unique
    assert family_codec.GUARD_ATTRIBUTE == unique.GUARD_ATTRIBUTE
