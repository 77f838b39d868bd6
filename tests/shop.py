"""The shop of docs/single-table.rst, shared by the tests: customers, products, orders and
order lines in one table, with one overloaded index (orders by status and date).

``Customer.email`` is not unique here (the guide's is): a unique column makes every save a
transaction, which dynalite does not have, and these models run on every backend.
"""
from bloop import BaseModel, Column, DateTime, GlobalSecondaryIndex, Integer, ManyToOne, String


class Shop(BaseModel):
    """The family's base: the table, its generic keys and the discriminator."""

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
    email = Column(String)


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
