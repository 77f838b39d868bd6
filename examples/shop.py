"""The shop of docs/single-table.rst: customers, products, orders and order lines in one
table, written and read through each access pattern, printing every request it sends.

By default everything runs against moto in-process (no AWS account, no server).  Set
``BLOOP_ENDPOINT_URL`` to run against a DynamoDB endpoint instead (DynamoDB Local, a moto
server, or AWS itself; unique emails need transactions, which dynalite does not have)::

    BLOOP_ENDPOINT_URL=http://127.0.0.1:8000 python examples/shop.py
"""
import datetime
import os
import re
import uuid

from bloop import (
    BaseModel, Column, DateTime, Engine, GlobalSecondaryIndex, Integer, ManyToOne, String, UniqueViolation,
)

ENDPOINT = os.environ.get("BLOOP_ENDPOINT_URL") or None


class Shop(BaseModel):
    class Meta:
        table_name = "shop"
    pk = Column(String, hash_key=True)
    sk = Column(String, range_key=True)
    gsi1pk = Column(String)
    gsi1sk = Column(String)
    kind = Column(String, discriminator=True, dynamo_name="type")
    by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection="all")


class Customer(Shop, discriminator="customer"):
    pk = Column(String, hash_key=True, template="CUSTOMER#{customer_id}")
    sk = Column(String, range_key=True, template="CUSTOMER#{customer_id}")
    customer_id = Column(String)
    name = Column(String)
    email = Column(String, unique=True)


class Product(Shop, discriminator="product"):
    pk = Column(String, hash_key=True, template="PRODUCT#{sku}")
    sk = Column(String, range_key=True, template="PRODUCT#{sku}")
    sku = Column(String)
    name = Column(String)
    price = Column(Integer)


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
    customer = ManyToOne(Customer, inverse="orders")


class OrderLine(Shop, discriminator="line"):
    pk = Column(String, hash_key=True, template="CUSTOMER#{customer_id}")
    sk = Column(String, range_key=True, template="ORDER#{created}#{order_id}#LINE#{line}")
    customer_id = Column(String)
    order_id = Column(String)
    created = Column(DateTime)
    line = Column(Integer)
    sku = Column(String)
    qty = Column(Integer)
    price = Column(Integer)
    order = ManyToOne(Order, inverse="lines")
    product = ManyToOne(Product)


def day(n):
    return datetime.datetime(2024, 5, n, 9, 30, tzinfo=datetime.timezone.utc)


class Printer:
    """Prints each request the engine sends: its operation and, for a query, its key
    condition with the names and values put in."""

    def __init__(self, engine):
        engine.session.dynamodb.meta.events.register("provide-client-params.dynamodb", self.sent)

    def sent(self, model, params, **kwargs):
        print(f"  -> {model.name}{describe(params)}")


def describe(params):
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})

    def fill(expression):
        expression = re.sub(r"#n\d+", lambda m: names.get(m.group(0), m.group(0)), expression)
        return re.sub(r":v\d+", lambda m: repr(next(iter(values.get(m.group(0), {"?": m.group(0)}).values()))),
                      expression)

    out = []
    if "IndexName" in params:
        out.append(f"index {params['IndexName']}")
    if "KeyConditionExpression" in params:
        out.append(f"key {fill(params['KeyConditionExpression'])}")
    if "FilterExpression" in params:
        out.append(f"filter {fill(params['FilterExpression'])}")
    if "TransactItems" in params:
        out.append(", ".join(next(iter(item)) for item in params["TransactItems"]))
    return (": " + "; ".join(out)) if out else ""


def step(title):
    print()
    print(title)


def run(engine):
    engine.bind(Shop)
    Printer(engine)

    step("Products and a customer (the unique email is claimed in the same transaction)")
    pen = Product(sku="pen", name="Fountain pen", price=4500)
    ink = Product(sku="ink", name="Blue ink", price=900)
    engine.save([pen, ink])
    ann = Customer(customer_id="c1", name="Ann", email="ann@example.com")
    engine.save(ann)

    step("Another customer with Ann's email")
    try:
        engine.save(Customer(customer_id="c2", name="Bob", email="ann@example.com"))
    except UniqueViolation as error:
        print(f"  refused: {error}")

    step("Three orders and their lines")
    orders = [Order(customer_id="c1", order_id=f"o{n}", created=day(n), status="open", total=0) for n in (1, 2, 3)]
    orders[1].status = "shipped"
    lines = []
    for n, (product, qty) in enumerate([(pen, 1), (ink, 3)], 1):
        line = OrderLine(line=n, qty=qty, price=product.price)
        line.order, line.product = orders[0], product
        lines.append(line)
    orders[0].total = sum(line.qty * line.price for line in lines)
    engine.save([*orders, *lines])

    step("An order's customer: no request until it is loaded")
    customer = orders[0].customer
    engine.load(customer)
    print(f"  {customer.name} <{customer.email}>")

    step("Ann's orders, newest first")
    for order in engine.related(ann, Customer.orders).forward(False):
        print(f"  {order.order_id} {order.created:%Y-%m-%d} {order.status} {order.total}")

    step("The lines of order o1")
    for line in engine.related(orders[0], Order.lines):
        print(f"  line {line.line}: {line.qty} x {line.sku}")

    step("Ann and her orders, in one query")
    found = engine.collection(ann)
    print(f"  {found.customer.name}: {', '.join(o.order_id for o in found.orders)}; "
          f"{len(found.items)} items ({', '.join(type(obj).__name__ for obj in found.items)})")

    step("Open orders since May 2nd (the overloaded index)")
    for order in engine.query(Order.by_gsi1, key=(Order.status == "open") & (Order.created >= day(2))):
        print(f"  {order.order_id} of {order.customer_id}")


def main():
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if ENDPOINT:
        # a table of its own on a shared endpoint
        run(Engine(endpoint_url=ENDPOINT, table_name_template=f"shop-{uuid.uuid4().hex[:8]}-{{table_name}}"))
        return
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto intercepts the regular AWS endpoints only
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    from moto import mock_aws
    with mock_aws():
        run(Engine())


if __name__ == "__main__":
    main()
