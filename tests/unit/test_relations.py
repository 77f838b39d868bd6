"""bloop.relations: ManyToOne references, their declared inverse (OneToMany), the inverse
query and collections.  Requests are checked against botocore's service model (Stubber)."""
import datetime

import pytest

from bloop import (
    BaseModel, Collection, Column, GlobalSecondaryIndex, Integer, InvalidModel, InvalidSearch, InvalidType,
    InvalidValue, ManyToOne, MissingKey, OneToMany, String,
)
from bloop.relations import group, identity
from tests.shop import Customer, Order, OrderLine, Product, Shop
from tests.unit.helpers import stubbed_engine

CREATED = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)


# plain models (no templates, no family): the inverse query is a query on a key column
class Author(BaseModel):
    id = Column(String, hash_key=True)
    name = Column(String)


class Post(BaseModel):
    author_id = Column(String, hash_key=True)
    slug = Column(String, range_key=True)
    editor_id = Column(String)
    by_editor = GlobalSecondaryIndex(hash_key="editor_id", range_key="slug", projection="keys")
    author = ManyToOne(Author, on={"id": "author_id"}, inverse="posts")
    editor = ManyToOne(Author, on={"id": "editor_id"}, inverse="edited", index="by_editor")


# the reference ---------------------------------------------------------------------------

def test_the_reference_holds_the_key_parts_and_sends_nothing():
    order = Order(customer_id="c1", order_id="o1", created=CREATED)
    customer = order.customer
    assert type(customer) is Customer
    assert customer.customer_id == "c1"
    assert customer.pk == customer.sk == "CUSTOMER#c1"  # its keys, built from the parts
    assert customer.kind == "customer"
    assert customer.name is None and customer.email is None
    assert order.customer is not customer  # a new object on each access
    assert Order.customer.target is Customer and identity(Customer) == ["customer_id"]


def test_the_reference_is_none_when_a_part_is_none():
    assert Order(order_id="o1").customer is None
    assert OrderLine(customer_id="c1", order_id="o1").order is None  # created is a part of Order's key


def test_a_reference_to_a_model_with_plain_keys():
    post = Post(author_id="a1", slug="s", editor_id="a2")
    assert post.author.id == "a1" and post.editor.id == "a2"
    assert Post(author_id="a1").editor is None


def test_assigning_copies_the_parts():
    order = Order(order_id="o1", created=CREATED)
    order.customer = Customer(customer_id="c7", name="Ann")
    assert order.customer_id == "c7"
    line = OrderLine(line=1)
    line.order = order
    assert (line.customer_id, line.created, line.order_id) == ("c7", CREATED, "o1")
    post = Post(slug="s")
    post.editor = Author(id="a3")
    assert post.editor_id == "a3" and post.author_id is None


def test_assigning_a_target_known_by_its_key_reads_the_part_from_the_key():
    known = Customer.__new__(Customer)
    known.__dict__["pk"] = "CUSTOMER#c8"  # as from an index that projects only the keys
    order = Order()
    order.customer = known
    assert order.customer_id == "c8"


def test_assigning_none_clears_the_parts():
    order = Order(customer_id="c1", order_id="o1")
    order.customer = None
    assert order.customer_id is None and order.order_id == "o1"
    line = OrderLine(customer_id="c1", created=CREATED, order_id="o1", line=2)
    del line.order
    assert (line.customer_id, line.created, line.order_id, line.line) == (None, None, None, 2)


def test_assigning_what_is_not_the_target_is_refused_and_changes_nothing():
    order = Order(customer_id="c1")
    with pytest.raises(InvalidType, match=r"Order.customer refers to a Customer .*nothing was changed"):
        order.customer = Product(sku="p1")
    with pytest.raises(InvalidValue, match=r"the Order has no created, .*nothing was changed"):
        OrderLine(customer_id="c9").order = Order(customer_id="c1", order_id="o1")
    assert order.customer_id == "c1"


def test_assigning_records_a_change_of_a_loaded_object():
    from bloop import from_item
    order = from_item(Order, {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#x#o1"}, "customer_id": {"S": "c1"},
                              "type": {"S": "order"}})
    order.customer = Customer(customer_id="c2")
    from bloop.tracking import snapshot
    assert snapshot(order)["customer_id"] == "c1" and order.customer_id == "c2"  # the loaded value was kept


# declarations ----------------------------------------------------------------------------

