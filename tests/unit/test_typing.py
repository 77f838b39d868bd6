"""Typed columns, constructors and search results: ``make test`` runs mypy on this file
as well as on the package.

At run time these tests only check the values; mypy checks the ``assert_type`` lines,
and, through ``warn_unused_ignores``, that each ``# type: ignore`` below marks an error
a type checker does report.
"""
import asyncio
import datetime
import decimal
import uuid
from typing import Any, Awaitable, Dict, List as ListOf, Optional, Set as SetOf, assert_type

import pytest

import bloop
from bloop import BaseModel, Column, Engine, Integer, String, UnknownColumn, actions
from bloop.aio import AsyncEngine
from bloop.search import Page
from tests.integ.models import Color, Everything  # one column of every type
from tests.unit.fakes import AsyncFakeTransport, FakeTransport
from tests.unit.helpers import dynamodb_client


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


class Order(BaseModel):
    """Annotated columns: type checkers read the constructor (PEP 681 dataclass_transform)."""

    class Meta:
        table_name = "orders"

    id: Column[str] = Column(String, hash_key=True)
    qty: Column[int] = Column(Integer)


def test_constructors_of_annotated_models_are_checked() -> None:
    assert Order(id="a", qty=2).qty == 2
    assert Order().qty is None and Order(qty=None).qty is None  # every column is optional
    assert Order(qty="x").qty == "x"  # type: ignore[arg-type]
    with pytest.raises(UnknownColumn):
        Order(qyt=1)  # type: ignore[call-arg]
    assert Everything(string="a", integer=3).integer == 3  # a model without annotations takes **attrs


ITEM = {"id": {"S": "a"}, "qty": {"N": "2"}}
PAGE = {"Items": [ITEM], "Count": 1, "ScannedCount": 1}


def test_sync_search_results_are_typed_by_model() -> None:
    engine = Engine(dynamodb_client())
    engine.transport = FakeTransport([PAGE] * 5 + [{"Count": 1}, {"Count": 1}, PAGE])
    search = engine.query(Order).key(Order.id == "a")
    found = search.first()
    assert_type(found, Optional[Order])
    assert_type(search.all(), ListOf[Order])
    assert_type(search.one(), Order)
    for obj in search:
        assert_type(obj, Order)
    for page in search.pages():
        assert_type(page, ListOf[Order])
    assert_type(search.count(), int)
    assert_type(engine.scan(Order).exists(), bool)
    assert found is not None and found.qty == 2
    page_of = search.page(10)
    assert_type(page_of, Page[Order])
    assert_type(page_of.items, ListOf[Order])
    assert_type(page_of.token, Optional[str])
    search.__aiter__  # type: ignore[misc]  # a sync search has no async iteration


def test_async_search_results_are_awaited_and_typed_by_model() -> None:
    engine = AsyncEngine()
    engine.transport = AsyncFakeTransport([PAGE] * 5 + [{"Count": 1}, {"Count": 1}, PAGE])
    search = engine.query(Order).key(Order.id == "a")

    async def use() -> None:
        first = search.first()
        assert_type(first, Awaitable[Optional[Order]])
        assert_type(await first, Optional[Order])
        assert_type(await search.all(), ListOf[Order])
        assert_type(await search.one(), Order)
        async for obj in search:
            assert_type(obj, Order)
        async for page in search.pages():
            assert_type(page, ListOf[Order])
        assert_type(await search.count(), int)
        assert_type(await engine.scan(Order).exists(), bool)
        pending = search.page(10)
        assert_type(pending, Awaitable[Page[Order]])
        assert_type((await pending).items, ListOf[Order])
    asyncio.run(use())
    with pytest.raises(TypeError):
        for _ in search:  # type: ignore[misc]  # an async search is iterated with async for
            pass


# relations (bloop.relations) --------------------------------------------------------------
class _Person(BaseModel):
    id = Column(String, hash_key=True)


class _Pet(BaseModel):
    id = Column(String, hash_key=True)
    owner_id = Column(String)
    owner = bloop.ManyToOne(_Person, on={"id": "owner_id"})


def test_relations_are_typed() -> None:
    pet = _Pet(id="p1", owner_id="a1")
    assert_type(pet.owner, Optional[_Person])
    assert_type(_Pet.owner, bloop.ManyToOne[_Person])
    assert pet.owner is not None and pet.owner.id == "a1"

    async def typed(engine: Engine, async_engine: AsyncEngine, person: _Person) -> None:
        assert_type(engine.collection(person), bloop.Collection[_Person])
        assert_type(engine.collection(person).owner, Optional[_Person])
        assert_type(await async_engine.collection(person), bloop.Collection[_Person])
    assert callable(typed)
