"""Typed columns: ``make test`` runs mypy on this file as well as on the package.

At run time these tests only check the values; mypy checks the ``assert_type`` lines,
and, through ``warn_unused_ignores``, that each ``# type: ignore`` below marks an error
a type checker does report.
"""
import datetime
import decimal
import uuid
from typing import Any, Dict, List as ListOf, Optional, Set as SetOf, assert_type

import bloop
from bloop import Column, actions
from tests.integ.models import Color, Everything  # one column of every type


def test_values_are_typed_by_their_columns() -> None:
    obj = bloop.from_item(Everything, {"id": {"S": str(uuid.uuid4())}, "integer": {"N": "1"},
                                       "strings": {"SS": ["x"]}})
    assert_type(obj, Everything)
    assert_type(obj.id, Optional[uuid.UUID])
    assert_type(obj.string, Optional[str])
    assert_type(obj.integer, Optional[int])
    assert_type(obj.float, Optional[float])
    assert_type(obj.number, Optional[decimal.Decimal])
    assert_type(obj.boolean, Optional[bool])
    assert_type(obj.binary, Optional[bytes])
    assert_type(obj.when, Optional[datetime.datetime])
    assert_type(obj.stamp, Optional[datetime.datetime])
    assert_type(obj.color, Optional[Color])
    assert_type(obj.strings, Optional[SetOf[str]])
    assert_type(obj.numbers, Optional[SetOf[decimal.Decimal]])
    assert_type(obj.ints, Optional[ListOf[int]])
    assert_type(obj.info, Optional[Dict[str, Any]])
    assert_type(obj.anything, Optional[Dict[str, Any]])
    assert_type(obj.things, Optional[ListOf[Any]])
    assert_type(obj.doc, Optional[Any])
    assert obj.integer == 1 and obj.strings == {"x"}


def test_model_attributes_are_columns() -> None:
    assert_type(Everything.integer, Column[int])
    assert_type(Everything.strings, Column[SetOf[str]])
    assert isinstance(Everything.integer, Column) and Everything.integer.name == "integer"


def test_assignments_are_checked() -> None:
    obj = Everything(string="a")
    obj.integer = 3
    obj.integer = None
    obj.integer = actions.add(1)  # actions are values of every column
    obj.integer = "three"  # type: ignore[assignment]
    obj.strings = {"x"}
    obj.strings = ["x"]  # type: ignore[assignment]
    assert obj.integer == "three" and obj.strings == ["x"]  # nothing is checked before a save