def test_the_inverse_is_declared_on_the_target():
    assert isinstance(Customer.orders, OneToMany) and Customer.orders.model is Order
    assert isinstance(Order.lines, OneToMany) and Order.lines.model is OrderLine
    assert Customer.orders.relation is Order.customer
    assert not hasattr(Product, "lines")  # OrderLine.product declares no inverse
    assert Author.edited.relation.index is Post.by_editor


def test_on_names_a_column_of_this_model():
    class Review(BaseModel):
        id = Column(String, hash_key=True)
        buyer = Column(String)
        customer = ManyToOne(Customer, on={Customer.customer_id: "buyer"})

    assert Review(id="r", buyer="c4").customer.customer_id == "c4"


@pytest.mark.parametrize("body, message", [
    (lambda: {"customer": ManyToOne(Customer)},
     r"Thing.customer refers to Customer by its key part customer_id, and Thing has no column 'customer_id'"),
    (lambda: {"customer_id": Column(Integer), "customer": ManyToOne(Customer)},
     r"Thing.customer_id is a Integer.* and holds Customer.customer_id, a String"),
    (lambda: {"customer": ManyToOne(Customer, on={"name": "x"})}, r"on= names 'name', which is not a key part"),
    (lambda: {"customer_id": Column(String), "customer": ManyToOne(Customer, inverse="mine", index="nope")},
     r"index='nope' is not an index of Thing"),
    (lambda: {"other": Column(String), "customer_id": Column(String),
              "customer": ManyToOne(Customer, inverse="things")},
     r"the inverse queries Thing's table, whose hash key is id, which the relation does not hold"),
])
def test_bad_declarations_are_refused_at_the_class_statement(body, message):
    with pytest.raises(InvalidModel, match=message):
        type("Thing", (BaseModel,), {"__module__": __name__, "id": Column(String, hash_key=True), **body()})


@pytest.mark.parametrize("inverse", ["email", "orders", "Meta"])
def test_an_inverse_never_hides_what_the_target_has(inverse):
    with pytest.raises(InvalidModel, match=rf"inverse='{inverse}', but Customer.{inverse} is taken"):
        type("Thing", (BaseModel,), {"__module__": __name__, "customer_id": Column(String, hash_key=True),
                                     "customer": ManyToOne(Customer, inverse=inverse)})


def test_an_inverse_needs_the_leading_parts_of_the_range_key():
    class Ledger(BaseModel):
        pk = Column(String, hash_key=True, template="L#{owner}")
        sk = Column(String, range_key=True, template="E#{day}#{seq}")
        owner = Column(String)
        day = Column(String)
        seq = Column(String)

    class Entry(BaseModel):
        owner = Column(String, hash_key=True)
        seq = Column(String, range_key=True)

    with pytest.raises(InvalidModel, match=r"seq must be the leading parts of sk"):
        type("Line", (BaseModel,), {
            "__module__": __name__,
            "pk": Column(String, hash_key=True, template="L#{owner}"),
            "sk": Column(String, range_key=True, template="E#{day}#{seq}"),
            "owner": Column(String), "day": Column(String), "seq": Column(String),
            "entry": ManyToOne(Entry, inverse="lines")})


def test_an_inverse_on_an_abstract_model_is_refused():
    with pytest.raises(InvalidModel, match=r"is declared on a concrete model, not on the abstract Base"):
        class Base(BaseModel):
            class Meta:
                abstract = True
            customer_id = Column(String)
            customer = ManyToOne(Customer, inverse="bases")
    assert not hasattr(Customer, "bases")


def test_a_reference_on_an_abstract_base_works_in_its_models():
    class Base(BaseModel):
        class Meta:
            abstract = True
        customer_id = Column(String)
        customer = ManyToOne(Customer)

    class Note(Base):
        id = Column(String, hash_key=True)

    assert Note(id="n", customer_id="c2").customer.customer_id == "c2"


class Employee(BaseModel):
    id = Column(String, hash_key=True)
    manager_id = Column(String)
    by_manager = GlobalSecondaryIndex(hash_key="manager_id", projection="all")
    manager = ManyToOne("self", on={"id": "manager_id"}, inverse="reports", index="by_manager")


