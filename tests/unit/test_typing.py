"""Typed columns: ``make test`` runs mypy on this file as well as on the package.

At run time these tests only check the values; mypy checks the ``assert_type`` lines,
and, through ``warn_unused_ignores``, that each ``# type: ignore`` below marks an error
a type checker does report.
"""
import datetime
import decimal
import enum
import uuid
from typing import Any, Dict, List as ListOf, Optional, Set as SetOf, assert_type

import bloop
from bloop import (
    JSON, UUID, BaseModel, Binary, Boolean, Column, DateTime, DynamicMap, Enum, Float, Integer, List, Map,
    Number, Set, String, Timestamp, actions,
)


class Color(enum.Enum):
    red = 1


class Typed(BaseModel):
    id = Column(String, hash_key=True)
    count = Column(Integer)
    ratio = Column(Float)
    exact = Column(Number)
    flag = Column(Boolean)
    blob = Column(Binary)
    uid = Column(UUID)
    when = Column(DateTime)
    stamp = Column(Timestamp)
    color = Column(Enum(Color))
    tags = Column(Set(String))
    scores = Column(List(Integer))
    info = Column(Map(size=Integer))
    doc = Column(JSON)
    extra = Column(DynamicMap)


def test_values_are_typed_by_their_columns() -> None:
    obj = bloop.from_item(Typed, {"id": {"S": "a"}, "count": {"N": "1"}, "tags": {"SS": ["x"]}})
    assert_type(obj, Typed)
    assert_type(obj.id, Optional[str])
    assert_type(obj.count, Optional[int])
    assert_type(obj.ratio, Optional[float])
    assert_type(obj.exact, Optional[decimal.Decimal])
    assert_type(obj.flag, Optional[bool])
    assert_type(obj.blob, Optional[bytes])
    assert_type(obj.uid, Optional[uuid.UUID])
    assert_type(obj.when, Optional[datetime.datetime])
    assert_type(obj.stamp, Optional[datetime.datetime])
    assert_type(obj.color, Optional[Color])
    assert_type(obj.tags, Optional[SetOf[str]])
    assert_type(obj.scores, Optional[ListOf[int]])
    assert_type(obj.info, Optional[Dict[str, Any]])
    assert_type(obj.doc, Optional[Any])
    assert obj.id == "a" and obj.count == 1 and obj.tags == {"x"}


def test_model_attributes_are_columns() -> None:
    assert_type(Typed.count, Column[int])
    assert_type(Typed.tags, Column[SetOf[str]])
    assert isinstance(Typed.count, Column) and Typed.count.name == "count"


def test_assignments_are_checked() -> None:
    obj = Typed(id="a")
    obj.count = 3
    obj.count = None
    obj.count = actions.add(1)  # actions are values of every column
    obj.count = "three"  # type: ignore[assignment]
    obj.tags = {"x"}
    obj.tags = ["x"]  # type: ignore[assignment]
    assert obj.count == "three" and obj.tags == ["x"]  # nothing is checked before a save
