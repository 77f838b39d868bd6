"""Several models in one table (a family), read through the base and through each model,
with each engine on every backend: each item comes back as its own model, a concrete
model never sees another's items, unknown types follow the base's policy, a keys-only
index still tells types apart, and unique constraints' guard items are never objects.

The models set their keys by hand (no templates), so these tests look at reads alone.
Streams run on moto only (dynalite has none); transactions' loads on moto only (dynalite
has no transactions).
"""
import asyncio

import boto3
import pytest

import bloop
from bloop import (
    BaseModel, Column, GlobalSecondaryIndex, Integer, ObjectsNotFound, RawItem, String, UnknownType, from_item,
)
from bloop.aio import AsyncEngine
from bloop.stream import from_lambda

pytestmark = pytest.mark.engines("sync", "async")


class Shop(BaseModel):
    class Meta:
        table_name = "shop"

    pk = Column(String, hash_key=True)
    sk = Column(String, range_key=True)
    kind = Column(String, discriminator=True, dynamo_name="type")
    gsi1pk = Column(String)
    gsi1sk = Column(String)
    by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection="keys")


class Customer(Shop, discriminator="customer"):
    name = Column(String)


class Order(Shop, discriminator="order"):
    total = Column(Integer)
    status = Column(String)


class Rush(Order, discriminator="rush"):
    deadline = Column(String)


class Member(BaseModel):
    """A model with a unique column (its guard items share its table)."""

    class Meta:
        table_name = "members"

    id = Column(String, hash_key=True)
    email = Column(String, unique=True)


def order(customer, number, total, status="open", cls=None):
    cls = cls or Order
    return cls(pk=f"C#{customer}", sk=f"O#{number}", total=total, status=status,
               gsi1pk=f"STATUS#{status}", gsi1sk=f"{customer}#{number}")


@pytest.fixture
def shop(engine):
    engine.bind(Shop)
    engine.save([
        Customer(pk="C#1", sk="C#1", name="ann", gsi1pk="CUSTOMER", gsi1sk="1"),
        order(1, 1, 10), order(1, 2, 20, "shipped"), order(1, 3, 30, cls=Rush),
        Customer(pk="C#2", sk="C#2", name="bob", gsi1pk="CUSTOMER", gsi1sk="2"),
        order(2, 1, 5),
    ])
    return engine


def table(engine, model):
    return engine._table_name(model)


def test_a_mixed_query_returns_each_type(shop):
    found = list(shop.query(Shop, key=Shop.pk == "C#1"))
    assert [(type(o), o.sk) for o in found] == [(Customer, "C#1"), (Order, "O#1"), (Order, "O#2"), (Rush, "O#3")]
    assert found[0].name == "ann" and found[3].total == 30 and found[3].kind == "rush"
    kinds = sorted(type(o).__name__ for o in shop.scan(Shop))
    assert kinds == ["Customer", "Customer", "Order", "Order", "Order", "Rush"]
    assert shop.scan(Shop).count() == 6


def test_a_concrete_model_never_sees_another_models_items(shop, requests):
    assert [type(o) for o in shop.query(Order, key=Order.pk == "C#1")] == [Order, Order, Rush]
    assert [c.name for c in shop.query(Customer, key=Customer.pk == "C#1")] == ["ann"]
    assert sorted(c.name for c in shop.scan(Customer)) == ["ann", "bob"]
    assert [type(o) for o in shop.query(Rush, key=Rush.pk == "C#1")] == [Rush]
    assert shop.query(Order, key=Order.pk == "C#1").count() == 3
    assert shop.scan(Customer).count() == 2
    assert shop.scan(Order).count() == 4
    # a limit counts the model's own items
    assert [o.sk for o in shop.query(Order, key=Order.pk == "C#1", limit=2)] == ["O#1", "O#2"]
    # the type filter is DynamoDB's: the other items never came back
    requests.clear()
    shop.query(Customer, key=Customer.pk == "C#1").all()
    (name, request), = requests.calls
    assert "FilterExpression" in request
    # engine.load of another type's key: not found
    wrong = Customer(pk="C#1", sk="O#1")
    with pytest.raises(ObjectsNotFound, match="an item of Order"):
        shop.load(wrong)
    assert type(wrong) is Customer and wrong.name is None


def test_load_through_the_base_becomes_the_items_model(shop):
    obj = Shop(pk="C#1", sk="O#3")
    shop.load(obj)
    assert type(obj) is Rush and obj.total == 30
    obj.deadline = "friday"
    shop.save(obj)
    again = Rush(pk="C#1", sk="O#3")
    shop.load(again)
    assert again.deadline == "friday" and again.kind == "rush"


