"""Engine scenarios, run against every backend with each engine (sync and async)."""
import datetime
import decimal

import pytest

import bloop
from bloop import (
    BatchIncomplete, Column, ConstraintViolation, DuplicateKeys, GlobalSecondaryIndex, Integer,
    InvalidSearch, InvalidValue, MissingKey, ObjectsNotFound, String, TableMismatch,
)

from .models import Everything, Post, User, everything

# The async engine runs every scenario on the moto server, and those marked BOTH on dynalite
# too (each dynalite scenario costs about a second, mostly waiting for a new table).
pytestmark = pytest.mark.engines("sync", "async", async_backends=("moto_server",))
BOTH = pytest.mark.engines("sync", "async")


@pytest.fixture
def users(engine):
    engine.bind(User)
    return engine


@pytest.fixture
def posts(engine):
    engine.bind(Post)
    return engine


def table_name(engine, model):
    return engine._table_name(model)


# bind ---------------------------------------------------------------------------------------

@BOTH
def test_bind_creates_table_with_indexes(engine, client):
    engine.bind(Post)
    table = client.describe_table(TableName=table_name(engine, Post))["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"forum": "HASH", "number": "RANGE"}
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by_author"]
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["by_views"]
    lsi = table["LocalSecondaryIndexes"][0]
    assert {k["AttributeName"] for k in lsi["KeySchema"]} == {"forum", "v"}


def test_bind_twice_is_a_noop(engine, requests):
    engine.bind(User)
    requests.clear()
    engine.bind(User)
    assert requests.names() == []


def test_bind_existing_compatible_table(engine, make_engine):
    engine.bind(User)
    other = make_engine()
    other.bind(User)  # validates the table made by the first engine
    assert other._table_name(User) == engine._table_name(User)


def test_bind_mismatched_table(engine, make_engine):
    engine.bind(User)

    class Other(bloop.BaseModel):
        class Meta:
            table_name = "users"
        id = Column(Integer, hash_key=True)  # the table's key is a string
        extra = Column(String)
        by_extra = GlobalSecondaryIndex(projection="all", hash_key="extra")

    with pytest.raises(TableMismatch) as excinfo:
        make_engine().bind(Other)
    text = str(excinfo.value)
    assert "by_extra" in text and "'id'" in text


def test_bind_engine_model_subclasses(make_engine, client, prefix):
    engine = make_engine()

    class Abstract(engine.model):
        class Meta:
            abstract = True
        id = Column(String, hash_key=True)

    class Concrete(Abstract):
        value = Column(Integer)

    engine.bind()
    # every page: the shared server holds more than the 100 names of one answer by now
    names = [n for page in client.get_paginator("list_tables").paginate() for n in page["TableNames"]]
    assert prefix + "Concrete" in names and prefix + "Abstract" not in names
    obj = Concrete(id="a", value=1)
    engine.save(obj)
    loaded = Concrete(id="a")
    engine.load(loaded)
    assert loaded.value == 1


# save / load / delete ----------------------------------------------------------------------

@BOTH
def test_save_load_roundtrip_every_type(engine):
    engine.bind(Everything)
    original = everything()
    engine.save(original)
    loaded = Everything(id=original.id)
    engine.load(loaded, consistent=True)
    for column in Everything.Meta.columns:
        expected = getattr(original, column.name)
        if column.name == "strings":
            assert loaded.strings == {"x", "y", ""}
        else:
            assert getattr(loaded, column.name) == expected, column.name


def test_batch_save_and_load_everything(engine):
    engine.bind(Everything)
    objs = [everything(integer=i) for i in range(30)]
    engine.save(objs)
    fresh = [Everything(id=o.id) for o in objs]
    engine.load(fresh)
    assert [o.integer for o in fresh] == list(range(30))
    assert all(o.info == objs[0].info for o in fresh)


def test_diff_save_sends_only_changes_and_keeps_undeclared_attributes(users, client, requests):
    user = User(id="u1", email="a@example.com", name="Ann", age=30)
    users.save(user)
    # something outside the model writes an attribute bloop does not know about
    client.update_item(TableName=table_name(users, User), Key={"id": {"S": "u1"}},
                       UpdateExpression="SET extra = :x", ExpressionAttributeValues={":x": {"S": "kept"}})
    loaded = User(id="u1")
    users.load(loaded)
    loaded.age = 31
    loaded.name = None
    requests.clear()
    users.save(loaded)
    (name, params), = requests.calls
    assert name == "UpdateItem"
    assert sorted(params["ExpressionAttributeNames"].values()) == ["age", "name"]
    assert params["UpdateExpression"].startswith("SET ") and " REMOVE " in params["UpdateExpression"]
    item = client.get_item(TableName=table_name(users, User), Key={"id": {"S": "u1"}})["Item"]
    assert item["extra"] == {"S": "kept"}
    assert item["age"] == {"N": "31"}
    assert "name" not in item


def test_in_place_mutation_is_saved(posts):
    post = Post(forum="f", number=1, tags={"a"})
    posts.save(post)
    loaded = Post(forum="f", number=1)
    posts.load(loaded)
    loaded.tags.add("b")
    posts.save(loaded)
    again = Post(forum="f", number=1)
    posts.load(again)
    assert again.tags == {"a", "b"}


class Shelf(bloop.BaseModel):
    """Loaded with no snapshot of its own: every column is immutable or a tracked container."""

    class Meta:
        table_name = "shelves"

    id = Column(String, hash_key=True)
    sizes = Column(bloop.Set(Integer))
    rows = Column(bloop.List(bloop.Map(n=Integer, words=bloop.List(String))))
    label = Column(String)


def test_in_place_changes_to_loaded_nested_containers_are_saved(engine, requests):
    engine.bind(Shelf)
    engine.save([Shelf(id=f"s{i}", sizes={1, 2}, rows=[{"n": 1, "words": ["a"]}], label="x") for i in range(3)])
    first, second, third = sorted(engine.scan(Shelf), key=lambda shelf: shelf.id)
    first.rows[0]["words"].append("b")
    second.sizes.discard(1)
    third.rows.append({"n": 2})
    third.rows.pop()  # changed and changed back: nothing to send
    requests.clear()
    for shelf in (first, second, third):
        engine.save(shelf)
    assert requests.names() == ["UpdateItem"] * 3
    sent = [sorted(params["ExpressionAttributeNames"].values()) for _, params in requests.calls]
    # only what changed; with nothing changed a save re-asserts every value
    assert sent == [["rows"], ["sizes"], ["label", "rows", "sizes"]]
    fresh = {shelf.id: shelf for shelf in engine.scan(Shelf)}
    assert fresh["s0"].rows == [{"n": 1, "words": ["a", "b"]}] and fresh["s1"].sizes == {2}
    assert fresh["s2"].rows == [{"n": 1, "words": ["a"]}] and fresh["s2"].label == "x"


def test_empty_set_removes_attribute(posts):
    post = Post(forum="f", number=2, tags={"a"})
    posts.save(post)
    post.tags = set()
    posts.save(post)
    loaded = Post(forum="f", number=2)
    posts.load(loaded)
    assert loaded.tags is None


def test_load_missing_lists_every_missing_object(users):
    present = User(id="here", name="x")
    users.save(present)
    a, b, c = User(id="here"), User(id="gone-1"), User(id="gone-2")
    with pytest.raises(ObjectsNotFound) as excinfo:
        users.load([a, b, c])
    assert excinfo.value.missing == [b, c]
    assert a.name == "x"


@BOTH
def test_load_more_than_100(users, requests):
    objs = [User(id=f"user-{i}", age=i) for i in range(130)]
    users.save(objs)
    batch_writes = [p for n, p in requests.calls if n == "BatchWriteItem"]
    assert len(batch_writes) == 6  # 130 items, 25 per request
    assert all(len(p["RequestItems"][table_name(users, User)]) <= 25 for p in batch_writes)
    requests.clear()
    fresh = [User(id=f"user-{i}") for i in range(130)]
    users.load(fresh)
    gets = [p for n, p in requests.calls if n == "BatchGetItem"]
    assert len(gets) == 2
    assert [o.age for o in fresh] == list(range(130))


def test_duplicate_keys_refused_before_sending(users, requests):
    requests.clear()
    with pytest.raises(DuplicateKeys):
        users.save([User(id="same", age=1), User(id="same", age=2)])
    with pytest.raises(DuplicateKeys):
        users.load([User(id="same"), User(id="same")])
    assert requests.names() == []


def test_bad_value_refused_before_sending(users, requests):
    requests.clear()
    with pytest.raises(InvalidValue):
        users.save(User(id="x", age="not a number"))
    with pytest.raises(TypeError):
        users.save(User(id="x", age="not a number"))
    with pytest.raises(MissingKey):
        users.save(User(age=3))
    with pytest.raises(ValueError):
        users.save(User(id="", age=3))
    with pytest.raises(InvalidValue):
        users.save(User(id="x", joined=datetime.datetime(2020, 1, 1)))  # naive
    with pytest.raises(InvalidValue):
        users.save([User(id="ok"), User(id="bad", age=decimal.Decimal("NaN"))])
    assert requests.names() == []


def test_second_positional_argument_must_be_a_condition(users, requests):
    requests.clear()
    with pytest.raises(TypeError, match="list"):
        users.save(User(id="a"), User(id="b"))
    assert requests.names() == []


@BOTH
def test_conditional_delete_and_save(users):
    user = User(id="c", age=5)
    users.save(user)
    with pytest.raises(ConstraintViolation) as excinfo:
        users.delete(user, condition=User.age > 10)
    assert excinfo.value.obj is user
    assert isinstance(excinfo.value.__cause__, Exception)
    users.delete(user, User.age == 5)
    with pytest.raises(ObjectsNotFound):
        users.load(User(id="c"))
    with pytest.raises(ConstraintViolation):
        users.save(User(id="d", age=1), condition=User.id.is_not(None))
    users.save(User(id="d", age=1), User.id.is_(None))


def test_batch_delete(users):
    objs = [User(id=f"del-{i}") for i in range(40)]
    users.save(objs)
    users.delete(objs)
    assert users.scan(User).count() == 0


def test_sync_new_and_old(users):
    user = User(id="s", age=1, name="before")
    users.save(user)
    other = User(id="s", name="after")
    users.save(other, sync="new")
    assert other.age == 1 and other.name == "after"
    gone = User(id="s")
    users.delete(gone, sync="old")
    assert gone.name == "after"


def test_table_name_template_callable(make_engine, client, prefix):
    engine = make_engine(table_name_template=lambda model: prefix + model.Meta.table_name.upper())
    engine.bind(User)
    # (list_tables answers 100 names at most: the shared server holds more by now)
    assert client.describe_table(TableName=prefix + "USERS")["Table"]["TableStatus"] == "ACTIVE"


# query / scan -------------------------------------------------------------------------------

def make_posts(engine, n=30):
    objs = [Post(forum="news" if i % 2 else "chat", number=i, author=f"a{i % 3}", title=f"t{i}",
                 views=i * 10, tags={f"tag{i % 4}"}) for i in range(n)]
    engine.save(objs)
    return objs


@BOTH
def test_query_key_filter_order_and_pages(posts):
    make_posts(posts)
    base = posts.query(Post).key(Post.forum == "news")
    assert [p.number for p in base] == list(range(1, 30, 2))
    assert [p.number for p in base.forward(False)] == list(range(29, 0, -2))
    ranged = base.key(Post.number.between(5, 11))
    assert [p.number for p in ranged] == [5, 7, 9, 11]
    filtered = base.filter(Post.views >= 200)
    assert [p.number for p in filtered] == [21, 23, 25, 27, 29]
    pages = list(base.page_size(4).pages())
    assert [len(page) for page in pages][:4] == [4, 4, 4, 3]
    assert sum(len(page) for page in pages) == 15
    # a filter that matches nothing on early pages does not end the iteration
    late = base.page_size(2).filter(Post.views > 250)
    assert [p.number for p in late] == [27, 29]
    assert base.count() == 15
    assert filtered.count() == 5
    assert base.limit(3).count() == 3
    assert [p.number for p in base.limit(3)] == [1, 3, 5]
    assert [p.number for p in filtered.page_size(3).limit(2)] == [21, 23]
    assert base.first().number == 1
    assert base.key(Post.number == 7).one().title == "t7"
    with pytest.raises(InvalidSearch):
        base.one()
    assert base.key(Post.number == 1000).first() is None


def test_query_begins_with_and_projection(posts):
    make_posts(posts)
    found = posts.query(Post, key=(Post.forum == "chat") & (Post.number <= 4), projection=[Post.title]).all()
    assert [(p.number, p.title, p.author) for p in found] == [(0, "t0", None), (2, "t2", None), (4, "t4", None)]
    keys_only = posts.query(Post).key(Post.forum == "chat").project("keys").first()
    assert keys_only.title is None and keys_only.number == 0


def test_query_indexes(posts):
    make_posts(posts)
    by_author = posts.query(Post.by_author, key=Post.author == "a1")
    assert sorted(p.number for p in by_author) == [1, 4, 7, 10, 13, 16, 19, 22, 25, 28]
    assert all(p.title for p in by_author)
    by_views = posts.query(Post, index=Post.by_views).key((Post.forum == "chat") & (Post.views > 200))
    assert [p.number for p in by_views.consistent] == [22, 24, 26, 28]


def test_gsi_projection_rules(users):
    users.save([User(id=f"u{i}", email=f"{i}@x", name="same", age=i) for i in range(5)])
    found = users.query(User.by_email).key(User.email == "3@x").one()
    assert found.id == "u3" and found.email == "3@x" and found.age is None
    ages = [u.age for u in users.query(User.by_name).key((User.name == "same") & (User.age >= 2))]
    assert ages == [2, 3, 4]
    with pytest.raises(InvalidSearch):
        users.query(User.by_email, key=User.email == "3@x", projection=["age"]).all()
    with pytest.raises(InvalidSearch):
        users.query(User.by_email, key=User.email == "3@x").consistent.all()


def test_scan_filter_and_reuse(posts):
    make_posts(posts)
    scan = posts.scan(Post)
    assert len(scan.all()) == 30
    assert sorted(p.number for p in scan.filter(Post.tags.contains("tag1"))) == [1, 5, 9, 13, 17, 21, 25, 29]
    assert scan.filter(Post.author.in_(["a0", "a2"])).count() == 20
    assert len(list(scan.page_size(7))) == 30


def test_query_without_key_refused(posts, requests):
    requests.clear()
    with pytest.raises(InvalidSearch):
        posts.query(Post).all()
    with pytest.raises(InvalidSearch):
        posts.query(Post).key(Post.number == 3).all()
    with pytest.raises(InvalidSearch):
        posts.query(Post).key((Post.forum == "x") & (Post.title == "y")).all()
    assert requests.names() == []


@BOTH
def test_many_pages(posts):
    big = "x" * 50_000
    posts.save([Post(forum="big", number=i, title=big) for i in range(60)])  # ~3 MB: several 1 MB pages
    found = posts.scan(Post).all()
    assert len(found) == 60 and all(p.title == big for p in found)
    assert len(posts.query(Post).key(Post.forum == "big").all()) == 60
    fresh = [Post(forum="big", number=i) for i in range(60)]
    posts.load(fresh)
    assert all(p.title == big for p in fresh)


def test_batch_incomplete_names_objects(users, monkeypatch):
    objs = [User(id=f"never-{i}") for i in range(3)]

    class NeverDrains:  # a transport (bloop.drivers.transport.Transport) DynamoDB never drains
        def send(self, calls):
            return [{"UnprocessedItems": c.request["RequestItems"]} for c in calls]

    monkeypatch.setattr(users, "transport", NeverDrains())
    users.policy.batch_deadline = 0.2
    with pytest.raises(BatchIncomplete) as excinfo:
        users.save(objs)
    assert excinfo.value.unprocessed == objs