def test_a_reference_to_the_same_model():
    ann = Employee(id="ann", manager_id="bob")
    assert type(ann.manager) is Employee and ann.manager.id == "bob"
    ann.manager = Employee(id="cy")
    assert ann.manager_id == "cy"
    assert Employee.reports.model is Employee and Employee.reports.relation.index is Employee.by_manager
    engine, stubber = stubbed_engine()
    query = engine.related(Employee(id="cy"), Employee.reports)
    assert query.index is Employee.by_manager and query.model is Employee
    with pytest.raises(InvalidModel, match=r'ManyToOne\("self"\) refers to Base, which is abstract'):
        class Base(BaseModel):
            class Meta:
                abstract = True
            id = Column(String, hash_key=True)
            boss = ManyToOne("self", on={"id": "boss_id"})
            boss_id = Column(String)

        class Concrete(Base):
            pass


def test_the_target_must_be_a_concrete_model():
    with pytest.raises(InvalidModel, match=r"the target must be a concrete model class \(or \"self\""):
        ManyToOne("Customer")
    with pytest.raises(InvalidModel, match=r"inverse must be an attribute name"):
        ManyToOne(Customer, inverse="not a name")


def test_the_inverse_cannot_be_assigned():
    with pytest.raises(InvalidType, match=r"set Order.customer on each of them"):
        Customer(customer_id="c1").orders = []


# the inverse query -----------------------------------------------------------------------

def test_the_inverse_condition_is_on_the_parts():
    condition = Order.lines.condition(Order(customer_id="c1", created=CREATED, order_id="o1"))
    assert repr(condition) == repr((OrderLine.customer_id == "c1") & (OrderLine.created == CREATED)
                                   & (OrderLine.order_id == "o1"))


def test_related_is_a_query_of_the_inverse_model():
    engine, stubber = stubbed_engine()
    query = engine.related(Author(id="a1"), Author.posts)
    assert query.model is Post and query.engine is engine and query.index is None
    with stubber:
        stubber.add_response("query", {"Items": [{"author_id": {"S": "a1"}, "slug": {"S": "hello"}}], "Count": 1},
                             {"TableName": "s-Post", "KeyConditionExpression": "#n0 = :v0", "Select": "ALL_ATTRIBUTES",
                              "ExpressionAttributeNames": {"#n0": "author_id"},
                              "ExpressionAttributeValues": {":v0": {"S": "a1"}}})
        posts = query.all()
        stubber.assert_no_pending_responses()
    assert [(p.author_id, p.slug) for p in posts] == [("a1", "hello")]
    assert engine.related(Author(id="a1"), "posts").model is Post  # by name


def test_related_through_an_index_and_chained():
    engine, stubber = stubbed_engine()
    query = engine.related(Author(id="a2"), Author.edited).forward(False).limit(5)
    assert query.index is Post.by_editor
    with stubber:
        stubber.add_response("query", {"Items": [], "Count": 0},
                             {"TableName": "s-Post", "IndexName": "by_editor",
                              "KeyConditionExpression": "#n0 = :v0", "ProjectionExpression": "#n1, #n2, #n0",
                              "ExpressionAttributeNames": {"#n0": "editor_id", "#n1": "author_id", "#n2": "slug"},
                              "ExpressionAttributeValues": {":v0": {"S": "a2"}},
                              "ScanIndexForward": False, "Limit": 5})
        assert query.all() == []
        stubber.assert_no_pending_responses()


def test_instance_access_is_the_same_query_without_an_engine():
    query = Author(id="a1").posts
    assert query.model is Post and query.engine is None
    with pytest.raises(InvalidSearch, match="this search has no engine"):
        query.all()
    engine, _ = stubbed_engine()
    assert engine.query(query).engine is engine


def test_related_refuses_what_is_not_an_inverse_before_sending():
    engine, _ = stubbed_engine()
    with pytest.raises(InvalidSearch, match=r"Order.customer refers to one Customer: it is loaded with engine.load"):
        engine.related(Order(customer_id="c1"), Order.customer)
    with pytest.raises(InvalidSearch, match=r"Author.name is not an inverse relation"):
        engine.related(Author(id="a"), "name")
    with pytest.raises(InvalidType, match=r"Customer.orders finds what refers to a Customer"):
        engine.related(Author(id="a"), Customer.orders)
    with pytest.raises(MissingKey, match=r"the Customer has no customer_id, .* nothing was sent"):
        engine.related(Customer(), Customer.orders)


# collections -----------------------------------------------------------------------------