@pytest.mark.parametrize("policy", ["raise", "skip", "raw"])
def test_an_unknown_type_under_each_policy(shop, client, monkeypatch, policy):
    monkeypatch.setattr(Shop.Meta.family, "unknown", policy)
    gadget = {"pk": {"S": "C#1"}, "sk": {"S": "G#1"}, "type": {"S": "gadget"}}
    client.put_item(TableName=table(shop, Shop), Item=gadget)
    client.put_item(TableName=table(shop, Shop), Item={"pk": {"S": "C#1"}, "sk": {"S": "X#1"}})
    query = shop.query(Shop, key=Shop.pk == "C#1")
    if policy == "raise":
        with pytest.raises(UnknownType, match="'gadget'") as raised:
            query.all()
        assert raised.value.value == "gadget" and raised.value.model is Shop
    elif policy == "skip":
        assert [type(o).__name__ for o in query] == ["Customer", "Order", "Order", "Rush"]
    else:
        found = query.all()
        raw = [o for o in found if isinstance(o, RawItem)]
        assert [(r.value, r.key["sk"]) for r in raw] == [("gadget", {"S": "G#1"}), (None, {"S": "X#1"})]
        assert raw[0].item == gadget and raw[0].model is Shop
    # a concrete model's filter leaves unknown types out under every policy
    assert len(shop.query(Order, key=Order.pk == "C#1").all()) == 3


def test_a_keys_only_index_still_tells_types_apart(shop, client):
    description = client.describe_table(TableName=table(shop, Shop))["Table"]
    projection, = [g["Projection"] for g in description["GlobalSecondaryIndexes"]]
    assert projection == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["type"]}
    found = list(shop.query(Shop.by_gsi1, key=Shop.gsi1pk == "STATUS#open"))
    assert [(type(o), o.pk, o.sk) for o in found] == [
        (Order, "C#1", "O#1"), (Rush, "C#1", "O#3"), (Order, "C#2", "O#1")]
    assert found[0].total is None  # not projected
    assert [type(o) for o in shop.query(Rush.by_gsi1, key=Rush.gsi1pk == "STATUS#open")] == [Rush]
    assert [type(o) for o in shop.scan(Customer.by_gsi1)] == [Customer, Customer]
    assert [type(o) for o in shop.query(Shop, key=Shop.pk == "C#1", projection="keys")] == [
        Customer, Order, Order, Rush]


def test_from_item_through_the_base(shop, client):
    wire = client.get_item(TableName=table(shop, Shop), Key={"pk": {"S": "C#1"}, "sk": {"S": "O#2"}})["Item"]
    obj = from_item(Shop, wire)
    assert type(obj) is Order and obj.status == "shipped"
    assert from_item(Customer, wire) is None


def test_guard_items_are_never_objects(engine, client):
    engine.bind(Member)
    name = table(engine, Member)
    client.put_item(TableName=name, Item={"id": {"S": "m1"}, "email": {"S": "a@b"}})
    client.put_item(TableName=name, Item={"id": {"S": "_unique#Member.email#a@b"},
                                          "_bloop_unique": {"S": "Member.email"},
                                          "_bloop_owner": {"M": {"id": {"S": "m1"}}}})
    assert [m.id for m in engine.scan(Member)] == ["m1"]
    assert engine.scan(Member).count() == 1
    with pytest.raises(ObjectsNotFound, match="guard item"):
        engine.load(Member(id="_unique#Member.email#a@b"))


@pytest.mark.engines("sync", "async", async_backends=("moto_server",))
def test_a_transactions_load_through_the_base(shop, backend_name):
    if backend_name == "dynalite":
        pytest.skip("dynalite does not implement transactions")
    base, wrong = Shop(pk="C#2", sk="O#1"), Customer(pk="C#1", sk="O#2")
    with pytest.raises(ObjectsNotFound, match="an item of Order"):
        with shop.transaction(mode="r") as tx:
            tx.load(base, wrong)
    assert type(base) is Order and base.total == 5


class Feed(BaseModel):
    """A family with a stream (dynalite has none: the shop's table has no stream)."""

    class Meta:
        table_name = "feed"
        stream = {"include": ["new", "old"]}
        # moto emits a key-only INSERT (no type value) before the whole item when an update
        # creates one; DynamoDB emits one record.  "skip" passes moto's extra record
        unknown = "skip"

    pk = Column(String, hash_key=True)
    sk = Column(String, range_key=True)
    kind = Column(String, discriminator=True, dynamo_name="type")


