"""Relationships and collections on every backend, with each engine: a reference loaded
explicitly, the inverse query (on the table and on an index) and a collection read in one
query, on the shop of docs/single-table.rst (tests/shop.py)."""
import datetime
import runpy
from pathlib import Path

import pytest

from bloop import BaseModel, Column, GlobalSecondaryIndex, ManyToOne, String
from tests.shop import Customer, Order, OrderLine, Product, Shop

pytestmark = pytest.mark.engines("sync", "async")

UTC = datetime.timezone.utc


def day(n):
    return datetime.datetime(2024, 5, n, 9, 30, tzinfo=UTC)


@pytest.fixture
def shop(engine):
    engine.bind(Shop)
    ann = Customer(customer_id="c1", name="Ann", email="ann@example.com")
    bob = Customer(customer_id="c2", name="Bob", email="bob@example.com")
    pen = Product(sku="pen", name="Pen", price=150)
    ink = Product(sku="ink", name="Ink", price=900)
    orders = [Order(customer_id="c1", order_id=f"o{i}", created=day(i + 1), status="shipped" if i % 2 else "open",
                    total=100 * i) for i in range(4)]
    orders.append(Order(customer_id="c2", order_id="o9", created=day(9), status="open", total=5))
    lines = [OrderLine(customer_id="c1", order_id="o1", created=day(2), line=n, sku=sku, qty=n, price=price)
             for n, (sku, price) in enumerate([("pen", 150), ("ink", 900)], 1)]
    engine.save([ann, bob, pen, ink, *orders, *lines])
    return engine, ann, orders, lines


def test_the_reference_is_loaded_explicitly(shop, requests):
    engine, ann, orders, lines = shop
    order = orders[1]
    requests.clear()
    customer = order.customer
    assert requests.names() == []  # attribute access sends nothing
    assert customer.name is None
    engine.load(customer)
    assert (customer.name, customer.email) == ("Ann", "ann@example.com")
    line = engine.query(OrderLine).key(OrderLine.customer_id == "c1").first()
    product, parent = line.product, line.order
    engine.load([product, parent])
    assert (product.name, parent.order_id, parent.total) == ("Pen", "o1", 100)


def test_an_assigned_reference_is_saved_as_its_parts(shop):
    engine, ann, orders, _ = shop
    moved = orders[3]
    engine.delete(moved)
    moved.customer = Customer(customer_id="c2")
    engine.save(moved)
    assert [o.order_id for o in engine.related(Customer(customer_id="c2"), Customer.orders)] == ["o3", "o9"]
    assert [o.order_id for o in engine.related(ann, Customer.orders)] == ["o0", "o1", "o2"]


def test_the_inverse_query(shop):
    engine, ann, orders, lines = shop
    found = engine.related(ann, Customer.orders).all()
    assert [type(o) for o in found] == [Order] * 4  # the lines in the partition are not orders
    assert [o.order_id for o in found] == ["o0", "o1", "o2", "o3"]  # in key order: by date
    newest = engine.related(ann, Customer.orders).forward(False).first()
    assert newest.order_id == "o3"
    shipped = engine.related(ann, "orders").filter(Order.status == "shipped").all()
    assert [o.order_id for o in shipped] == ["o1", "o3"]
    assert engine.related(ann, Customer.orders).count() == 4
    assert engine.related(Customer(customer_id="nobody"), Customer.orders).all() == []
    in_may = engine.related(ann, Customer.orders).key(Order.created.between(day(2), day(3))).all()
    assert [o.order_id for o in in_may] == ["o1", "o2"]
    assert [(line.line, line.sku) for line in engine.related(orders[1], Order.lines)] == [(1, "pen"), (2, "ink")]
    assert engine.related(orders[0], Order.lines).all() == []


def test_the_inverse_query_on_an_index(engine):
    class Person(BaseModel):
        id = Column(String, hash_key=True)

    class Task(BaseModel):
        id = Column(String, hash_key=True)
        assignee_id = Column(String)
        by_assignee = GlobalSecondaryIndex(hash_key="assignee_id", projection="all")
        assignee = ManyToOne(Person, on={"id": "assignee_id"}, inverse="tasks", index="by_assignee")

    engine.bind(Person)
    engine.bind(Task)
    engine.save([Person(id="p1"), Task(id="t1", assignee_id="p1"), Task(id="t2", assignee_id="p2"),
                 Task(id="t3", assignee_id="p1")])
    query = engine.related(Person(id="p1"), Person.tasks)
    assert query.index is Task.by_assignee
    assert sorted(t.id for t in query) == ["t1", "t3"]


def test_a_collection_is_one_query(shop, requests):
    engine, ann, orders, lines = shop
    requests.clear()
    found = engine.collection(Customer(customer_id="c1"))
    assert requests.names() == ["Query"]
    assert requests.calls[0][1]["KeyConditionExpression"] == "#n0 = :v0"
    assert type(found.customer) is Customer and found.customer.name == "Ann"
    assert found.owner is found.customer
    assert [o.order_id for o in found.orders] == ["o0", "o1", "o2", "o3"]
    assert all(type(o) is Order for o in found.orders)
    # every item, in key order: the customer's own item sorts before its orders and lines
    assert [type(obj).__name__ for obj in found.items] == \
        ["Customer", "Order", "Order", "OrderLine", "OrderLine", "Order", "Order"]
    assert [(line.order_id, line.line) for line in found.of(OrderLine)] == [("o1", 1), ("o1", 2)]


def test_a_collection_around_an_order_groups_its_lines(shop):
    engine, ann, orders, lines = shop
    found = engine.collection(orders[1])
    assert found.order.order_id == "o1" and found.order.total == 100
    assert [(line.line, line.sku) for line in found.lines] == [(1, "pen"), (2, "ink")]


def test_a_collection_without_the_owners_item(shop):
    engine, ann, orders, lines = shop
    engine.save([Order(customer_id="c3", order_id=f"x{i:03}", created=day(1), status="open", total=i)
                 for i in range(12)])
    found = engine.collection(Customer(customer_id="c3"))
    assert found.customer is None  # c3 has orders but no item of its own
    assert len(found.orders) == 12 and found.items == found.orders


def test_an_empty_collection(shop):
    engine = shop[0]
    found = engine.collection(Customer(customer_id="nobody"))
    assert found.customer is None and found.orders == [] and found.items == []


def test_the_shop_example_runs(monkeypatch, capsys):
    """examples/shop.py against moto in-process, as ``python examples/shop.py`` runs it."""
    monkeypatch.delenv("BLOOP_ENDPOINT_URL", raising=False)
    runpy.run_path(str(Path(__file__).resolve().parents[2] / "examples" / "shop.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "refused: " in out and "ann@example.com" in out
    assert "Ann: o1, o2, o3; 6 items" in out
    assert "  o3 of c1" in out
    collection = out.split("Ann and her orders, in one query")[1].split("Open orders")[0]
    assert collection.count("-> ") == 1 and "-> Query" in collection
    # the guide's closing note shows this output as it is
    guide = (Path(__file__).resolve().parents[2] / "docs" / "single-table.rst").read_text()
    shown = guide.split("What the example sends")[1].split(".. code-block:: text")[1].split("\n\nEach access")[0]
    assert [line.strip() for line in shown.strip().splitlines()] == [line.strip() for line in out.strip().splitlines()]