def test_a_collection_is_one_query_of_the_partition_through_the_base():
    engine, stubber = stubbed_engine()
    with stubber:
        stubber.add_response("query", {"Items": [], "Count": 0},
                             {"TableName": "s-shop", "KeyConditionExpression": "#n0 = :v0", "Select": "ALL_ATTRIBUTES",
                              "ExpressionAttributeNames": {"#n0": "pk"},
                              "ExpressionAttributeValues": {":v0": {"S": "CUSTOMER#c1"}},
                              "ConsistentRead": True})
        found = engine.collection(Customer(customer_id="c1"), consistent=True)
        stubber.assert_no_pending_responses()
    assert isinstance(found, Collection)
    assert found.customer is None and found.owner is None and found.orders == [] and found.items == []


def test_a_collection_follows_every_page():
    engine, stubber = stubbed_engine()
    page = {"pk": {"S": "a1"}}
    with stubber:
        stubber.add_response("query", {"Items": [{"id": {"S": "a1"}, "name": {"S": "Ann"}}], "Count": 1,
                                       "LastEvaluatedKey": {"id": page["pk"]}})
        stubber.add_response("query", {"Items": [], "Count": 0},
                             {"TableName": "s-Author", "KeyConditionExpression": "#n0 = :v0",
                              "Select": "ALL_ATTRIBUTES",
                              "ExpressionAttributeNames": {"#n0": "id"},
                              "ExpressionAttributeValues": {":v0": {"S": "a1"}},
                              "ExclusiveStartKey": {"id": {"S": "a1"}}})
        found = engine.collection(Author(id="a1"))
        stubber.assert_no_pending_responses()
    assert found.author.name == "Ann" and found.items == [found.author]
    assert found.groups == {}  # Author's inverses live in Post's table


def test_a_collection_needs_the_hash_key_before_sending():
    engine, _ = stubbed_engine()
    with pytest.raises(MissingKey, match=r"Customer.pk is built from customer_id, which has no value"):
        engine.collection(Customer())
    with pytest.raises(InvalidSearch, match=r"collection\(obj\) takes an object of a concrete model"):
        engine.collection("c1")


def test_grouping_around_the_owner():
    owner = Customer(customer_id="c1")
    me = Customer(customer_id="c1", name="Ann")
    mine = [Order(customer_id="c1", order_id=f"o{i}", created=CREATED) for i in range(2)]
    theirs = Order(customer_id="c2", order_id="o9", created=CREATED)
    line = OrderLine(customer_id="c1", order_id="o0", created=CREATED, line=1)
    for obj in [me, *mine, theirs, line]:
        for key in type(obj).Meta.keys:
            obj.__dict__[key.name] = key.template.render(obj.__dict__)
    items = [me, mine[0], line, mine[1], theirs]
    found = group(owner, items)
    assert found.customer is me and found.owner is me
    assert found.orders == mine
    assert found.items == items and found.of(OrderLine) == [line] and found.of(Shop) == items
    assert found.groups == {"orders": mine}
    with pytest.raises(AttributeError, match=r"this collection has no 'lines': it has 'customer' \(the owner\)"):
        found.lines
    by_order = group(mine[0], items)
    assert by_order.order is mine[0] and by_order.lines == [line]
    assert "orders=2" in repr(found)


# the async engine ------------------------------------------------------------------------

def test_the_async_engine_relates_and_collects():
    import asyncio

    from bloop.aio import AsyncEngine
    from tests.unit.fakes import AsyncFakeTransport
    from tests.unit.helpers import dynamodb_client

    engine = AsyncEngine(dynamodb_client(), table_name_template="a-{table_name}")
    engine.transport = AsyncFakeTransport([
        {"Items": [{"author_id": {"S": "a1"}, "slug": {"S": "s1"}}], "Count": 1},
        {"Items": [{"id": {"S": "a1"}, "name": {"S": "Ann"}}], "Count": 1},
    ])

    async def run():
        posts = await engine.related(Author(id="a1"), Author.posts).all()
        found = await engine.collection(Author(id="a1"))
        return posts, found

    posts, found = asyncio.run(run())
    assert [p.slug for p in posts] == ["s1"] and found.author.name == "Ann"
    assert [(operation, request["TableName"]) for operation, request in engine.transport.requests] == \
        [("query", "a-Post"), ("query", "a-Author")]