class Post(Feed, discriminator="post"):
    text = Column(String)


class Urgent(Post, discriminator="urgent"):
    level = Column(Integer)


class Like(Feed, discriminator="like"):
    who = Column(String)


@pytest.mark.engines("sync")
def test_stream_and_lambda_records_through_the_base(backend, client, prefix, backend_name):
    if backend_name == "dynalite":
        pytest.skip("dynalite does not implement DynamoDB Streams")
    streams = boto3.client("dynamodbstreams", endpoint_url=backend["endpoint_url"], region_name="us-east-1")
    engine = bloop.Engine(client, streams, table_name_template=prefix + "{table_name}")
    engine.bind(Feed)
    base, posts = engine.stream(Feed, "trim_horizon"), engine.stream(Post, "trim_horizon")
    engine.save(Post(pk="P#1", sk="P#1", text="hello"))
    engine.save(Like(pk="P#1", sk="L#ann", who="ann"))
    engine.save(Urgent(pk="P#2", sk="P#2", text="now", level=3))
    client.put_item(TableName=table(engine, Feed), Item={"pk": {"S": "_unique#x"}, "sk": {"S": "_unique#x"},
                                                         "_bloop_unique": {"S": "Post.text"}})
    records = list(base)
    assert [(type(r.new), type(r.key), r.key.sk) for r in records] == [
        (Post, Post, "P#1"), (Like, Like, "L#ann"), (Urgent, Urgent, "P#2")]
    assert [(type(r.new), r.new.text) for r in posts] == [(Post, "hello"), (Urgent, "now")]
    # the same records as a Lambda function receives them
    assert [type(from_lambda(Feed, r.raw).new) for r in records] == [Post, Like, Urgent]
    assert from_lambda(Post, records[1].raw) is None


@pytest.mark.engines("async", async_backends=("moto_server",))  # dynalite has no streams
def test_an_async_stream_through_the_base(backend, prefix, flavour):
    async def body():
        async with AsyncEngine(endpoint_url=backend["endpoint_url"], region_name="us-east-1",
                               table_name_template=prefix + "{table_name}") as engine:
            await engine.bind(Feed)
            base, likes = engine.stream(Feed, "trim_horizon"), engine.stream(Like, "trim_horizon")
            await engine.save(Post(pk="P#1", sk="P#1", text="hello"))
            await engine.save(Like(pk="P#1", sk="L#bob", who="bob"))
            assert [(type(r.new), type(r.key)) async for r in base] == [(Post, Post), (Like, Like)]
            assert [r.new.who async for r in likes] == ["bob"]

    asyncio.run(body())


class Stock(BaseModel):
    """A family whose types project different columns into one shared index."""

    class Meta:
        table_name = "stock"

    pk = Column(String, hash_key=True)
    kind = Column(String, discriminator=True)
    gsi1pk = Column(String)
    by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", projection="keys")


class Part(Stock, discriminator="part"):
    weight = Column(Integer)
    colour = Column(String)
    by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", projection=["weight"])


class Tool(Stock, discriminator="tool"):
    brand = Column(String)
    by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", projection=["brand"])


@pytest.mark.parametrize("first", [Part, Tool, Stock], ids=lambda m: m.__name__)
def test_each_type_of_an_overloaded_index_reads_what_it_projects(engine, first):
    """Whichever model binds the table first, the index holds what every type projects into
    it, and a query through each type returns that type's items with its own columns."""
    engine.bind(first)
    engine.bind(Stock)
    engine.save([Part(pk="p1", gsi1pk="shelf", weight=3, colour="red"),
                 Tool(pk="t1", gsi1pk="shelf", brand="acme")])
    parts = list(engine.query(Part.by_gsi1, key=Part.gsi1pk == "shelf"))
    assert [(p.pk, p.weight, p.colour) for p in parts] == [("p1", 3, None)]  # colour is not projected
    tools = list(engine.query(Tool.by_gsi1, key=Tool.gsi1pk == "shelf"))
    assert [(t.pk, t.brand) for t in tools] == [("t1", "acme")]
    both = sorted(engine.query(Stock.by_gsi1, key=Stock.gsi1pk == "shelf"), key=lambda obj: obj.pk)
    assert [type(obj) for obj in both] == [Part, Tool]
