"""Models shared by the integration tests (bound per test, to per-test tables)."""
import datetime
import decimal
import enum
import uuid

from bloop import (
    JSON, UUID, BaseModel, Binary, Boolean, Column, DateTime, DynamicList, DynamicMap, Enum, Float,
    GlobalSecondaryIndex, Integer, List, LocalSecondaryIndex, Map, Number, Set, String, Timestamp,
)


class Color(enum.Enum):
    red = 1
    blue = 2


class User(BaseModel):
    class Meta:
        table_name = "users"

    id = Column(String, hash_key=True)
    email = Column(String)
    name = Column(String)
    age = Column(Integer)
    joined = Column(DateTime)

    by_email = GlobalSecondaryIndex(projection="keys", hash_key="email")
    by_name = GlobalSecondaryIndex(projection=["age"], hash_key="name", range_key="age")


class Post(BaseModel):
    class Meta:
        table_name = "posts"

    forum = Column(String, hash_key=True)
    number = Column(Integer, range_key=True)
    author = Column(String)
    title = Column(String)
    views = Column(Integer, dynamo_name="v")
    tags = Column(Set(String))

    by_views = LocalSecondaryIndex(projection="all", range_key="views")
    by_author = GlobalSecondaryIndex(projection="all", hash_key="author", range_key="number")


class Everything(BaseModel):
    """One column of every type."""

    class Meta:
        table_name = "everything"

    id = Column(UUID, hash_key=True)
    string = Column(String)
    number = Column(Number)
    integer = Column(Integer)
    float = Column(Float)
    binary = Column(Binary)
    boolean = Column(Boolean)
    when = Column(DateTime)
    stamp = Column(Timestamp)
    color = Column(Enum(Color))
    doc = Column(JSON)
    strings = Column(Set(String))
    numbers = Column(Set(Number))
    blobs = Column(Set(Binary))
    ints = Column(List(Integer))
    info = Column(Map(color=String, size=Integer, ok=Boolean, nested=Map(deep=List(String))))
    anything = Column(DynamicMap)
    things = Column(DynamicList)


UTC = datetime.timezone.utc


def everything(**overrides):
    values = dict(
        id=uuid.uuid4(), string="", number=decimal.Decimal("3.14159265358979323846264338327950288"),
        integer=-(10 ** 20), float=1.1, binary=b"\x00\xff", boolean=False,
        when=datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        stamp=datetime.datetime(2030, 1, 1, tzinfo=UTC), color=Color.blue,
        doc={"a": [1, 2, {"b": None}]}, strings={"x", "y", ""}, numbers={1, decimal.Decimal("2.5")},
        blobs={b"a", b"b"}, ints=[3, 1, 2],
        info={"color": "red", "size": 3, "ok": True, "nested": {"deep": ["a", "b"]}},
        anything={"s": "x", "n": 3, "f": decimal.Decimal("1.5"), "b": b"z", "t": True, "none": None,
                  "l": [1, "a"], "m": {"x": {"y": []}}, "ss": {"a"}},
        things=[1, "two", [3], {"four": 4}],
    )
    values.update(overrides)
    return Everything(**values)


class Email(BaseModel):
    """Only a key: for transactions that create and check bare items."""

    class Meta:
        table_name = "emails"

    address = Column(String, hash_key=True)


class Locked(BaseModel):
    """Optimistic locking: a version column."""

    class Meta:
        table_name = "locked"

    id = Column(String, hash_key=True)
    data = Column(String)
    version = Column(Integer, version=True)
